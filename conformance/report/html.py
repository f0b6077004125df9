"""The HTML compliance report: pytest-html (one self-contained file) plus this module's header, matrix and evidence.

pytest-html renders its table of checks from its own data; this module adds, through pytest-html's hooks:
the verdict and the run's provenance, the compliance matrix (every requirement, grouped by area), and for every
failed or warned check its message, the requirement it breaks and its evidence (each request and response, and a
curl command). Everything here is static HTML and inline CSS: the report works offline and the evidence expands
with <details>, without script. All text is HTML-escaped; all data comes from the redacted results.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import pytest

from conformance.runner.redact import Redactor
from conformance.runner.verdict import counts_for_verdict

if TYPE_CHECKING:
    from conformance.report.outputs import ReportOutputs

STATUS_LABELS = {"failed": "failed", "warning": "warning", "blocked": "blocked", "passed": "passed",
                 "skipped": "skipped", "not_run": "not run"}
STATUS_ORDER = ("failed", "warning", "blocked", "passed", "skipped", "not_run")
_BADGES = {"failed": "FAILED", "warning": "WARNING", "blocked": "BLOCKED"}  # checks with their evidence shown
LEVELS = ("MUST", "SHOULD", "MAY")
_HEADER_IDS = 12  # failed requirement ids named in the verdict line
MAX_EXCHANGES = 25  # per check; a long poll keeps its first and last requests
KEEP_FIRST = 5


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def check_anchor(check_id: str) -> str:
    """A stable HTML id for a check's evidence."""
    return "check-" + hashlib.sha1(check_id.encode("utf-8")).hexdigest()[:12]


def req_anchor(req_id: str) -> str:
    return "req-" + "".join(c if c.isalnum() or c == "-" else "_" for c in req_id)


def stylesheet() -> str:
    return (resources.files("conformance.report") / "report.css").read_text(encoding="utf-8")


@dataclass
class FailedCheck:
    """A failed, warned or blocked check as the report shows it (all text already redacted)."""

    id: str
    status: str  # "failed", "warning" or "blocked" (it could not run)
    message: str
    requirements: list[str]
    broken: list[str]
    evidence: list[dict[str, Any]] = field(default_factory=list)
    details: str = ""


# --- the summary block: header, matrix, failures ---------------------------------------------------------------


def render_summary(results: dict[str, Any], failures: list[FailedCheck], statements: dict[str, str]) -> str:
    """The HTML put before pytest-html's table of checks."""
    parts = [
        f"<style>{stylesheet()}</style>",
        '<div id="tc-report">',
        _header(results),
        _matrix(results, failures),
        _failures(failures, results, statements),
        '<h2 id="tc-checks-title">All checks</h2>',
        "</div>",
    ]
    return "".join(parts)


def render_unavailable(reason: str) -> str:
    return (f"<style>{stylesheet()}</style>"
            f'<div id="tc-report"><section id="tc-header" class="tc-verdict-error">'
            f'<div class="tc-verdict" id="tc-verdict">NO RESULT</div>'
            f'<p class="tc-verdict-sub">{esc(reason)}</p></section>'
            '<h2 id="tc-checks-title">All checks</h2></div>')


def _verdict_line(results: dict[str, Any]) -> str:
    verdict = results["verdict"]
    counts = results["counts"]["requirements"]
    failed = [r for r in results["requirements"] if r["status"] == "failed"]
    blocked = [r for r in results["requirements"]
               if r["status"] == "blocked" and counts_for_verdict(r["level"], results["strict"])]
    warnings = sum(c["warning"] for c in counts.values())
    not_run = sum(c["not_run"] for c in counts.values())
    if verdict == "error" and results.get("incomplete"):
        return (f"The run did not finish: {esc(results.get('error') or 'stopped early')}. The matrix and the "
                "checks below cover only what ran before it stopped.")
    if verdict == "error":
        return f"The run could not conclude: {esc(results.get('error') or 'unknown error')}"
    if verdict == "fail":
        musts = [r for r in failed if r["level"] == "MUST"]
        others = [r for r in failed if r["level"] != "MUST"]
        shown = (musts + others)[:_HEADER_IDS]
        links = ", ".join(f'<a href="#{req_anchor(r["id"])}">{esc(r["id"])}</a>'
                          + ("" if r["level"] == "MUST" else f" ({esc(r['level'])})") for r in shown)
        more = len(failed) - len(shown)
        if more:
            links += f" and {more} more (see the matrix)"
        head = f"{_plural(len(musts), 'MUST requirement')} failed"
        if others:
            head += f", {_plural(len(others), 'SHOULD requirement')} failed (strict)"
        text = f"{head}: {links}" if failed else ""
        if blocked:
            text += ("; " if text else "") + (
                f"{_plural(len(blocked), 'requirement')} could not be checked "
                "(blocked: what a check needed could not be had): "
                + ", ".join(f'<a href="#{req_anchor(r["id"])}">{esc(r["id"])}</a>' for r in blocked[:_HEADER_IDS])
                + (f" and {len(blocked) - _HEADER_IDS} more" if len(blocked) > _HEADER_IDS else ""))
        return text
    text = "Every MUST requirement that ran passed"
    if results["strict"]:
        text += " (strict: every SHOULD too)"
    extras = []
    if warnings:
        extras.append(f"{warnings} SHOULD/MAY warning{'s' if warnings != 1 else ''}")
    unverified = sum(c["blocked"] for c in counts.values())  # SHOULD/MAY only: a blocked MUST fails the verdict
    if unverified:
        extras.append(f"{unverified} SHOULD/MAY requirement{'s' if unverified != 1 else ''} blocked")
    if not_run:
        extras.append(f"{not_run} requirement{'s' if not_run != 1 else ''} not run")
    return text + (" · " + " · ".join(extras) if extras else "") + "."


