"""A mistake in a coder_tasks_server marker (or in the fixture's indirect parameter) is a usage error before any
test runs, naming the keyword and what is wrong with it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from examples_support import run_pytest

MISTAKES = {  # the marker's keywords: what the error must name
    'profil="stable"': "unknown keyword(s) profil",
    'profile="modern"': "profile='modern': unknown profile 'modern'",
    'profile="stable", version="v2.27.1"': "version='v2.27.1': v2.27.1 is not a release of the stable generation",
    'faults=["no-such-fault"]': "faults=['no-such-fault']: unknown fault name(s): no-such-fault",
    'variations="nope"': "variations='nope': unknown variation name(s): nope",
    "startup=-1": "startup=-1: expected a number of seconds >= 0",
    'strict="yes"': "strict='yes': expected True or False",
    'seed="7"': "seed='7': expected an integer or None",
}


def _suite(tmp_path: Path, marker: str) -> Path:
    (tmp_path / "test_client.py").write_text(textwrap.dedent(f"""
        import pytest

        def test_unrelated():
            pass

        @pytest.mark.coder_tasks_server({marker})
        def test_client(coder_tasks_server):
            pass
    """))
    return tmp_path


@pytest.mark.parametrize("marker", list(MISTAKES))
def test_a_marker_mistake_is_a_usage_error_naming_the_keyword(tmp_path: Path, marker: str) -> None:
    proc = run_pytest(_suite(tmp_path, marker))
    assert proc.returncode == 4, proc.stdout + proc.stderr  # pytest's usage error: no test ran
    assert "@pytest.mark.coder_tasks_server: " + MISTAKES[marker] in proc.stderr
    assert "test_client.py::test_client" in proc.stderr
    assert "passed" not in proc.stdout


def test_positional_arguments_and_an_indirect_parameter_that_is_no_mapping_are_refused(tmp_path: Path) -> None:
    (tmp_path / "test_client.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.mark.parametrize("coder_tasks_server", ["stable"], indirect=True)
        def test_client(coder_tasks_server):
            pass
    """))
    proc = run_pytest(tmp_path)
    assert proc.returncode == 4 and "is a mapping of its keywords, got 'stable'" in proc.stderr
    proc = run_pytest(_suite(tmp_path, '"stable"'))
    assert proc.returncode == 4 and "takes keywords only, got ('stable',)" in proc.stderr
