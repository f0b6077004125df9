"""The import graph of `conformance/` runs one way: no cycle between modules or rooms, no import up the chain.

The chain (CONTRIBUTING.md, "The import chain") is the table below: a room may import itself and the rooms it
lists, nothing else. Data flows from the settings to the checks to one run result to the reports; the reports
import nothing that does HTTP, and nothing below the entry points imports them. Imports inside functions count
like any other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "conformance"

_BELOW_HTTP = {"conformance", "contracts", "runner.process", "runner.records", "runner.settings"}
_BELOW_CHECKS = _BELOW_HTTP | {"runner.http", "runner.tasks", "runner.target", "runner.outcomes", "runner"}
CHAIN: dict[str, set[str]] = {
    "conformance": set(),
    "contracts": {"conformance"},
    "runner.process": {"conformance"},
    "runner.records": {"conformance", "contracts", "runner.process"},
    "runner.settings": {"conformance", "contracts", "runner.process", "runner.records"},
    "runner.http": _BELOW_HTTP,
    "runner.tasks": _BELOW_HTTP | {"runner.http"},
    "runner.target": _BELOW_HTTP | {"runner.http", "runner.tasks"},
    "runner.outcomes": _BELOW_HTTP | {"runner.http", "runner.tasks"},
    "report": _BELOW_HTTP | {"runner.outcomes"},
    "audit": _BELOW_HTTP | {"runner.tasks", "runner.target", "report"},
    "runner": _BELOW_CHECKS - {"runner"},
    "checks": _BELOW_CHECKS,
    "fuzz": _BELOW_CHECKS | {"checks"},
    "reference": {"conformance", "contracts"},
    "plugin": _BELOW_CHECKS | {"report", "audit", "checks", "fuzz", "reference"},
    "serve": {"conformance", "contracts", "runner.process", "runner.settings", "reference"},
    "cli": _BELOW_CHECKS | {"report", "audit", "reference", "plugin", "serve"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room(module: str) -> str:
    """The room of a module: its package below `conformance` (runner's sub-packages are rooms of their own)."""
    parts = module.split(".")[1:]
    if not parts:
        return "conformance"
    if parts[0] == "runner" and len(parts) > 2:
        return f"runner.{parts[1]}"
    if parts[0] == "runner" and len(parts) == 2 and (PACKAGE / "runner" / parts[1]).is_dir():
        return f"runner.{parts[1]}"
    return parts[0].removesuffix(".py")


def _imports(path: Path, module: str, known: set[str]) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                yield name


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    known = set(files)
    return {module: set(_imports(path, module, known)) for module, path in files.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_another_that_imports_it_back() -> None:
    cycle = _cycle(import_graph())
    assert cycle is None, "an import cycle: " + " -> ".join(cycle or [])


def test_no_room_imports_another_that_imports_it_back() -> None:
    rooms: dict[str, set[str]] = {}
    for module, imported in import_graph().items():
        rooms.setdefault(_room(module), set()).update(_room(name) for name in imported if _room(name) != _room(module))
    cycle = _cycle(rooms)
    assert cycle is None, "rooms import each other: " + " -> ".join(cycle or [])


def test_every_import_runs_down_the_chain() -> None:
    upward = sorted(f"{module} imports {name} ({_room(module)} -> {_room(name)})"
                    for module, imported in import_graph().items() for name in imported
                    if _room(name) != _room(module) and _room(name) not in CHAIN.get(_room(module), set()))
    assert not upward, "imports that run up the chain:\n" + "\n".join(upward)


def test_every_room_is_in_the_chain() -> None:
    assert {_room(module) for module in import_graph()} == set(CHAIN)


# Every module of these packages reads or writes files only: none may load an HTTP library, however it imports.
# (The audit takes httpx's Response as the checks' expectations do, and records/traffic.py the transport's answers.)
OFFLINE = ("conformance.report", "conformance.runner.settings", "conformance.runner.records.bodies",
           "conformance.runner.records.evidence", "conformance.runner.records.outcome",
           "conformance.runner.records.redact", "conformance.runner.records.results_file")


@pytest.mark.parametrize("module", sorted(m for m in import_graph() if m.startswith(OFFLINE)))
def test_reading_settings_writing_reports_and_auditing_load_no_http_library(module: str) -> None:
    code = (f"import sys, {module}; "
            "print(' '.join(sorted(m for m in ('httpx', 'httpcore', 'requests', 'urllib3') if m in sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"importing {module} loads {loaded}"
