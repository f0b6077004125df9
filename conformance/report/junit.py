"""JUnit XML of a run, for CI systems: one <testcase> per check, with stable names.

A check's case is named by its id: `classname` is its module's dotted name inside the package
(`conformance.checks.test_auth`), `name` the test with its parameters: the same wherever and however the suite
runs, so a CI system's test history holds. Failed and warned checks carry a <failure> (a SHOULD failure too; its
`status` property says warning), blocked checks an <error type="blocked"> (they could not run), skipped checks a
<skipped>, and waived checks (a known failure an unexpired waiver covers) a <skipped type="waived"> naming the
waiver: CI tools count them as neither failed nor errors. The test suite's properties carry the verdict and the
run's provenance.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from conformance.runner.outcomes.result import CheckResult, RunResult

SUITE_NAME = "tasks-conformance"


def _case_names(check_id: str) -> tuple[str, str]:
    module, _, name = check_id.partition("::")
    return module.removesuffix(".py").replace("/", "."), name or module


def _properties(parent: ET.Element, items: list[tuple[str, str]]) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in items:
        ET.SubElement(props, "property", name=name, value=value)


def _case(suite: ET.Element, check: CheckResult, result: RunResult) -> None:
    o = check.outcome
    classname, name = _case_names(o.id)
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{o.duration:.3f}")
    items = [("requirement", rid) for rid in o.requirements]
    items += [("level", check.level), ("status", check.status), ("check_id", o.id)]
    items += list(o.properties)
    _properties(case, items)
    if check.status in ("failed", "warning"):
        failure = ET.SubElement(case, "failure", message=o.message, type=check.status)
        failure.text = f"{o.details or o.message}\n\nrerun: {check.rerun}"
    elif check.status == "blocked":
        error = ET.SubElement(case, "error", message=o.message, type="blocked")
        error.text = f"{o.details or o.message}\n\nrerun: {check.rerun}"
    elif check.status == "waived":  # a known failure a waiver covers: not a failure for CI, and says why
        skipped = ET.SubElement(case, "skipped", message=f"waived: {o.message}", type="waived")
        waivers = [f"{rid} waived until {w.expires.isoformat()}: {w.reason}" for rid, w in result.waivers.waived.items()
                   if rid in o.requirements]
        skipped.text = f"{'; '.join(waivers)}\n\n{o.details or o.message}\n\nrerun: {check.rerun}"
    elif check.status == "skipped":
        ET.SubElement(case, "skipped", message=o.message)


def to_xml(result: RunResult) -> bytes:
    facts = result.facts
    checks = result.checks
    failures = sum(1 for c in checks if c.status in ("failed", "warning"))
    errors = sum(1 for c in checks if c.status == "blocked")
    skipped = sum(1 for c in checks if c.status in ("skipped", "waived"))
    root = ET.Element("testsuites", name=SUITE_NAME, tests=str(len(checks)), failures=str(failures),
                      errors=str(errors), skipped=str(skipped), time=f"{facts.duration:.3f}")
    suite = ET.SubElement(root, "testsuite", name=SUITE_NAME, tests=str(len(checks)), failures=str(failures),
                          errors=str(errors), skipped=str(skipped), time=f"{facts.duration:.3f}",
                          timestamp=datetime.fromtimestamp(facts.started, UTC).isoformat(timespec="seconds"))
    _properties(suite, [
        ("verdict", result.verdict.status),
        ("verdict_label", result.verdict.label),
        ("exit_code", str(result.exit_code)),
        ("suite_version", facts.suite_version),
        ("target", f"{facts.target_url}{facts.api_prefix}"),
        ("server_version", facts.server_version or ""),
        ("profile", facts.profile),
        ("profile_reason", facts.profile_reason),
        ("seed", "" if facts.seed is None else str(facts.seed)),
        ("strict", str(facts.strict).lower()),
        ("read_only", str(facts.read_only).lower()),
        ("incomplete", str(result.incomplete).lower()),
    ])
    for check in checks:
        _case(suite, check, result)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
