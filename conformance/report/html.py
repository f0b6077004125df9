"""The HTML compliance report: one self-contained, static page (inline CSS, no script, no external resource).

In reading order: the verdict; the run's provenance (its configuration, with where each setting came from, folded);
what failed, warned and was blocked, one card per root cause (the plainest first), each with the requirements it
breaks, a command that reruns its first check, and that check's evidence (click to expand; every request with a
curl line that runs as printed); a summary per endpoint; the compliance matrix, every requirement with its status
and its source (linked). All text is HTML-escaped; all data comes from the (redacted) run result.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlsplit

from conformance.report.spared import spared
from conformance.runner.outcomes.result import Cause, CheckResult, RunResult, message_shape
from conformance.runner.outcomes.verdict import LEVELS, STATUS_ORDER, WARNING, RequirementResult, counts, json_status
from conformance.runner.records.evidence import Exchange, pretty
from conformance.runner.records.outcome import FAILED, CheckOutcome

STATUS_LABELS = {"failed": "failed", "warning": "warning", "blocked": "blocked", "waived": "waived",
                 "passed": "passed", "skipped": "skipped", "not run": "not run"}
DISPLAYED_BODY = 4000  # characters of a body shown per request
MAX_EXCHANGES = 25  # per check; a long poll keeps its first and last requests
KEEP_FIRST = 5
CODER_REPO = "https://github.com/coder/coder"
FUZZ_CHECKS = "conformance/fuzz/"  # how the id of a fuzz check starts
_SOURCE_FILE = re.compile(r"\b((?:coderd|codersdk|enterprise|cli|site|docs|agent)/[\w/.\-]+\.(?:go|ts|tsx|md))")
_SOURCE_PR = re.compile(r"(?:coder/coder)?#(\d{4,6})\b")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def check_anchor(check_id: str) -> str:
    """A stable HTML id for a check."""
    return "check-" + hashlib.sha1(check_id.encode("utf-8")).hexdigest()[:12]


def req_anchor(req_id: str) -> str:
    return "req-" + "".join(c if c.isalnum() or c == "-" else "_" for c in req_id)


def stylesheet() -> str:
    return (resources.files("conformance.report") / "report.css").read_text(encoding="utf-8")


def source_html(source: str) -> str:
    """A requirement's source, with Coder files and pull requests linked to the repository."""
    out, last = [], 0
    for match in sorted([*_SOURCE_FILE.finditer(source), *_SOURCE_PR.finditer(source)], key=lambda m: m.start()):
        if match.start() < last:
            continue
        out.append(esc(source[last:match.start()]))
        if match.re is _SOURCE_FILE:
            url = f"{CODER_REPO}/blob/main/{match.group(1)}"
        else:
            url = f"{CODER_REPO}/pull/{match.group(1)}"
        out.append(f'<a href="{esc(url)}">{esc(match.group(0))}</a>')
        last = match.end()
    out.append(esc(source[last:]))
    return "".join(out)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min {secs} s" if hours else f"{minutes} min {secs} s"


# --- the page ------------------------------------------------------------------------------------------------


def to_html(result: RunResult) -> str:
    facts = result.facts
    title = f"Conformance {result.verdict.label}: {facts.target_url or 'embedded'}{facts.api_prefix}"
    body = "".join([
        _header(result),
        _provenance(result),
        _problems(result),
        _endpoints(result),
        _matrix(result),
        f'<footer class="tc-muted">tasks-conformance {esc(facts.suite_version)} · generated '
        f"{esc(datetime.fromtimestamp(facts.finished, UTC).strftime('%Y-%m-%d %H:%M:%S UTC'))}</footer>",
    ])
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{stylesheet()}</style></head>"
            f'<body><main id="tc-report">{body}</main></body></html>\n')


