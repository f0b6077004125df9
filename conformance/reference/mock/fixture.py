"""The `coder_tasks_server` pytest fixture's work: a fake Coder for one test, made as the test's marker says.

The plugin's entry point (conformance/plugin/__init__.py) declares the fixture and the marker and imports this
module only when a test uses them:

    @pytest.mark.coder_tasks_server(profile="stable", version="v2.34.0", seed=7, startup=0.05, reply_delay=0.05,
                                    variations=(), faults=(), latency=0.0, rate_limit=0, strict=False)
    def test_my_client(coder_tasks_server): ...

Markers merge from the module and class down to the function (the closest one wins per keyword), and an indirect
parametrization of the fixture (`@pytest.mark.parametrize("coder_tasks_server", [{"profile": "legacy"}],
indirect=True)`) wins over them all. A keyword this module does not know, or a value of the wrong kind, an unknown
profile, release, fault or variation, is a usage error before any test runs, naming the keyword.

The test receives the started `ReferenceServer` (control enabled: `server.control`, and the control API over
HTTP); it is stopped after the test. With `strict=True` the test fails after its body when the server holds
findings about the client (`server.findings()`: what a real Coder of that release would refuse or frown on), with
their summary.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

import pytest

from ..conforming.generation import generation
from ..faults import validate_fault_names
from ..server import ReferenceServer
from ..variations import validate_variation_names

MARKER = "coder_tasks_server"


@dataclass(frozen=True)
class ServerOptions:
    """What a test asks of its fake Coder: the marker's keywords, with their defaults."""

    profile: str = "stable"
    version: str | None = None  # the release; None: the generation's default (generation.DEFAULT_VERSIONS)
    seed: int | None = None  # the same users, tokens, ids, names and times on every start
    startup: float = 0.05  # seconds per lifecycle step of a new task (pending -> initializing -> active)
    reply_delay: float = 0.05  # seconds before the agent's reply to an input appears in the logs
    variations: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()
    latency: float = 0.0  # seconds added to every answer
    rate_limit: int = 0  # Coder's per-user, per-path limit of requests a minute (0: none)
    strict: bool = False  # fail the test when the server holds findings about the client

    def server(self) -> ReferenceServer:
        """The server these options describe, not started yet."""
        return ReferenceServer(profile=self.profile, version=self.version, seed=self.seed, control=True,
                               lifecycle_delay=self.startup, reply_delay=self.reply_delay,
                               variations=self.variations, faults=self.faults, latency=self.latency,
                               rate_limit=self.rate_limit)


KEYWORDS = tuple(f.name for f in fields(ServerOptions))


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"expected a number of seconds >= 0, got {value!r}")
    return float(value)


def _names(check: Callable[[list[str]], object]) -> Callable[[object], tuple[str, ...]]:
    def read(value: object) -> tuple[str, ...]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list | tuple | set | frozenset) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"expected a name or a list of names, got {value!r}")
        check(list(names))
        return tuple(names)
    return read


def _optional_text(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"expected a string or None, got {value!r}")
    return value


def _optional_int(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"expected an integer or None, got {value!r}")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected an integer >= 0, got {value!r}")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected True or False, got {value!r}")
    return value


def _profile(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a profile name, got {value!r}")
    generation(value)  # ValueError naming the profiles
    return value


_READERS: dict[str, Callable[[Any], Any]] = {
    "profile": _profile, "version": _optional_text, "seed": _optional_int, "startup": _seconds,
    "reply_delay": _seconds, "variations": _names(validate_variation_names), "faults": _names(validate_fault_names),
    "latency": _seconds, "rate_limit": _count, "strict": _flag,
}


def read_options(given: Mapping[str, Any], where: str) -> ServerOptions:
    """The options of keywords as a marker or a parameter gives them; pytest.UsageError naming the keyword at fault
    (`where` says whose keywords they are)."""
    unknown = sorted(set(given) - set(KEYWORDS))
    if unknown:
        raise pytest.UsageError(f"{where}: unknown keyword(s) {', '.join(unknown)} (known: {', '.join(KEYWORDS)})")
    values: dict[str, Any] = {}
    for name, value in given.items():
        try:
            values[name] = _READERS[name](value)
        except ValueError as exc:
            raise pytest.UsageError(f"{where}: {name}={value!r}: {exc}") from None
    options = ServerOptions(**values)
    try:
        generation(options.profile, options.version)
    except ValueError as exc:
        raise pytest.UsageError(f"{where}: version={options.version!r}: {exc}") from None
    return options


def options_for(node: pytest.Item, param: object = None) -> ServerOptions:
    """A test's options: its coder_tasks_server markers (the closest wins per keyword), then an indirect
    parameter of the fixture (a mapping of the same keywords)."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):  # the furthest first, so the closest wins
        if marker.args:
            raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.{MARKER} takes keywords only, got "
                                    f"{marker.args!r}")
        merged.update(marker.kwargs)
    if param is not None:
        if not isinstance(param, Mapping):
            raise pytest.UsageError(f"{node.nodeid}: an indirect parameter of {MARKER} is a mapping of its "
                                    f"keywords, got {param!r}")
        merged.update(param)
    return read_options(merged, f"{node.nodeid}: @pytest.mark.{MARKER}")


@dataclass
class Served:
    """A test's fake Coder, and what it asks of it after the test's body."""

    server: ReferenceServer
    strict: bool

    def judge(self) -> None:
        """With strict=True: fail the test when the server holds findings about the client."""
        if not self.strict:
            return
        findings = self.server.findings()
        if findings:
            pytest.fail(f"{MARKER}(strict=True): the fake Coder holds {len(findings)} finding(s) about the client:\n"
                        f"{self.server.findings_summary()}", pytrace=False)


@contextlib.contextmanager
def serve(node: pytest.Item, param: object = None) -> Iterator[Served]:
    """Start the test's fake Coder, hand it over, stop it afterwards."""
    options = options_for(node, param)
    with options.server() as server:
        yield Served(server, options.strict)
