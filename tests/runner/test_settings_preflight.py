"""The preflight of configured values: a wrong template version, organization name or URL is the user's error
(exit 3, one sentence naming the setting), and a right one costs one create that is deleted at once."""

from __future__ import annotations

import http.server
import threading
import uuid
from pathlib import Path

from runner_support import RunResult, all_tasks, run_pytest, run_suite, write_target

from conformance.reference import ReferenceServer

CHECKS = ["--fuzz-budget", "0", "--", "-k", "test_get_answers_200", "-q"]


def _preflight_line(output: str) -> str:
    """The sentence of the one line saying why: `verdict: ERROR (preflight failed: SENTENCE)`, with no pytest
    internals anywhere."""
    lines = [line for line in output.splitlines() if "preflight failed:" in line]
    assert len(lines) == 1, output
    assert "_pytest" not in output and "Exit:" not in output, output
    assert lines[0].startswith("verdict: ERROR (preflight failed: ") and lines[0].endswith(")"), lines[0]
    return lines[0].split("preflight failed: ", 1)[1].removesuffix(")")


def test_an_unknown_template_version_is_named_and_exits_3(tmp_path: Path, reference: ReferenceServer) -> None:
    wrong = str(uuid.uuid4())
    before = all_tasks(reference)
    config = write_target(reference, tmp_path / "t.toml", template_version_id=wrong)
    result = run_suite("--config", str(config), *CHECKS, report_dir=tmp_path)
    assert result.code == 3, result.output
    sentence = _preflight_line(result.output)
    assert sentence.startswith(f"template_version_id {wrong} is not a template version this server knows: POST "
                               f"{reference.url}/api/v2/tasks/me answered 400"), sentence
    assert "as it does for a made-up id" in sentence
    assert "CREATE-STATUS-201" not in result.output  # not the server's fault
    assert all_tasks(reference) == before


def test_the_same_version_for_both_template_settings_exits_3(tmp_path: Path, reference: ReferenceServer) -> None:
    plain = reference.target_config()["non_ai_template_version_id"]
    config = write_target(reference, tmp_path / "t.toml", template_version_id=plain)
    result = run_suite("--config", str(config), *CHECKS, report_dir=tmp_path)
    assert result.code == 3, result.output
    assert _preflight_line(result.output).startswith(
        f"template_version_id and non_ai_template_version_id are both {plain}")


def test_an_unknown_organization_name_is_named_and_exits_3(tmp_path: Path, reference: ReferenceServer) -> None:
    config = write_target(reference, tmp_path / "t.toml", organization_name="acme-typo")
    result = run_suite("--config", str(config), *CHECKS, report_dir=tmp_path)
    assert result.code == 3, result.output
    sentence = _preflight_line(result.output)
    assert sentence.startswith("organization_name 'acme-typo' is not an organization this server knows: GET "
                               f"{reference.url}/api/v2/tasks?q=organization:acme-typo answered 400"), sentence


def test_a_target_url_with_the_api_prefix_is_noticed_and_exits_3(tmp_path: Path, reference: ReferenceServer) -> None:
    config = write_target(reference, tmp_path / "t.toml", url=f"{reference.url}/api/v2/")
    result = run_suite("--config", str(config), *CHECKS, report_dir=tmp_path)
    assert result.code == 3, result.output
    assert _preflight_line(result.output) == (
        f"the target URL {reference.url}/api/v2 already ends with the API prefix /api/v2: GET "
        f"{reference.url}/api/v2/api/v2/tasks answered 404; give the server's address without it (--target-url "
        f"{reference.url})")


def test_right_settings_cost_one_create_that_is_deleted(tmp_path: Path, reference: ReferenceServer) -> None:
    before = all_tasks(reference)
    config = write_target(reference, tmp_path / "t.toml")
    result = run_suite("--config", str(config), *CHECKS, report_dir=tmp_path)
    assert result.code == 0, result.output
    assert all_tasks(reference) == before


def test_two_tokens_of_one_user_are_named_and_exit_3(tmp_path: Path) -> None:
    """Asked of Coder's users/me: the access-control checks need the second member to be another user. A server that
    reads only the id part of a token (wrong-secret-accepted) takes a token with the first one's id and another
    secret as the same user's."""
    with ReferenceServer(faults=["wrong-secret-accepted"]) as server:
        token = server.target_config()["token"]
        key_id, secret = token.split("-", 1)
        same_user = f"{key_id}-{secret[::-1]}"
        config = write_target(server, tmp_path / "t.toml", second_token=same_user)
        result = run_suite("--config", str(config), *CHECKS, report_dir=tmp_path)
    assert result.code == 3, result.output
    assert _preflight_line(result.output) == ("second_token and token belong to the same user; the access-control "
                                              "checks need tokens of different users")


