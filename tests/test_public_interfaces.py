"""The suite uses only the public interfaces of the libraries it stands on: no module under conformance/ imports a
private module of httpx, httpcore, requests, urllib3 or pytest (`_pytest` included), nor reads or writes a private
attribute (a name with one leading underscore) of their objects. Schemathesis and Hypothesis offer no public hook
for two things the fuzz tiers need: those patches live in conformance/fuzz/patches/ alone (one module each, tested
in tests/fuzz/test_library_patches.py), and no other module touches those two libraries' private names either.

An AST walk, not a type checker: a name counts as a library object when it is bound by an import from the library,
annotated with one of its types, or assigned (or looped over) from an expression that mentions such a name, within
the module or the function at hand. It catches what the suite did before (HTTPHeaderDict from
urllib3._collections, a pool's _network_backend reached through getattr, a response's _content written) and their
like; an attribute reached through `self` is out of its sight."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "conformance"
WATCHED = frozenset({"httpx", "httpcore", "requests", "urllib3", "pytest", "_pytest"})
PATCHED = frozenset({"schemathesis", "hypothesis"})  # private names allowed in conformance/fuzz/patches/ only
PATCHES = PACKAGE / "fuzz" / "patches"
ACCESSORS = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _names(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id


def _targets(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            yield sub.id


class _Walker(ast.NodeVisitor):
    """Collects (line, text) of every private use of the libraries in `libraries`."""

    def __init__(self, libraries: frozenset[str]) -> None:
        self.libraries = libraries
        self.bound: set[str] = set()  # names that hold a library module or object in the current scope
        self.imported: set[str] = set()  # names bound by an import of the library (a module, class or function)
        self.found: list[tuple[int, str]] = []

    # imports -------------------------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] in self.libraries:
                if any(_private(p) for p in parts) or parts[0] == "_pytest":
                    self.found.append((node.lineno, f"import {alias.name}"))
                self.bound.add(alias.asname or parts[0])
                self.imported.add(alias.asname or parts[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        parts = (node.module or "").split(".")
        if node.level or parts[0] not in self.libraries:
            return
        if any(_private(p) for p in parts) or parts[0] == "_pytest":
            self.found.append((node.lineno, f"from {node.module} import ..."))
        for alias in node.names:
            if _private(alias.name):
                self.found.append((node.lineno, f"from {node.module} import {alias.name}"))
            self.bound.add(alias.asname or alias.name)
            self.imported.add(alias.asname or alias.name)

    # scopes: a function sees the module's names, its annotated parameters, and what it binds from them --------
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, outer_imported = set(self.bound), set(self.imported)
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None and self.bound & set(_names(arg.annotation)):
                self.bound.add(arg.arg)
        self.generic_visit(node)
        self.bound, self.imported = outer, outer_imported

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def _taint(self, targets: list[ast.AST], value: ast.AST | None, annotation: ast.AST | None = None) -> None:
        mentioned = set(_names(value)) if value is not None else set()
        if annotation is not None:
            mentioned |= set(_names(annotation))
        if self.bound & mentioned:
            for target in targets:
                self.bound.update(_targets(target))

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        self._taint(list(node.targets), node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        self._taint([node.target], node.value, node.annotation)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.generic_visit(node)
        self._taint([node.target], node.value)

    def visit_For(self, node: ast.For) -> None:
        self._taint([node.target], node.iter)
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._taint([item.optional_vars], item.context_expr)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._taint([node.target], node.iter)
        self.generic_visit(node)

    # uses ------------------------------------------------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _private(node.attr) and self.bound & set(_names(node.value)):
            self.found.append((node.lineno, f"{ast.unparse(node.value)}.{node.attr}"))
        elif (isinstance(node.ctx, ast.Store | ast.Del) and isinstance(node.value, ast.Name)
              and node.value.id in self.imported):
            self.found.append((node.lineno, f"replaces {node.value.id}.{node.attr} (a patch of the library)"))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (isinstance(func, ast.Name) and func.id in ACCESSORS and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
                and _private(node.args[1].value) and self.bound & set(_names(node.args[0]))):
            self.found.append((node.lineno, f"{func.id}({ast.unparse(node.args[0])}, {node.args[1].value!r})"))
        self.generic_visit(node)


def private_uses(path: Path, libraries: frozenset[str]) -> list[str]:
    walker = _Walker(libraries)
    walker.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return [f"{path.relative_to(PACKAGE.parent)}:{line}: {text}" for line, text in sorted(set(walker.found))]


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_uses_a_private_interface_of_the_http_stack_or_pytest() -> None:
    found = [use for path in _modules() for use in private_uses(path, WATCHED)]
    assert not found, "private interfaces of httpx/httpcore/requests/urllib3/pytest used:\n" + "\n".join(found)


def test_schemathesis_and_hypothesis_internals_are_touched_only_by_the_patch_modules() -> None:
    found = [use for path in _modules() if PATCHES not in path.parents for use in private_uses(path, PATCHED)]
    assert not found, ("private names of Schemathesis/Hypothesis used outside conformance/fuzz/patches/:\n"
                       + "\n".join(found))


def test_the_walk_sees_the_patterns_the_suite_once_had() -> None:
    """The walk itself: each pattern the suite used before, in a module of its own, is found."""
    cases = {
        "from urllib3._collections import HTTPHeaderDict\n": "urllib3._collections",
        "import httpx\n\ndef f(client: httpx.Client):\n    for t in (getattr(client, '_transport', None),):\n"
        "        pool = getattr(t, '_pool', None)\n        pool._network_backend = 1\n": "pool._network_backend",
        "import httpx\n\ndef f(client: httpx.Client, request):\n    response = client.send(request)\n"
        "    response._content = b''\n": "response._content",
        "import requests\n\ndef f():\n    out = requests.Response()\n    out._content_consumed = True\n":
            "out._content_consumed",
        "from _pytest.config import Config\n": "_pytest",
        "import pytest\n\ndef f(config: pytest.Config):\n    return config._inicache\n": "config._inicache",
        "import pytest\n\ndef f(item: pytest.Item):\n    return item._request\n": "item._request",
        "def f():\n    from requests import adapters as a\n    a.HTTPAdapter = object\n": "replaces a.HTTPAdapter",
    }
    for text, expected in cases.items():
        walker = _Walker(WATCHED)
        walker.visit(ast.parse(text))
        assert any(expected in found for _, found in walker.found), (text, walker.found)
    clean = ("import httpx\n\nclass A:\n    def f(self, r: httpx.Response):\n        self._r = r\n"
             "        return self._r\n")
    walker = _Walker(WATCHED)
    walker.visit(ast.parse(clean))
    assert walker.found == []
