"""Installing the package changes nobody's own pytest run: a small foreign suite collects and runs the same tests,
prints the same, and imports nothing of the package beyond the plugin's tiny entry module, whether the plugin is
loaded or switched off (`-p no:tasks_conformance`). Its only traces are its name in the header's list of plugins
and the coder_tasks_server marker and fixture (in `--markers` and `--fixtures`, where pytest lists what a plugin
offers)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

OFF = ("-p", "no:tasks_conformance")
# Other distributions' plugins that come with the package's dependencies, off in both runs of a comparison: they
# are not the package's, and they cost seconds per run (benchmarks/plugin_startup.py measures them).
OTHERS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:html", "-p", "no:metadata")
ENTRY_MODULE = "conformance.plugin"

FOREIGN_TESTS = textwrap.dedent("""
    import pytest

    @pytest.fixture
    def api():  # a name the suite's own fixtures use too
        return "mine"

    def test_plain():
        assert 1 + 1 == 2

    @pytest.mark.parametrize("n", [1, 2, 3])
    def test_param(n, api):
        assert api == "mine" and n > 0

    @pytest.mark.requirement("X")  # a marker of the suite's checks: unknown here, as it would be without the package
    def test_marked():
        pass

    def test_fails():
        assert "left" == "right"

    @pytest.mark.skip(reason="not today")
    def test_skipped():
        pass
""")
# Written when the foreign session ends: the package's modules it imported.
FOREIGN_CONFTEST = textwrap.dedent("""
    import json, os, sys

    def pytest_sessionfinish(session):
        with open(os.environ["FOOTPRINT_MODULES"], "w") as out:
            json.dump(sorted(m for m in sys.modules if m == "conformance" or m.startswith("conformance.")), out)
""")
_TIMING = re.compile(r"\d+(\.\d+)?s( \(\d+:\d\d:\d\d\))?")
_LISTED = re.compile(r"tasks-conformance-[^,\s]+(, )?")  # pytest's header names the plugins it loaded


def _foreign(tmp_path: Path) -> Path:
    suite = tmp_path / "foreign"
    suite.mkdir()
    (suite / "test_foreign.py").write_text(FOREIGN_TESTS)
    (suite / "conftest.py").write_text(FOREIGN_CONFTEST)
    return suite


def _pytest(suite: Path, *args: str) -> tuple[str, list[str], int]:
    """pytest in the foreign suite's directory: its output (timings blanked), the package's modules it imported,
    and its exit code."""
    modules = suite / "modules.json"
    modules.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TASKS_CONFORMANCE_"))}
    env.update(FOOTPRINT_MODULES=str(modules), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *OTHERS, "-rA", *args], cwd=suite,
                          env=env, capture_output=True, text=True, timeout=300)
    imported = json.loads(modules.read_text()) if modules.exists() else []
    output = "\n".join(_LISTED.sub("", line) if line.startswith("plugins: ") else line
                       for line in (proc.stdout + proc.stderr).splitlines())
    return _TIMING.sub("<time>", output), imported, proc.returncode


@pytest.mark.parametrize("args", [(), ("--co", "-q"), ("-v", "-W", "error::pytest.PytestUnknownMarkWarning")],
                         ids=["run", "collect", "verbose-warnings-as-errors"])
def test_a_foreign_suite_runs_the_same_with_the_plugin_as_without(tmp_path: Path, args: tuple[str, ...]) -> None:
    suite = _foreign(tmp_path)
    with_plugin, imported_with, code_with = _pytest(suite, *args)
    without, imported_without, code_without = _pytest(suite, *OFF, *args)
    assert with_plugin == without
    assert code_with == code_without
    assert imported_with == ["conformance", ENTRY_MODULE]
    assert imported_without == []


def test_the_foreign_suite_really_ran(tmp_path: Path) -> None:
    """The comparison above compares runs that did something: tests passed, failed, were skipped and warned."""
    output, _, code = _pytest(_foreign(tmp_path))
    assert code == 1
    assert "1 failed, 5 passed, 1 skipped, 1 warning" in output
    assert "PytestUnknownMarkWarning" in output


def test_help_is_the_same_and_only_the_marker_and_fixture_are_listed_in_addition(tmp_path: Path) -> None:
    suite = _foreign(tmp_path)
    assert _pytest(suite, "--help")[0] == _pytest(suite, *OFF, "--help")[0]
    markers, markers_off = (_pytest(suite, *extra, "--markers")[0].splitlines() for extra in ((), OFF))
    assert [line for line in markers if line not in markers_off] == [
        next(line for line in markers if line.startswith("@pytest.mark.coder_tasks_server("))]
    fixtures, fixtures_off = (_pytest(suite, *extra, "--fixtures")[0] for extra in ((), OFF))
    assert "coder_tasks_server" in fixtures and "coder_tasks_server" not in fixtures_off
    assert "second_api" not in fixtures and "active_task" not in fixtures  # the suite's own fixtures stay out