def _header(results: dict[str, Any]) -> str:
    verdict = results["verdict"]
    target = results["target"]
    where = f"{target['url'] or '(embedded)'}{target['api_prefix']}"
    if target["embedded"]:
        faults = ", ".join(target["reference_faults"]) or "none"
        variations = ", ".join(target["reference_variations"]) or "none"
        where += f" — embedded reference server, faults: {faults}, variations: {variations}"
    fuzz = results.get("fuzz_budget")
    fuzz_text = "not configured" if fuzz is None else ("off" if fuzz == 0 else f"{fuzz} examples per operation")
    checks = results["counts"]["checks"]
    rows = [
        ("Suite version", f"tasks-conformance {results['suite']['version']}"),
        ("Target", where),
        ("Server version", target["server_version"] or "not reported by the server"),
        ("Started", results["started_at"].replace("T", " ").replace("Z", " UTC")),
        ("Duration", _duration(results["duration_seconds"])),
        ("Seed", results["seed"]),
        ("Run prefix", results["run_prefix"]),
        ("Fuzz budget", fuzz_text),
        ("Read-only", "yes" if results["read_only"] else "no"),
        ("Strict", "yes (SHOULD failures fail the verdict)" if results["strict"] else "no"),
        ("Checks", f"{checks['total']} ran: {checks['passed']} passed, {checks['failed']} failed, "
                   f"{_plural(checks['warning'], 'warning')}, "
                   + (f"{checks['blocked']} blocked (could not run), " if checks["blocked"] else "")
                   + f"{checks['skipped']} skipped"),
        ("Exit code", results["exit_code"]),
    ]
    if results["swept"]:
        rows.append(("Cleanup", f"{len(results['swept'])} task(s) removed by the final sweep (their checks had not)"))
    if results["leftovers"]:
        rows.append(("Left on the target", f"{len(results['leftovers'])} task(s) of this run: "
                     + ", ".join(results["leftovers"][:10])))
    if results.get("cleanup_abandoned"):
        rows.append(("Cleanup", results["cleanup_abandoned"]))
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    label = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}.get(verdict, verdict.upper())
    if results.get("incomplete"):
        label = "INCOMPLETE"
    notes = "".join(f"<li>{esc(n)}</li>" for n in results.get("notes") or [])
    return (f'<section id="tc-header" class="tc-verdict-{esc(verdict)}">'
            f'<div class="tc-verdict-box"><div class="tc-verdict" id="tc-verdict">{esc(label)}</div>'
            f'<p class="tc-verdict-sub">{_verdict_line(results)}</p></div>'
            + (f'<ul class="tc-notes" id="tc-notes">{notes}</ul>' if notes else "")
            + f'<dl class="tc-provenance">{dl}</dl>'
            f"{_config_table(results['config'])}</section>")


def _count(n: int, status: str) -> str:
    label = STATUS_LABELS.get(status, status)
    return f"{n} {label}{'s' if status == 'warning' and n != 1 else ''}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min {secs} s" if hours else f"{minutes} min {secs} s"


