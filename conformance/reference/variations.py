"""The variations of the reference: legitimate behaviours a correct server may show, which the suite must accept
(switches/, one registry with the faults). With any one of them on, a suite run against the reference server must
still pass (exit 0). ``warns`` names the SHOULD/MAY requirements a variation may legitimately break (reported as
warnings; the verdict stays pass); ``source`` why it is legitimate; ``profiles`` the generations whose servers may
legitimately behave so. ``ReferenceServer`` reads TASKS_CONFORMANCE_REFERENCE_VARIATIONS when it is given no explicit
variations (so ``tasks-conformance run`` can turn them on for the embedded server). The suite's own tests prove that
each variation changes what the server answers (tests/reference/test_ref_variations.py) and that the suite accepts
it (tests/faults/test_probes.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .switches.kinds import Variation
from .switches.registry import VARIATIONS, VARIATIONS_ENV_VAR, Active, of_profile, parse_names, validate_names

ENV_VAR = VARIATIONS_ENV_VAR

__all__ = ["ENV_VAR", "VARIATIONS", "ActiveVariations", "Variation", "list_variations", "parse_variation_list",
           "validate_variation_names", "variations_from_env"]


def list_variations(profile: str | None = None) -> list[Variation]:
    """Every registered variation (of one profile), in registry order."""
    return of_profile(VARIATIONS, profile)


def validate_variation_names(names: Iterable[str]) -> frozenset[str]:
    return validate_names(names, VARIATIONS, "variation")


def parse_variation_list(text: str) -> frozenset[str]:
    """Parse a comma-separated list of variation names (as given to --variations or the environment variable)."""
    return parse_names(text, VARIATIONS, "variation")


def variations_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """The variations named by TASKS_CONFORMANCE_REFERENCE_VARIATIONS, validated."""
    return parse_variation_list(environ.get(ENV_VAR, ""))


class ActiveVariations(Active[Variation]):
    """The set of variations switched on for one server; safe to change while requests are being served."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(VARIATIONS, "variation", names)
