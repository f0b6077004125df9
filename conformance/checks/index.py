"""Which checks verify each requirement, read from the check modules' marks without collecting them in pytest
(`tasks-conformance requirements` answers in well under a second)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import conformance.checks
import conformance.fuzz

_PACKAGES = (conformance.checks, conformance.fuzz)


def _marks(obj: Any) -> list[Any]:
    marks = getattr(obj, "pytestmark", [])
    return list(marks) if isinstance(marks, list) else [marks]


def _requirements(marks: list[Any]) -> list[str]:
    return [str(a) for m in marks if getattr(m, "name", "") == "requirement" for a in m.args]


def _checks() -> Iterator[tuple[str, list[str]]]:
    """(check id, its requirement ids) for every check function, a parameter that adds requirements of its own
    as a check of its own."""
    for package in _PACKAGES:
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("test_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            path = f"{package.__name__.replace('.', '/')}/{info.name}.py"
            shared = _requirements(_marks(module))
            for name, function in vars(module).items():
                if not name.startswith("test_") or not callable(function):
                    continue
                marks = _marks(function)
                own = shared + _requirements(marks)
                params = [p for m in marks if getattr(m, "name", "") == "parametrize" for p in m.args[1]]
                extra = [(getattr(p, "id", None) or str(index), _requirements(list(getattr(p, "marks", ()))))
                         for index, p in enumerate(params)]
                if any(reqs for _, reqs in extra):
                    for param_id, reqs in extra:
                        yield f"{path}::{name}[{param_id}]", list(dict.fromkeys(own + reqs))
                else:
                    yield f"{path}::{name}", list(dict.fromkeys(own))


def checks_by_requirement() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for check, requirements in _checks():
        for rid in requirements:
            out.setdefault(rid, []).append(check)
    return out
