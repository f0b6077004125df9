"""Each fault only fuzzing would reasonably find is caught by the fuzz tiers (exit 1, the right requirement)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fuzz_support import run_fuzz_suite

# fault -> a requirement the fuzz tiers must report as failed
FUZZ_ONLY_FAULTS = {
    "query-double-space-500": "FUZZ-NO-SERVER-ERROR",
    "long-numeric-name-schema-violation": "FUZZ-RESPONSE-SCHEMA",
    "unknown-field-id-mismatch": "FUZZ-RESOURCE-AVAILABLE",
    "logs-skips-auth": "FUZZ-IGNORED-AUTH",
}


@pytest.mark.parametrize("fault", list(FUZZ_ONLY_FAULTS))
def test_the_fuzz_tiers_catch_the_fault(tmp_path: Path, fault: str) -> None:
    result = run_fuzz_suite("--reference-faults", fault, report_dir=tmp_path)
    assert result.code == 1, result.output
    assert f"FAIL  MUST   {FUZZ_ONLY_FAULTS[fault]}" in result.output, result.output
    assert "reproduce: curl" in result.output
    tokens = re.findall(r"(?i)coder-session-token: ([^'\s]+)", result.output)
    assert set(tokens) <= {"[REDACTED]"}, "a session token was printed"


def test_the_faults_are_registered() -> None:
    from conformance.reference import FAULTS

    assert set(FUZZ_ONLY_FAULTS) <= set(FAULTS)
