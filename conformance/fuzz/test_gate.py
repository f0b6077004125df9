"""The gate tier: deterministic property-based fuzzing of each operation (examples, coverage, fuzzing phases)."""

from __future__ import annotations

import pytest

from conformance.contracts.profiles import OPERATION_FEATURES
from conformance.fuzz.driver import FuzzRun, run_gate
from conformance.fuzz.schema import OPERATIONS, READ_ONLY_OPERATIONS, gate_requirements


@pytest.mark.parametrize("operation_id", [
    pytest.param(op, id=op, marks=[pytest.mark.requirement(*gate_requirements(op)),
                                   *([pytest.mark.readonly] if op in READ_ONLY_OPERATIONS else []),
                                   *([pytest.mark.feature(OPERATION_FEATURES[op])] if op in OPERATION_FEATURES
                                     else [])])
    for op in OPERATIONS
])
def test_gate(operation_id: str, fuzz: FuzzRun, request: pytest.FixtureRequest) -> None:
    """Schemathesis's examples and coverage phases plus `fuzz_budget` generated examples, positive and negative,
    seeded: the same requests on every run. Every response must pass Schemathesis's checks."""
    run_gate(fuzz, operation_id, request.node)
