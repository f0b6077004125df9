"""`tasks-conformance audit FILE...`: the lines of what failed, a summary, `--json`, the exit code.

Exit 0: every judged exchange passed; 1: one failed; 2: a file named on the command line could not be read as a
recording (in a directory given, files that are no recordings are skipped), or no exchange of the files could be
judged (the wrong file, most likely). Secrets the recordings carry (tokens in
headers, cookies, query parameters) are learned as they are read and masked, with their encoded forms, in
everything printed; server-supplied text never reaches the terminal raw.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from conformance.audit import FAILED, IGNORED, PASSED
from conformance.contracts.profiles import PROFILE_NAMES
from conformance.runner.records import redact
from conformance.runner.settings.exitcodes import EXIT_FAIL, EXIT_PASS, EXIT_USAGE

if TYPE_CHECKING:  # the parser reads this module for every command: what judging needs is loaded when it runs
    from conformance.audit.judge import Judgement
    from conformance.audit.recordings import Recorded

KEPT_FAILURES = 1000  # failing exchanges listed (all are counted)
PROGRESS_EVERY = 5.0  # seconds between progress lines on stderr while reading large files
_MIN_SECRET = redact.FRAGMENT  # shorter header or cookie values are not taken for secrets (they would mask words)

DESCRIPTION = """\
Judge recorded traffic offline: HAR files (browsers' developer tools, proxies, the suite's own
reports/evidence.har) and VCR.py cassettes (vcrpy, pytest-recording; YAML or JSON; a directory is searched
for *.har, *.json, *.yaml, *.yml). Each exchange with the Tasks API (any host, /api/v2 or /api/experimental)
is judged by the contract of its generation: --profile when given, else the release in its recorded
X-Coder-Build-Version, else the generation of its prefix. Other traffic is counted and ignored."""

EPILOG = """\
exit codes:
  0    every judged exchange passed
  1    an exchange failed
  2    a file named is not a readable HAR file or cassette, or no exchange could be judged
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="HAR files, cassettes or directories")
    parser.add_argument("--profile", choices=PROFILE_NAMES, default=None,
                        help="judge every exchange by this generation's contract (default: each exchange's own)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of text")


@dataclass
class Tally:
    """What an audit found, counted as it reads; at most KEPT_FAILURES failures kept whole."""

    files: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files in a directory given that are no recordings
    exchanges: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    operations: dict[str, Counter[str]] = field(default_factory=dict)
    ignored: Counter[str] = field(default_factory=Counter)
    bases: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    failures: list[Judgement] = field(default_factory=list)

    def add(self, judgement: Judgement) -> None:
        self.exchanges += 1
        self.outcomes[judgement.outcome] += 1
        if judgement.outcome == IGNORED:
            self.ignored[judgement.note] += 1
            return
        self.operations.setdefault(judgement.operation, Counter())[judgement.outcome] += 1
        self.bases[judgement.basis] += 1
        if judgement.note:
            self.notes[judgement.note] += 1
        if judgement.outcome == FAILED and len(self.failures) < KEPT_FAILURES:
            self.failures.append(judgement)

    @property
    def judged(self) -> int:
        return self.outcomes[PASSED] + self.outcomes[FAILED]

    def exit_code(self) -> int:
        if self.unreadable or not self.judged:
            return EXIT_USAGE
        return EXIT_FAIL if self.outcomes[FAILED] else EXIT_PASS


def learn_secrets(exchange: Recorded, redactor: redact.Redactor) -> None:
    """Teach the redactor the secrets one exchange carries: secret header values (and a Bearer token or each
    cookie's value in them), secret query parameters and the cookies a HAR lists."""
    values: list[str] = list(exchange.cookies)
    for name, value in (*exchange.request_headers, *exchange.response_headers):
        low = name.lower()
        if low == "cookie":
            values.extend(part.split("=", 1)[-1] for part in value.split(";"))
        elif low == "set-cookie":  # the value only: its attributes (Expires) change from answer to answer
            values.append(value.split(";", 1)[0].split("=", 1)[-1])
        elif low in redact.SECRET_HEADERS:
            scheme, _, credential = value.strip().partition(" ")
            values.append(credential or scheme)  # "Bearer <token>", or the token itself
            if scheme.lower() == "basic":  # base64 of user:password: the decoded forms are secrets too
                values += _basic_credentials(credential)
    try:
        query = urlsplit(exchange.url).query
    except ValueError:
        query = ""
    values.extend(v for k, v in parse_qsl(query) if k.lower() in redact.SECRET_QUERY_KEYS)
    for value in values:
        value = value.strip()
        if len(value) >= _MIN_SECRET and value != redact.MASK:
            redactor.add(value)  # a secret learned before costs a set lookup


def _basic_credentials(encoded: str) -> list[str]:
    """`user:password` and the password of a Basic credential (none when it does not decode)."""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return []
    return [decoded, decoded.partition(":")[2]]