def _config_table(config: dict[str, Any]) -> str:
    rows = []
    for table, values in config.items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            shown = "—" if value is None or value == "" else value
            rows.append(f"<tr><td>[{esc(table)}] {esc(key)}</td><td><code>{esc(shown)}</code></td></tr>")
    return ('<details class="tc-config"><summary>Configuration (secrets redacted)</summary>'
            f'<table class="tc-config-table">{"".join(rows)}</table></details>')


def _meter(counts: dict[str, int]) -> str:
    total = counts["total"] or 1
    segs = "".join(
        f'<span class="tc-seg tc-seg-{s}" style="width:{100 * counts[s] / total:.2f}%" '
        f'title="{counts[s]} {STATUS_LABELS[s]}"></span>'
        for s in STATUS_ORDER if counts[s]
    )
    label = ", ".join(f"{counts[s]} {STATUS_LABELS[s]}" for s in STATUS_ORDER)
    return f'<div class="tc-bar" role="img" aria-label="{esc(label)}">{segs}</div>'


def _level_summary(results: dict[str, Any]) -> str:
    rows = []
    for level in LEVELS:
        c = results["counts"]["requirements"][level]
        ran = c["total"] - c["not_run"]
        bits = " · ".join(
            f'<span class="tc-count tc-count-{s if c[s] else "zero"}">{_count(c[s], s)}</span>'
            for s in STATUS_ORDER if c[s] or s in ("passed", "failed")
        )
        rows.append(f'<div class="tc-level-row"><span class="tc-lv tc-lv-{level}">{level}</span>'
                    f'<span class="tc-level-total">{c["passed"]}/{ran} passed of {c["total"]}</span>'
                    f'{_meter(c)}<span class="tc-level-counts">{bits}</span></div>')
    return f'<div class="tc-levels" id="tc-levels">{"".join(rows)}</div>'