# --- the user's settings, told as such (exit 2 for a malformed value, exit 3 for one the server shows wrong) -----


def _routes(tmp_path: Path, *args: str) -> list[tuple[str, RunResult]]:
    """The same settings through `tasks-conformance run` and through `pytest --pyargs conformance`."""
    tmp_path.joinpath("cli").mkdir()
    tmp_path.joinpath("pytest").mkdir()
    return [("tasks-conformance run", run_suite(*args, report_dir=tmp_path / "cli" / "reports")),
            ("pytest", run_pytest(*args, report_dir=tmp_path / "pytest" / "reports"))]


def _one_plain_line(output: str, start: str) -> str:
    lines = [line for line in output.splitlines() if start in line]
    assert len(lines) == 1, output
    assert "_pytest" not in output and "Exit:" not in output and "Traceback" not in output, output
    return lines[0]


def test_a_template_version_that_is_no_uuid_is_exit_2_in_one_line(tmp_path: Path, reference: ReferenceServer) -> None:
    config = write_target(reference, tmp_path / "t.toml", template_version_id="my-template-v2")
    for route, result in _routes(tmp_path, f"--config={config}", *CHECKS[:2]):
        assert result.code == 2, (route, result.output)
        line = _one_plain_line(result.output, "configuration error")
        assert line == ("tasks-conformance: configuration error: invalid template_version_id 'my-template-v2' (config "
                        f"file {config} [target]): must be a template version's id, a UUID like "
                        "8b1a4b36-5e0f-4c4e-9a7e-1f0c2b3d4e5f"), (route, line)
        assert "MUST" not in result.output and not (result.report_dir / "results.json").exists()


def test_an_owners_token_given_as_a_members_is_named(tmp_path: Path, reference: ReferenceServer) -> None:
    values = reference.target_config()
    config = write_target(reference, tmp_path / "t.toml", token=values["admin_token"], admin_token=values["token"])
    result = run_suite("--config", str(config), *CHECKS, report_dir=tmp_path / "reports")
    assert result.code == 3, result.output
    sentence = _preflight_line(result.output)
    assert sentence.startswith("token belongs to admin, who holds the owner role (GET /api/v2/users/me says so)"), \
        sentence
    assert "give this token as admin_token" in sentence and "ACL-" not in result.output


def test_a_template_version_without_an_ai_task_given_as_the_ai_one_is_named(tmp_path: Path,
                                                                            reference: ReferenceServer) -> None:
    plain = reference.target_config()["non_ai_template_version_id"]
    config = write_target(reference, tmp_path / "t.toml", template_version_id=plain, non_ai_template_version_id="")
    result = run_suite("--config", str(config), *CHECKS, report_dir=tmp_path / "reports")
    assert result.code == 3, result.output
    assert _preflight_line(result.output).startswith(f"template_version_id {plain} cannot run AI tasks: POST "), \
        result.output
    assert "CREATE-STATUS-201" not in result.output and all_tasks(reference) == []


def test_two_swapped_template_versions_are_named(tmp_path: Path, reference: ReferenceServer) -> None:
    values = reference.target_config()
    config = write_target(reference, tmp_path / "t.toml", template_version_id=values["non_ai_template_version_id"],
                          non_ai_template_version_id=values["template_version_id"])
    result = run_suite("--config", str(config), *CHECKS, report_dir=tmp_path / "reports")
    assert result.code == 3, result.output
    assert _preflight_line(result.output).startswith(
        "template_version_id and non_ai_template_version_id look swapped: "), result.output
    assert all_tasks(reference) == [], "the create from the AI version (given as the non-AI one) was not deleted"


class _StaticFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_a_server_that_is_not_coder_at_all_is_told_as_that(tmp_path: Path) -> None:
    """`python3 -m http.server` as the target: HTML 404s everywhere, no Coder version anywhere."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StaticFiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        args = ("--target-url", url, "--token", "aaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbb", "--second-token",
                "cccccccccc-bbbbbbbbbbbbbbbbbbbbbb", "--template-version-id", str(uuid.uuid4()), *CHECKS[:2])
        for route, result in _routes(tmp_path, *args):
            assert result.code == 3, (route, result.output)
            line = _one_plain_line(result.output, "preflight failed")
            assert f"the target {url} does not look like a Coder server: it names no Coder version" in line, line
            assert "answered 404 text/html, not JSON" in line and "API prefix" not in line, line
    finally:
        server.shutdown()
