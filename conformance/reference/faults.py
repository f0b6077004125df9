"""The faults of the reference: small, realistic deviations it can be told to make (switches/, one registry with the
variations). ``breaks`` names the requirements a suite run must report as failed when the fault is on by itself (a
fault breaking only SHOULD requirements is caught with ``--strict``); ``profiles`` the generations it is a fault of.
The suite's own tests prove that every fault changes what the server answers (tests/reference/test_ref_faults.py)
and that the suite catches it (tests/faults/test_fault_catalogue.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .switches.kinds import Fault
from .switches.registry import FAULTS, FAULTS_ENV_VAR, Active, of_profile, parse_names, validate_names

ENV_VAR = FAULTS_ENV_VAR

__all__ = ["ENV_VAR", "FAULTS", "ActiveFaults", "Fault", "faults_from_env", "list_faults", "parse_fault_list",
           "validate_fault_names"]


def list_faults(profile: str | None = None) -> list[Fault]:
    """Every registered fault (of one profile), in registry order."""
    return of_profile(FAULTS, profile)


def validate_fault_names(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a set, or raise ValueError naming the unknown ones and listing the valid ones."""
    return validate_names(names, FAULTS, "fault")


def parse_fault_list(text: str) -> frozenset[str]:
    """Parse a comma-separated list of fault names (as given to --faults or the environment variable)."""
    return parse_names(text, FAULTS, "fault")


def faults_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """The faults named by TASKS_CONFORMANCE_REFERENCE_FAULTS, validated."""
    return parse_fault_list(environ.get(ENV_VAR, ""))


class ActiveFaults(Active[Fault]):
    """The set of faults switched on for one server; safe to change while requests are being served."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(FAULTS, "fault", names)
