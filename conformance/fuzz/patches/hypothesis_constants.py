"""Hypothesis leaves the suite's own source out of the data it generates.

Hypothesis mixes string and number literals of the modules it takes for the project's own (here: the suite's) into
generated data, so the fuzz tiers' requests would change with any edit anywhere in the suite, and with which check
modules happen to be loaded. The fuzz tiers' data must depend on the seed, the budget and the contract alone.
Hypothesis has no setting for it, so while a tier runs the function that collects those literals
(`hypothesis.internal.conjecture.providers._get_local_constants`) answers "none", and the cache of constants drawn
from it is emptied before and after. Without the patch fuzzing would no longer repeat: a missing target raises
LibraryChanged."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from functools import cached_property
from types import ModuleType
from typing import Any

from conformance.fuzz.patches import LibraryChanged

LIBRARY = "hypothesis"
MODULE = "hypothesis.internal.conjecture.providers"
NAME = "_get_local_constants"
TARGET = f"{MODULE}.{NAME}"
CONSEQUENCE = "the fuzz tiers' generated data would depend on the suite's own source (fuzzing would not repeat)"


def target() -> tuple[ModuleType, Any, Any, Any]:
    """The providers module, the function replaced, the cache emptied and an empty `Constants`, after checking the
    shape the patch relies on: the provider gets its local constants by calling the module-level function by name."""
    try:
        module = importlib.import_module(MODULE)
        constants = importlib.import_module("hypothesis.internal.constants_ast").Constants
        empty = constants()
    except (ImportError, AttributeError, TypeError):
        raise LibraryChanged(LIBRARY, TARGET, CONSEQUENCE) from None
    function = getattr(module, NAME, None)
    cache = getattr(module, "CONSTANTS_CACHE", None)
    provider = vars(getattr(module, "HypothesisProvider", object)).get("_local_constants")
    code = getattr(getattr(provider, "func", None), "__code__", None)
    if not (callable(function) and callable(getattr(getattr(cache, "cache", None), "clear", None))
            and isinstance(provider, cached_property) and code is not None and NAME in code.co_names
            and len(empty) == 0):
        raise LibraryChanged(LIBRARY, TARGET, CONSEQUENCE)
    return module, function, cache, empty


@contextlib.contextmanager
def without_local_constants() -> Iterator[None]:
    """Within the block Hypothesis draws no constant from the suite's own modules."""
    module, original, cache, empty = target()
    setattr(module, NAME, lambda: empty)
    cache.cache.clear()
    try:
        yield
    finally:
        setattr(module, NAME, original)
        cache.cache.clear()
