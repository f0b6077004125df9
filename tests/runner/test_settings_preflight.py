"""The preflight of configured values: a wrong template version, organization name or URL is the user's error
(exit 3, one sentence naming the setting), and a right one costs one create that is deleted at once."""

from __future__ import annotations

import uuid
from pathlib import Path

from runner_support import all_tasks, run_suite, write_target

from conformance.reference import ReferenceServer

CHECKS = ["--fuzz-budget", "0", "--", "-k", "test_get_answers_200", "-q"]


def _preflight_line(output: str) -> str:
    lines = [line for line in output.splitlines() if "preflight failed:" in line]
    assert len(lines) == 1, output
    return lines[0].split("preflight failed: ", 1)[1].removesuffix(" !")


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