def _breakers(results: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Requirement id -> the failed/warned checks that break it, or the checks that blocked it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for check in results["checks"]:
        if check["outcome"] not in _BADGES:
            continue
        for rid in check["broken"] or check["requirements"]:
            out.setdefault(rid, []).append(check)
    return out


def _status_cell(req: dict[str, Any], breakers: list[dict[str, Any]]) -> str:
    status = req["status"]
    badge = f'<span class="tc-badge tc-badge-{status}">{STATUS_LABELS.get(status, status)}</span>'
    detail = ""
    if status in _BADGES:
        message = req["messages"][0] if req["messages"] else ""
        links = " ".join(f'<a class="tc-evidence-link" href="#{check_anchor(c["id"])}">evidence</a>'
                         for c in breakers[:3])
        detail = f'<div class="tc-detail">{esc(message)} {links}</div>'
    elif status == "skipped":
        reason = req["messages"][0] if req["messages"] else "skipped"
        detail = f'<div class="tc-detail">{esc(reason)}</div>'
    elif req["checks"]:
        n = len(req["checks"])
        detail = f'<div class="tc-detail tc-muted">{n} check{"s" if n != 1 else ""}</div>'
    return f"<td class=\"tc-status\">{badge}{detail}</td>"


def _matrix(results: dict[str, Any], failures: list[FailedCheck]) -> str:
    breakers = _breakers(results)
    areas: dict[str, list[dict[str, Any]]] = {}
    for req in results["requirements"]:
        areas.setdefault(req["area"], []).append(req)
    sections = []
    for area, reqs in areas.items():
        counts = {s: sum(1 for r in reqs if r["status"] == s) for s in STATUS_ORDER}
        summary = " · ".join(f'<span class="tc-count tc-count-{s}">{_count(counts[s], s)}</span>'
                             for s in STATUS_ORDER if counts[s])
        rows = []
        for r in reqs:
            rows.append(
                f'<tr id="{req_anchor(r["id"])}" class="tc-row tc-row-{r["status"]} tc-row-{r["level"]}">'
                f'<td class="tc-id"><code>{esc(r["id"])}</code></td>'
                f'<td><span class="tc-lv tc-lv-{r["level"]}">{esc(r["level"])}</span></td>'
                f'<td class="tc-statement">{esc(r["statement"])}</td>'
                f'<td class="tc-endpoint">{esc(r["endpoint"])}</td>'
                f'{_status_cell(r, breakers.get(r["id"], []))}</tr>'
            )
        failed_area = " tc-area-failed" if counts["failed"] else ""
        sections.append(
            f'<section class="tc-area{failed_area}" data-area="{esc(area)}">'
            f'<h3>{esc(area)} <span class="tc-area-counts">{summary}</span></h3>'
            '<table class="tc-matrix"><thead><tr><th>Requirement</th><th>Level</th><th>Statement</th>'
            f'<th>Endpoint</th><th>Status</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>'
        )
    return (f'<section id="tc-matrix"><h2>Compliance matrix</h2>{_level_summary(results)}'
            f'{"".join(sections)}</section>')


# --- failed and warned checks with their evidence ---------------------------------------------------------------


def _failures(failures: list[FailedCheck], results: dict[str, Any], statements: dict[str, str]) -> str:
    if not failures:
        return '<section id="tc-failures"><h2>Failed and warned checks</h2><p>No check failed.</p></section>'
    levels = {r["id"]: r["level"] for r in results["requirements"]}
    ranks = list(_BADGES)
    ordered = sorted(failures, key=lambda f: ranks.index(f.status))  # failed, warned, blocked; each in run order
    articles = [_failure(f, levels, statements) for f in ordered]
    title = "Failed, warned and blocked checks" if any(f.status == "blocked" for f in failures) else \
        "Failed and warned checks"
    return (f'<section id="tc-failures"><h2>{title} ({len(failures)})</h2>'
            f'{"".join(articles)}</section>')


def _failure(f: FailedCheck, levels: dict[str, str], statements: dict[str, str]) -> str:
    broken = f.broken or f.requirements
    reqs = "".join(
        f'<li><a href="#{req_anchor(rid)}"><code>{esc(rid)}</code></a> '
        f'<span class="tc-lv tc-lv-{esc(levels.get(rid, ""))}">{esc(levels.get(rid, "?"))}</span> '
        f'{esc(statements.get(rid, ""))}</li>'
        for rid in broken
    )
    label = _BADGES.get(f.status, f.status.upper())
    parts = [
        f'<article class="tc-check tc-check-{f.status}" id="{check_anchor(f.id)}">',
        f'<h3><span class="tc-badge tc-badge-{f.status}">{label}</span> <code>{esc(f.id)}</code></h3>',
        f'<p class="tc-message">{esc(f.message or "(no message)")}</p>',
        f'<div class="tc-breaks">{"Not verified (blocked)" if f.status == "blocked" else "Breaks"}:<ul>{reqs}</ul>'
        "</div>",
    ]
    if f.evidence:
        last = f.evidence[-1]
        parts.append('<div class="tc-repro"><div class="tc-repro-title">Reproduce the last request '
                     '(secrets are masked as [REDACTED]: put your own token in):</div>'
                     f'<pre class="tc-curl">{esc(last.get("curl", ""))}</pre></div>')
        parts.append(_exchanges(f.evidence))
    else:
        parts.append('<p class="tc-muted">This check made no HTTP request before it failed.</p>')
    if f.details and f.details.strip() != f.message.strip():
        parts.append('<details class="tc-trace"><summary>Full failure output</summary>'
                     f"<pre>{esc(f.details)}</pre></details>")
    parts.append("</article>")
    return "".join(parts)


def _exchanges(evidence: list[dict[str, Any]], title: str = "Evidence") -> str:
    n = len(evidence)
    shown: list[tuple[int, dict[str, Any]]] = list(enumerate(evidence))
    note = ""
    if n > MAX_EXCHANGES:
        keep_last = MAX_EXCHANGES - KEEP_FIRST
        shown = shown[:KEEP_FIRST] + shown[-keep_last:]
        note = (f'<p class="tc-muted">{n - MAX_EXCHANGES} of {n} requests in the middle are not shown '
                "(repeated polls).</p>")
    items = []
    for i, (index, ex) in enumerate(shown):
        if note and i == KEEP_FIRST:
            items.append(note)
        items.append(_exchange(index + 1, ex, last=index == n - 1))
    return (f'<div class="tc-evidence"><div class="tc-evidence-title">{esc(title)}: {_plural(n, "request")} '
            f'(click to expand)</div>{"".join(items)}</div>')


def _headers(headers: Any) -> str:
    return "\n".join(f"{name}: {value}" for name, value in (headers or []))


def _exchange(number: int, ex: dict[str, Any], last: bool) -> str:
    status = ex.get("status")
    outcome = str(status) if status is not None else f"no response ({ex.get('error') or 'error'})"
    elapsed = ex.get("elapsed")
    timing = f" · {float(elapsed) * 1000:.0f} ms" if isinstance(elapsed, int | float) else ""
    request = f"{ex.get('method', '')} {ex.get('url', '')}\n{_headers(ex.get('request_headers'))}"
    if ex.get("request_body"):
        request += f"\n\n{ex['request_body']}"
    if status is not None:
        response = f"HTTP {status}\n{_headers(ex.get('response_headers'))}"
        if ex.get("response_body"):
            response += f"\n\n{ex['response_body']}"
    else:
        response = f"no response: {ex.get('error') or 'error'}"
    cls = " tc-exchange-last" if last else ""
    status_cls = "tc-http-bad" if status is None or int(status) >= 400 else "tc-http-ok"
    return (f'<details class="tc-exchange{cls}"><summary><span class="tc-num">#{number}</span> '
            f'<span class="tc-method">{esc(ex.get("method"))}</span> <span class="tc-url">{esc(ex.get("url"))}</span>'
            f' → <span class="{status_cls}">{esc(outcome)}</span><span class="tc-muted">{esc(timing)}</span>'
            '</summary><div class="tc-exchange-body">'
            f'<div class="tc-half"><h4>Request</h4><pre class="tc-request">{esc(request)}</pre></div>'
            f'<div class="tc-half"><h4>Response</h4><pre class="tc-response">{esc(response)}</pre></div>'
            f'<div class="tc-full"><h4>curl</h4><pre class="tc-curl">{esc(ex.get("curl", ""))}</pre></div>'
            "</div></details>")


# --- the pytest-html hooks -------------------------------------------------------------------------------------


class HtmlHooks:
    """pytest-html hook implementations; registered only when pytest-html writes a report."""

    def __init__(self, outputs: ReportOutputs) -> None:
        self.outputs = outputs
        self._report_data: Any = None

    def _safe(self, what: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:  # a report problem never breaks the run
            self.outputs.problem(f"HTML report: {what} failed: {type(exc).__name__}: {exc}")

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        self._report_data = report
        report.title = "Coder Tasks API conformance report"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        def build() -> None:
            results = self.outputs.results
            if results is None:
                prefix.append(render_unavailable(self.outputs.unavailable_reason()))
                return
            statements = {r["id"]: r["statement"] for r in results["requirements"]}
            prefix.append(render_summary(results, self.outputs.failed_checks(), statements))
            if self._report_data is not None:
                target = results["target"]
                label = "INCOMPLETE" if results.get("incomplete") else results["verdict"].upper()
                self._report_data.title = (f"Conformance {label}: "
                                           f"{target['url'] or 'embedded'}{target['api_prefix']}")
        self._safe("the summary", build)
        self._safe("redacting the environment table", lambda: self._redact_environment(session.config))

    def _redact_environment(self, config: pytest.Config) -> None:
        from pytest_metadata.plugin import metadata_key

        metadata = config.stash.get(metadata_key, None)
        if metadata is None:
            return
        redactor = self.outputs.redactor()
        for key in list(metadata):
            metadata[key] = _clean_metadata(key, metadata[key], redactor)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, '<th class="col-requirements">Requirements</th>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        content = ""
        try:
            content = self._requirements_cell(report, cells)
        except Exception as exc:
            self.outputs.problem(f"HTML report: a table row failed: {type(exc).__name__}: {exc}")
        cells.insert(2, f'<td class="col-requirements">{content}</td>')

    def _requirements_cell(self, report: pytest.TestReport, cells: list[str]) -> str:
        ids = list(getattr(report, "requirements", ()) or ())
        levels = self.outputs.levels()
        parts = [f'<a href="#{req_anchor(rid)}"><code>{esc(rid)}</code></a>&nbsp;'
                 f'<span class="tc-lv tc-lv-{esc(levels.get(rid, ""))}">{esc(levels.get(rid, "?"))}</span>'
                 for rid in ids]
        status = self.outputs.check_status_of(report.nodeid)
        if status == "warning":
            parts.append('<span class="tc-badge tc-badge-warning">warning only</span>')
        if status in ("failed", "warning") and len(cells) > 3:
            link = (f'<a class="col-links__extra" href="#{check_anchor(report.nodeid)}" target="_self">'
                    "evidence</a>")
            cells[3] = cells[3].replace("</td>", link + "</td>", 1)
        return " ".join(parts)


_SECRET_KEY_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "AUTH", "COOKIE", "KEY")


def _clean_metadata(key: str, value: Any, redactor: Redactor) -> Any:
    """Environment-table values: secrets masked, HTML escaped (pytest-html inserts them as HTML)."""
    if isinstance(value, dict):
        return {esc(k): _clean_metadata(str(k), v, redactor) for k, v in value.items()}
    text = str(value)
    if any(word in key.upper() for word in _SECRET_KEY_WORDS) and text:
        return "[REDACTED]"
    return esc(redactor.text(text))
