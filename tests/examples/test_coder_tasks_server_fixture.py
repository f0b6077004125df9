"""The coder_tasks_server fixture in a client's own suite: a started fake Coder made as the markers say (the
closest marker wins per keyword, an indirect parameter over them all), with control enabled, stopped after the test;
`strict=True` fails a test whose client the server found fault with, after its body, with the findings' summary."""

from __future__ import annotations

import textwrap
from pathlib import Path

from examples_support import run_pytest

MARKERS_SUITE = """
    import httpx
    import pytest

    pytestmark = pytest.mark.coder_tasks_server(profile="legacy", seed=5, startup=0.01)
    URLS = []

    @pytest.mark.coder_tasks_server(seed=9)
    def test_the_closest_marker_wins_per_keyword(coder_tasks_server):
        server = coder_tasks_server
        assert (server.generation.profile.name, server.seed, server.api_prefix) == ("legacy", 9, "/api/experimental")
        member = server.users.member
        answer = httpx.get(server.url + server.api_prefix + "/tasks", headers={"Coder-Session-Token": member.token})
        assert answer.status_code == 200 and answer.json() == {"tasks": [], "count": 0}
        assert member.token not in repr(member)
        assert server.control.requests()[-1].user == member.username
        URLS.append(server.url)

    def test_the_server_is_stopped_after_the_test():
        with pytest.raises(httpx.ConnectError):
            httpx.get(URLS[0] + "/api/v2/buildinfo")

    @pytest.mark.parametrize("coder_tasks_server", [{"profile": "stable", "version": "v2.31.0"}], indirect=True)
    def test_an_indirect_parameter_wins_over_the_markers(coder_tasks_server):
        server = coder_tasks_server
        assert (server.generation.profile.name, server.generation.version_text) == ("stable", "v2.31.0+reference")
        assert server.seed == 5 and server.template_versions.ai != server.template_versions.plain

    def test_without_a_marker_the_module_marker_applies(coder_tasks_server):
        assert coder_tasks_server.generation.profile.name == "legacy"
"""

STRICT_SUITE = """
    import httpx
    import pytest

    def pause_on_legacy(server):
        # legacy (v2.27) has no pause route: a real Coder answers 404, and the fake Coder notes it about the client
        member = server.users.member
        task_id = server.control.add_task(owner=member.username)
        httpx.post(f"{server.url}{server.api_prefix}/tasks/me/{task_id}/pause",
                   headers={"Coder-Session-Token": member.token})

    @pytest.mark.coder_tasks_server(profile="legacy", strict=True)
    def test_strict(coder_tasks_server):
        pause_on_legacy(coder_tasks_server)

    @pytest.mark.coder_tasks_server(profile="legacy")
    def test_lenient(coder_tasks_server):
        pause_on_legacy(coder_tasks_server)
        assert coder_tasks_server.findings()

    @pytest.mark.coder_tasks_server(profile="legacy", strict=True)
    def test_strict_and_clean(coder_tasks_server):
        assert coder_tasks_server.findings() == []
"""


def _write(tmp_path: Path, source: str) -> Path:
    (tmp_path / "test_client.py").write_text(textwrap.dedent(source))
    return tmp_path


def test_the_fixture_serves_as_the_markers_say_and_stops_after_the_test(tmp_path: Path) -> None:
    proc = run_pytest(_write(tmp_path, MARKERS_SUITE), "-v")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 4


def test_strict_fails_the_test_after_its_body_on_the_clients_findings(tmp_path: Path) -> None:
    """Needs ReferenceServer.findings() and findings_summary() (the client's judge)."""
    proc = run_pytest(_write(tmp_path, STRICT_SUITE), "-rA")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED test_client.py::test_strict" in proc.stdout
    assert "PASSED test_client.py::test_lenient" in proc.stdout
    assert "PASSED test_client.py::test_strict_and_clean" in proc.stdout
    assert "ERROR" not in proc.stdout  # the call phase fails, not the teardown
    assert "coder_tasks_server(strict=True): the fake Coder holds" in proc.stdout
    assert "/pause" in proc.stdout  # the summary names the request
