"""No false failures against the reference server: both tiers pass for five different seeds."""

from __future__ import annotations

import pytest
from fuzz_support import fuzz_run

from conformance.fuzz.driver import run_gate, run_stateful
from conformance.fuzz.schema import OPERATIONS
from conformance.reference import ReferenceServer


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_both_tiers_pass_on_the_reference_server(seed: int) -> None:
    with ReferenceServer() as server, fuzz_run(server, fuzz_seed=seed) as fuzz:
        for op in OPERATIONS:
            run_gate(fuzz, op)  # raises CheckFailure on any failure
        run_stateful(fuzz)
        assert server.unexpected_errors == []
        assert all(s.requests > 0 and not s.stopped and not s.failures for s in fuzz.stats), \
            "\n".join(s.line() for s in fuzz.stats)