def audit(paths: Iterable[Path], profile: str | None, redactor: redact.Redactor,
          progress: Any = None) -> Tally:
    from conformance.audit.judge import judge
    from conformance.audit.recordings import RecordingError, expand, read

    tally = Tally()
    last = time.monotonic()
    for path, named in expand(paths):
        read_before = tally.exchanges
        try:
            for exchange in read(path):
                learn_secrets(exchange, redactor)
                tally.add(judge(exchange, profile))
                if progress is not None and time.monotonic() - last > PROGRESS_EVERY:
                    last = time.monotonic()
                    print(f"audit: {tally.exchanges} exchanges read ({redactor.text(path.name)})", file=progress,
                          flush=True)
        except RecordingError as exc:
            if not named and tally.exchanges == read_before:  # e.g. the results.json next to an evidence.har
                tally.skipped.append(str(path))
                continue
            tally.unreadable.append(str(exc))
        tally.files.append(str(path))
    return tally


def run(args: argparse.Namespace) -> int:
    redactor = redact.install(redact.Redactor())
    tally = audit(args.files, args.profile, redactor, progress=sys.stderr)
    if args.json:
        print(json.dumps(as_json(tally, redactor), indent=2, ensure_ascii=False))
    else:
        for line in as_text(tally, redactor):
            print(line)
    return tally.exit_code()


def _shown(judgement: Judgement, redactor: redact.Redactor) -> dict[str, Any]:
    data = asdict(judgement)
    for key in ("source", "path", "note", "basis"):
        data[key] = redactor.text(judgement.__dict__[key])
    data["problems"] = [redactor.text(p) for p in judgement.problems]
    return data


def as_json(tally: Tally, redactor: redact.Redactor) -> dict[str, Any]:
    return {
        "files": [redactor.text(f) for f in tally.files],
        "unreadable": [redactor.text(u) for u in tally.unreadable],
        "skipped": [redactor.text(f) for f in tally.skipped],
        "exchanges": tally.exchanges, "judged": tally.judged, "passed": tally.outcomes[PASSED],
        "failed": tally.outcomes[FAILED], "ignored": tally.outcomes[IGNORED],
        "ignored_by_reason": dict(tally.ignored.most_common()),
        "by_operation": {op: {"judged": c[PASSED] + c[FAILED], "passed": c[PASSED], "failed": c[FAILED]}
                         for op, c in sorted(tally.operations.items())},
        "judged_by": dict(tally.bases.most_common()),
        "not_judged_in_part": dict(tally.notes.most_common()),
        "failures": [_shown(j, redactor) for j in tally.failures],
        "failures_not_listed": tally.outcomes[FAILED] - len(tally.failures),
        "exit_code": tally.exit_code(),
    }


def as_text(tally: Tally, redactor: redact.Redactor) -> Iterator[str]:
    for judgement in tally.failures:
        shown = _shown(judgement, redactor)
        yield (f"FAIL  {shown['source']}  {redactor.text(judgement.method)} {shown['path']} -> {judgement.status}  "
               f"{judgement.operation}  [judged by {shown['basis']}]")
        for problem in shown["problems"]:
            yield f"      {problem}"
    if tally.outcomes[FAILED] > len(tally.failures):
        yield f"... and {tally.outcomes[FAILED] - len(tally.failures)} more failed exchanges (not listed)"
    for problem in tally.unreadable:
        yield f"UNREADABLE  {redactor.text(problem)}"
    files = f"{len(tally.files)} file{'s' if len(tally.files) != 1 else ''}"
    if tally.skipped:
        files += f" ({len(tally.skipped)} more in the directories given are no recordings: skipped)"
    yield (f"audited {files}: {tally.exchanges} exchanges; {tally.judged} judged: {tally.outcomes[PASSED]} passed, "
           f"{tally.outcomes[FAILED]} failed; {tally.outcomes[IGNORED]} ignored")
    for note, count in tally.ignored.most_common(8):
        yield f"  ignored {count:6}  {redactor.text(note)}"
    if tally.operations:
        yield f"  {'operation':18} {'judged':>7} {'failed':>7}"
        for op, counts in sorted(tally.operations.items()):
            yield f"  {op:18} {counts[PASSED] + counts[FAILED]:7} {counts[FAILED]:7}"
    for basis, count in tally.bases.most_common():
        yield f"  judged by {redactor.text(basis)}: {count}"
    for note, count in tally.notes.most_common():
        yield f"  in part {count:6}  {redactor.text(note)}"
    if not tally.judged and not tally.unreadable:
        yield "nothing to audit: no exchange in the files given has an operation of a contract to judge it by"
    verdict = {EXIT_PASS: "PASS", EXIT_FAIL: "FAIL"}.get(tally.exit_code(), "INCOMPLETE")
    yield f"audit: {verdict}"