def _header(result: RunResult) -> str:
    facts = result.facts
    verdict = result.verdict
    checks = result.checks
    ran = {s: sum(1 for c in checks if c.status == s) for s in ("passed", "failed", "warning", "blocked", "skipped")}
    where = f"{facts.target_url or '(embedded)'}{facts.api_prefix}"
    if facts.embedded:
        where += (f" — embedded reference server (faults: {', '.join(facts.reference_faults) or 'none'}; "
                  f"variations: {', '.join(facts.reference_variations) or 'none'})")
    rows = [
        ("Target", where),
        ("Server version", facts.server_version or "not reported by the server"),
        ("Judged by", f"the {facts.profile} profile: {facts.profile_reason}"),
        ("Checks", f"{len(checks)} ran: {ran['passed']} passed, {ran['failed']} failed, "
                   f"{_plural(ran['warning'], 'warning')}, {ran['blocked']} blocked, {ran['skipped']} skipped"),
        ("Started", datetime.fromtimestamp(facts.started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Duration", _duration(facts.duration)),
        ("Seed", facts.seed),
        ("Exit code", result.exit_code),
    ]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    notes = [*facts.notes, *result.waivers.notes()]
    release_note = spared(result)
    if release_note:
        notes.append(release_note)
    if facts.cleanup is not None:  # every task the run left, caused or may have made, named
        notes += [f"cleanup: {text}" for text, _ in facts.cleanup.sentences()]
    notes_html = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return (f'<section id="tc-header" class="tc-verdict-{esc(verdict.status)}">'
            f'<div class="tc-verdict" id="tc-verdict">{esc(verdict.label.split(" (partial:", 1)[0])}'
            + (f' <span class="tc-partial">(partial: {esc(verdict.partial)})</span>' if verdict.partial else "")
            + "</div>"
            f'<p class="tc-verdict-sub" id="tc-verdict-line">{_verdict_line(result)}</p>'
            + (f'<ul class="tc-notes" id="tc-notes">{notes_html}</ul>' if notes_html else "")
            + f'<dl class="tc-provenance">{dl}</dl></section>')


def _verdict_line(result: RunResult) -> str:
    verdict = result.verdict
    facts = result.facts
    if result.incomplete:
        return (f"The run did not finish: {esc(facts.stopped)}. What follows covers only the checks that ran "
                "before it stopped.")
    if verdict.status == "error":
        return f"The run could not conclude: {esc(verdict.reasons[0] if verdict.reasons else 'unknown error')}"
    c = counts(result.requirements)
    failed = [r for r in result.requirements if r.status == "failed"]
    blocked = [r for r in result.requirements if r.status == "blocked"]
    parts = []
    if failed:
        parts.append(f"{_plural(len(failed), 'requirement')} failed: " + ", ".join(
            f'<a href="#{req_anchor(r.requirement.id)}">{esc(r.requirement.id)}</a>' for r in failed[:12])
            + (f" and {len(failed) - 12} more" if len(failed) > 12 else ""))
    if blocked:
        parts.append(f"{_plural(len(blocked), 'requirement')} not verified (blocked)")
    warnings = sum(level["warning"] for level in c.values())
    if warnings:
        parts.append(_plural(warnings, "SHOULD/MAY warning"))
    if result.comparison is not None:
        parts.append(f"against the baseline: {len(result.comparison.regressed)} regressed, "
                     f"{len(result.comparison.unverified)} no longer verified, {len(result.comparison.fixed)} fixed")
    if verdict.status == "pass" and not failed and result.comparison is None:
        parts.insert(0, "Every MUST requirement that ran passed" + (" (strict: every SHOULD too)"
                                                                    if facts.strict else ""))
    parts += [esc(reason) for reason in verdict.reasons if reason.startswith("waiver expired")]
    return " · ".join(parts) + "."


def _provenance(result: RunResult) -> str:
    facts = result.facts
    rows = [
        ("Suite version", f"tasks-conformance {facts.suite_version}"),
        ("Run prefix", facts.run_prefix),
        ("Fuzz budget", "off" if facts.fuzz_budget == 0 else f"{facts.fuzz_budget} examples per operation"),
        ("Read-only", "yes" if facts.read_only else "no"),
        ("Strict", "yes (SHOULD failures fail the verdict)" if facts.strict else "no"),
        ("Repeat this run", facts.rerun),
    ]
    if facts.traffic:
        rows.append(("Traffic", facts.traffic))
    if result.comparison is not None:
        c = result.comparison
        rows.append(("Baseline", f"{facts.baseline}: " + "; ".join(
            f"{name} {', '.join(ch.line() for ch in getattr(c, name)) or 'none'}"
            for name in ("regressed", "unverified", "fixed", "changed"))))
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    config_rows = "".join(
        f"<tr><td>[{esc(table)}] {esc(key)}</td><td><code>{esc('—' if value in (None, '') else value)}</code></td>"
        f'<td class="tc-muted">{esc(facts.sources.get(key, ""))}</td></tr>'
        for table, values in facts.config.items() for key, value in values.items())
    n = sum(len(values) for values in facts.config.values())
    fuzz = "".join(f"<li><code>{esc(line)}</code></li>" for line in facts.fuzzing)
    return (f'<section id="tc-provenance"><h2>About this run</h2><dl class="tc-provenance">{dl}</dl>'
            + (f'<details class="tc-config"><summary>Fuzzing ({_plural(len(facts.fuzzing), "line")})</summary>'
               f'<ul class="tc-fuzz">{fuzz}</ul></details>' if fuzz else "")
            + f'<details class="tc-config" id="tc-config"><summary>Configuration: {_plural(n, "setting")} and where '
            "each came from (secrets redacted)</summary>"
            '<table class="tc-config-table"><thead><tr><th>Setting</th><th>Value</th><th>From</th></tr></thead>'
            f"<tbody>{config_rows}</tbody></table></details></section>")


# --- what went wrong ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    """What the cards of the page look things up in: the requirements of the run, the tasks gone at its end."""

    statements: dict[str, RequirementResult]
    deleted: frozenset[str]
    result: RunResult

    def level_rank(self, ids: Iterable[str]) -> int:
        """The strongest level among the requirements, as its place in LEVELS (MUST first; unknown last)."""
        ranks = [LEVELS.index(r.requirement.level) for r in map(self.statements.get, ids)
                 if r is not None and r.requirement.level in LEVELS]
        return min(ranks, default=len(LEVELS))


def _problems(result: RunResult) -> str:
    problems = result.problems()
    failed = [c for c in problems if c.status == FAILED]
    warned = [c for c in problems if c.status == WARNING]
    causes = result.blocked_causes()
    if not (failed or warned or causes):
        return '<section id="tc-problems"><h2>What failed</h2><p>No check failed, warned or was blocked.</p></section>'
    page = _Page({r.requirement.id: r for r in result.requirements}, frozenset(result.facts.deleted_tasks), result)
    parts = ['<section id="tc-problems">']
    for checks, anchor, title, what in ((failed, "tc-failed", "Failed", ""),
                                        (warned, "tc-warned", "Warnings", ": SHOULD or MAY requirements")):
        if checks:
            grouped = _root_causes(checks, page)
            parts.append(f'<h2 id="{anchor}">{title} ({_plural(len(checks), "check")}, '
                         f'{_plural(len(grouped), "cause")}{what})</h2>')
            parts += [_failure_article(group, page) for group in grouped]
    if causes:
        n = sum(len(cause.checks) for cause in causes)
        parts.append(f'<h2 id="tc-blocked">Blocked ({n} checks, {_plural(len(causes), "cause")})</h2>')
        parts += [_cause_article(cause, page) for cause in causes]
    parts.append("</section>")
    return "".join(parts)


def _root_causes(checks: Sequence[CheckResult], page: _Page) -> list[list[CheckResult]]:
    """Checks (given in run order) grouped by root cause: the same message once its ids, task names and numbers are
    taken out, breaking the same requirements. The plainest failure first, within a cause and among causes: one
    that breaks a MUST before one that breaks only a SHOULD or MAY, then hand-written checks before fuzz checks,
    then fewer requests, then run order."""
    def plainness(item: tuple[int, CheckResult]) -> tuple[bool, int, int]:
        index, check = item
        return check.outcome.id.startswith(FUZZ_CHECKS), len(check.outcome.evidence), index

    groups: dict[tuple[str, frozenset[str]], list[tuple[int, CheckResult]]] = {}
    for index, check in enumerate(checks):
        o = check.outcome
        groups.setdefault((message_shape(o.message), frozenset(o.breaks)), []).append((index, check))
    ordered = sorted((sorted(group, key=plainness) for group in groups.values()),
                     key=lambda group: (page.level_rank(group[0][1].outcome.breaks), *plainness(group[0])))
    return [[check for _, check in group] for group in ordered]


def _requirement_list(ids: Iterable[str], page: _Page) -> str:
    items = []
    for rid in ids:
        r = page.statements.get(rid)
        level = r.requirement.level if r else "?"
        title = r.requirement.title if r else ""
        items.append(f'<li><a href="#{req_anchor(rid)}"><code>{esc(rid)}</code></a> '
                     f'<span class="tc-lv tc-lv-{esc(level)}">{esc(level)}</span> {esc(title)}</li>')
    return f"<ul>{''.join(items)}</ul>"


def _check_list(checks: Iterable[CheckResult]) -> str:
    """The checks' ids, each where links to the check lead."""
    items = "".join(f'<li id="{check_anchor(c.outcome.id)}"><code>{esc(c.outcome.id)}</code></li>' for c in checks)
    return f"<ul>{items}</ul>"


def _failure_article(checks: list[CheckResult], page: _Page) -> str:
    """One cause of failed (or warned) checks: its message and the requirements it breaks, then the checks it made
    fail, the command that reruns the first and the first's evidence. A cause of one check is that check's card."""
    first = checks[0]
    o = first.outcome
    badge = f'<span class="tc-badge tc-badge-{first.status}">{esc(first.status.upper())}</span>'
    if len(checks) == 1:
        opening = (f'<article class="tc-check tc-check-{first.status}" id="{check_anchor(o.id)}">'
                   f"<h3>{badge} <code>{esc(o.id)}</code></h3>")
        listing, rerun, evidence = "", "Rerun just this check", "Evidence"
    else:
        verb = "failed" if first.status == FAILED else "warned"
        opening = (f'<article class="tc-check tc-check-{first.status} tc-cause">'
                   f"<h3>{badge} {len(checks)} checks {verb} with this cause</h3>")
        listing = f'<div class="tc-cause-checks">The checks:{_check_list(checks)}</div>'
        rerun, evidence = "Rerun the first", "Evidence of the first"
    return "".join([
        opening,
        f'<p class="tc-message">{esc(o.message or "(no message)")}</p>',
        f'<div class="tc-breaks">Breaks:{_requirement_list(o.breaks, page)}</div>',
        _unverified(checks, page),
        listing,
        f'<div class="tc-rerun">{rerun}: <pre class="tc-cmd">{esc(first.rerun)}</pre></div>',
        _evidence(o.evidence, page, evidence),
        _full_output(o),
        "</article>",
    ])


def _unverified(checks: list[CheckResult], page: _Page) -> str:
    """The requirements these checks left not verified by stopping at their failure (blocked by it)."""
    ids = list(dict.fromkeys(r.requirement.id for c in checks for r in page.result.unverified_by(c)))
    if not ids:
        return ""
    return (f'<div class="tc-breaks tc-unverified">Not verified because of it (blocked):'
            f"{_requirement_list(ids, page)}</div>")


def _full_output(o: CheckOutcome) -> str:
    if not o.details or o.details.strip() == o.message.strip():
        return ""
    return f'<details class="tc-trace"><summary>Full failure output</summary><pre>{esc(o.details)}</pre></details>'


def _cause_article(cause: Cause, page: _Page) -> str:
    first = cause.checks[0]
    cause_text = (f"{', '.join(cause.breaks)} failed: " if cause.breaks else "") + cause.message
    return (f'<article class="tc-check tc-check-blocked">'
            f'<h3><span class="tc-badge tc-badge-blocked">BLOCKED</span> '
            f"{esc(_plural(len(cause.checks), 'check'))} could not run</h3>"
            f'<p class="tc-message">{esc(cause_text)}</p>'
            f'<div class="tc-breaks">Not verified:'
            f"{_requirement_list([r.requirement.id for r in cause.requirements], page)}</div>"
            f'<details class="tc-blocked-checks"><summary>The blocked checks</summary>{_check_list(cause.checks)}'
            "</details>"
            f'<div class="tc-rerun">Rerun the first: <pre class="tc-cmd">{esc(first.rerun)}</pre></div>'
            f"{_evidence(first.outcome.evidence, page, 'Evidence of the first')}</article>")


def _evidence(evidence: tuple[Exchange, ...], page: _Page, title: str) -> str:
    if not evidence:
        return '<p class="tc-muted">No HTTP request was made.</p>'
    n = len(evidence)
    shown = list(enumerate(evidence))
    note = ""
    if n > MAX_EXCHANGES:
        shown = shown[:KEEP_FIRST] + shown[-(MAX_EXCHANGES - KEEP_FIRST):]
        note = f'<p class="tc-muted">{n - MAX_EXCHANGES} of {n} requests in the middle are not shown.</p>'
    items = []
    for i, (index, exchange) in enumerate(shown):
        if note and i == KEEP_FIRST:
            items.append(note)
        items.append(_exchange(index + 1, exchange, page, last=index == n - 1))
    return (f'<div class="tc-evidence"><div class="tc-evidence-title">{esc(title)}: {_plural(n, "request")} '
            f'(click to expand; secrets are masked as [REDACTED])</div>{"".join(items)}</div>')


def _exchange(number: int, ex: Exchange, page: _Page, last: bool) -> str:
    outcome = str(ex.status) if ex.status is not None else "no response"
    if ex.error:
        outcome += f" ({ex.error})"
    request = f"{ex.method} {ex.url}\n" + "\n".join(f"{k}: {v}" for k, v in ex.request_headers)
    if ex.request_body:
        request += f"\n\n{pretty(ex.request_body, DISPLAYED_BODY)}"
    response = (f"HTTP {ex.status}\n" + "\n".join(f"{k}: {v}" for k, v in ex.response_headers)
                if ex.status is not None else f"no response: {ex.error or 'error'}")
    if ex.response_body:
        response += f"\n\n{pretty(ex.response_body, DISPLAYED_BODY)}"
    bad = ex.status is None or ex.status >= 400
    curl = ex.curl()
    reads = (f' <span class="tc-muted">(takes the token from ${esc(ex.credential)})</span>'
             if ex.credential and f'"${ex.credential}"' in curl else "")
    return (f'<details class="tc-exchange{" tc-exchange-last" if last else ""}"><summary>'
            f'<span class="tc-num">#{number}</span> <span class="tc-method">{esc(ex.method)}</span> '
            f'<span class="tc-url">{esc(ex.url)}</span> → <span class="{"tc-http-bad" if bad else "tc-http-ok"}">'
            f'{esc(outcome)}</span> <span class="tc-muted">{ex.elapsed * 1000:.0f} ms</span></summary>'
            '<div class="tc-exchange-body">'
            f'<div class="tc-half"><h4>Request</h4><pre class="tc-request">{esc(request)}</pre></div>'
            f'<div class="tc-half"><h4>Response</h4><pre class="tc-response">{esc(response)}</pre></div>'
            f'<div class="tc-full"><h4>curl{reads}</h4>{_gone_note(ex.url, page.deleted)}'
            f'<pre class="tc-curl">{esc(curl)}</pre></div>'
            "</div></details>")


def _gone_note(url: str, deleted: frozenset[str]) -> str:
    """A note when the task the URL's path names is gone at the end of the run: its curl line cannot run as is."""
    task = next((part for part in map(unquote, urlsplit(url).path.split("/")) if part in deleted), None)
    if task is None:
        return ""
    note = (f"The task this request names ({task}) was deleted by this run (by its check or its cleanup): to run "
            "this command, put the id of an existing task in its place.")
    return f'<p class="tc-curl-note">{esc(note)}</p>'


# --- per endpoint, the matrix ---------------------------------------------------------------------------------------

def _endpoints(result: RunResult) -> str:
    rows: dict[str, dict[str, int]] = {}
    for r in result.requirements:
        for endpoint in (e.strip() for e in r.requirement.endpoint.split(",")):
            row = rows.setdefault(endpoint, dict.fromkeys(STATUS_ORDER, 0))
            row[r.status] += 1
    head = "".join(f"<th>{esc(STATUS_LABELS[s])}</th>" for s in STATUS_ORDER)
    body = "".join(
        f'<tr class="{"tc-row-failed" if row["failed"] else ""}"><td><code>{esc(endpoint)}</code></td>'
        + "".join(f'<td class="tc-num-cell tc-count-{json_status(s) if row[s] else "zero"}">{row[s] or ""}</td>'
                  for s in STATUS_ORDER) + "</tr>"
        for endpoint, row in rows.items())
    return (f'<section id="tc-endpoints"><h2>By endpoint</h2><table class="tc-endpoints"><thead><tr>'
            f"<th>Endpoint</th>{head}</tr></thead><tbody>{body}</tbody></table></section>")


def _matrix(result: RunResult) -> str:
    levels = counts(result.requirements)
    summary = "".join(
        f'<div class="tc-level-row"><span class="tc-lv tc-lv-{level}">{level}</span> '
        + " · ".join(f'<span class="tc-count tc-count-{json_status(s)}">{c[s]} {esc(STATUS_LABELS[s])}</span>'
                     for s in STATUS_ORDER if c[s]) + "</div>"
        for level, c in levels.items())
    areas: dict[str, list[RequirementResult]] = {}
    for r in result.requirements:
        areas.setdefault(r.requirement.area, []).append(r)
    sections = []
    for area, reqs in areas.items():
        rows = "".join(
            f'<tr id="{req_anchor(r.requirement.id)}" class="tc-row tc-row-{json_status(r.status)}">'
            f'<td class="tc-id"><code>{esc(r.requirement.id)}</code></td>'
            f'<td><span class="tc-lv tc-lv-{r.requirement.level}">{r.requirement.level}</span></td>'
            f'<td class="tc-statement">{esc(r.requirement.title)}</td>'
            f'<td class="tc-endpoint">{esc(r.requirement.endpoint)}</td>'
            f'<td class="tc-status"><span class="tc-badge tc-badge-{json_status(r.status)}">'
            f"{esc(STATUS_LABELS[r.status])}</span>{_status_detail(r)}</td>"
            f'<td class="tc-source">{source_html(r.requirement.source)}</td></tr>'
            for r in reqs)
        sections.append(f'<section class="tc-area"><h3>{esc(area)}</h3><table class="tc-matrix"><thead><tr>'
                        "<th>Requirement</th><th>Level</th><th>Statement</th><th>Endpoint</th><th>Status</th>"
                        f"<th>Source</th></tr></thead><tbody>{rows}</tbody></table></section>")
    return (f'<section id="tc-matrix"><h2>Compliance matrix</h2><div class="tc-levels">{summary}</div>'
            f'{"".join(sections)}</section>')


def _status_detail(r: RequirementResult) -> str:
    text = r.note or (r.messages[0] if r.messages else "")
    if not text and r.checks:
        text = _plural(len(r.checks), "check")
    return f'<div class="tc-detail">{esc(text)}</div>' if text else ""
