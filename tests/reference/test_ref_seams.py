"""The reference is a conforming core plus seams: the core knows nothing of switches, every switch is whole in one
file of switches/, a switch naming a seam or a decision that does not exist fails when it is declared, and the
reference's modules import one another without a cycle.

The checks are functions of a folder (``reference``: conformance/reference), so that they can be run against
another tree of the reference as well.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.reference import FAULTS, VARIATIONS
from conformance.reference.conforming.decisions import Decisions
from conformance.reference.switches.kinds import Switch, fault, variation

REFERENCE = Path(__file__).resolve().parents[2] / "conformance" / "reference"
PACKAGE = "conformance.reference"
CORE = "conforming"
SWITCHES = "switches"
_WORDS = re.compile(r"\b(fault|variation|switch|hook)", re.IGNORECASE)


def _module_name(path: Path, reference: Path) -> str:
    parts = path.relative_to(reference).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def _imports(path: Path, reference: Path) -> Iterator[str]:
    """Every module a file imports (at its top or inside a function), relative imports resolved."""
    module = _module_name(path, reference)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)  # `from . import area` names a module


def core_problems(reference: Path = REFERENCE) -> list[str]:
    """What in the conforming core speaks of switches, or imports the reference outside the core."""
    problems = []
    for path in sorted((reference / CORE).glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _WORDS.search(line):
                problems.append(f"{path.name}:{number}: {line.strip()}")
        for imported in _imports(path, reference):
            outside = imported == PACKAGE or imported.startswith(f"{PACKAGE}.")
            if outside and not imported.startswith(f"{PACKAGE}.{CORE}"):
                problems.append(f"{path.name} imports {imported}")
    return problems


def import_cycles(reference: Path = REFERENCE) -> list[list[str]]:
    """The cycles of the import graph of the reference's modules."""
    files = {_module_name(path, reference): path for path in reference.rglob("*.py")}
    graph = {name: sorted({m for m in _imports(path, reference) if m in files and m != name})
             for name, path in files.items()}
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for nxt in graph[name]:
            if state.get(nxt) == "open":
                cycles.append([*trail[trail.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def _switch_functions(switch: Switch) -> list[Callable[..., Any]]:
    seams = switch.seams
    found: list[Callable[..., Any]] = [*seams.answers.values(), *seams.decisions.values()]
    return [*found, seams.tasks] if seams.tasks is not None else found


def _used(function: Any, seen: set[int]) -> Iterator[Any]:
    """The function, and the functions and classes of the switches it uses (through its globals and closure)."""
    if id(function) in seen:
        return
    seen.add(id(function))
    yield function
    code = getattr(function, "__code__", None)
    if code is None:
        return
    names: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(const for const in current.co_consts if isinstance(const, types.CodeType))
    used = [function.__globals__.get(name) for name in names]
    used += [cell.cell_contents for cell in function.__closure__ or ()]
    for item in used:
        of_switches = (inspect.isfunction(item) or inspect.isclass(item)) and \
            item.__module__.startswith(f"{PACKAGE}.{SWITCHES}.")
        if of_switches:
            yield from _used(item, seen)


def switch_file_problems(reference: Path = REFERENCE) -> list[str]:
    """Each switch must be named in exactly one file of switches/, and all it uses must be defined there."""
    texts = {path: path.read_text(encoding="utf-8") for path in sorted((reference / SWITCHES).glob("*.py"))}
    problems = []
    for name, switch in [*FAULTS.items(), *VARIATIONS.items()]:
        homes = [path for path, text in texts.items() if f'"{name}"' in text]
        if len(homes) != 1:
            problems.append(f"{name} is named in {[p.name for p in homes]}")
            continue
        home = _module_name(homes[0], reference)
        for function in _switch_functions(switch):
            for used in _used(function, set()):
                if used.__module__ != home:
                    problems.append(f"{name} ({homes[0].name}) uses {used.__qualname__} of {used.__module__}")
    return problems


# -- (1) the core ------------------------------------------------------------------------------------------------


def test_the_conforming_core_speaks_of_no_switch_and_imports_none() -> None:
    assert core_problems() == []


def test_the_core_check_finds_a_word_and_an_import(tmp_path: Path) -> None:
    core = tmp_path / CORE
    core.mkdir()
    (core / "handler.py").write_text('"""Where a Hook changes it."""\nfrom .. import seams\n')
    assert core_problems(tmp_path) == ['handler.py:1: """Where a Hook changes it."""',
                                       f"handler.py imports {PACKAGE}", f"handler.py imports {PACKAGE}.seams"]


# -- (2) every switch in one file --------------------------------------------------------------------------------


def test_every_switch_is_whole_in_one_file_of_its_area() -> None:
    assert switch_file_problems() == []
    assert len(FAULTS) == 129 and len(VARIATIONS) == 35


# -- (3) an unknown seam or decision fails when the switch is declared -------------------------------------------


def _load(tmp_path: Path, source: str) -> None:
    path = tmp_path / "throwaway_switches.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("throwaway_switches", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop("throwaway_switches", None)


_HEADER = ("from conformance.reference.conforming.decisions import Decisions\n"
           "from conformance.reference.switches.kinds import fault, variation\n")


def test_a_switch_naming_an_unknown_decision_fails_when_its_module_loads(tmp_path: Path) -> None:
    with pytest.raises(AttributeError, match="no_such_decision"):
        _load(tmp_path, _HEADER + 'SWITCHES = (fault("x", "x", breaks=(), area="delete",\n'
                                  '                   decisions={Decisions.no_such_decision: lambda below: 1}),)\n')


def test_a_switch_naming_an_unknown_operation_fails_when_its_module_loads(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="getTasks"):
        _load(tmp_path, _HEADER + 'SWITCHES = (variation("x", "x", source="s",\n'
                                  '                       answers={"getTasks": lambda answer: answer}),)\n')


def test_a_decision_must_be_a_method_of_the_decisions() -> None:
    class Lookalike:
        def find(self) -> None:
            return None

    with pytest.raises(ValueError, match="find is not a decision"):
        fault("x", "x", breaks=(), area="delete", decisions={Lookalike.find: lambda below: None})
    with pytest.raises(ValueError, match="changes nothing"):
        variation("x", "x", source="s")
    with pytest.raises(ValueError, match="unknown area"):
        fault("x", "x", breaks=(), area="deletes", decisions={Decisions.find: lambda below, *a: None})
    assert fault("x", "x", breaks=(), area="delete", decisions={Decisions.find: lambda below, *a: None}).name == "x"


# -- (4) no import cycle ---------------------------------------------------------------------------------------------


def test_the_reference_imports_without_a_cycle() -> None:
    assert import_cycles() == []


def test_the_cycle_check_finds_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from .b import x\n")
    (tmp_path / "b.py").write_text("def f() -> None:\n    from .a import y\n")
    assert import_cycles(tmp_path) == [[f"{PACKAGE}.a", f"{PACKAGE}.b", f"{PACKAGE}.a"]]
