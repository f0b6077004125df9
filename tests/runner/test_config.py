"""Config precedence, validation and redaction of the runner's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.runner.settings.config import ConfigError, load_config

REMOTE = {
    "TASKS_CONFORMANCE_URL": "https://coder.example.test",
    "TASKS_CONFORMANCE_TOKEN": "aaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbb",
    "TASKS_CONFORMANCE_SECOND_TOKEN": "cccccccccc-dddddddddddddddddddddd",
    "TASKS_CONFORMANCE_TEMPLATE_VERSION_ID": "8b1a4b36-9a8f-4a4e-8d46-2d8c9d0f7a11",
}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "target.toml"
    path.write_text(text)
    return str(path)


def test_defaults_mean_the_embedded_server() -> None:
    config = load_config({}, environ={})
    assert config.target.embedded
    assert config.target.api_prefix is None  # the profile's, once the preflight knows it
    assert config.target.profile == "auto"
    assert config.run.read_only is False
    assert config.sources["url"] == "default"


def test_flag_beats_environment_beats_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[target]\napi_prefix = "/from-file"\n[run]\nrequest_timeout = 3\npoll_interval = 0.7\n')
    env = {"TASKS_CONFORMANCE_API_PREFIX": "/from-env", "TASKS_CONFORMANCE_REQUEST_TIMEOUT": "4"}
    config = load_config({"api_prefix": "/from-flag"}, environ=env, config_path=path)
    assert config.target.api_prefix == "/from-flag"
    assert config.run.request_timeout == 4.0
    assert config.run.poll_interval == 0.7
    assert config.sources["api_prefix"] == "flag --api-prefix"
    assert config.sources["request_timeout"] == "environment TASKS_CONFORMANCE_REQUEST_TIMEOUT"
    assert config.sources["poll_interval"].startswith("config file")


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[run]\nstrict = true\n')
    config = load_config({}, environ={"TASKS_CONFORMANCE_CONFIG": path})
    assert config.run.strict is True


def test_remote_target_from_environment() -> None:
    config = load_config({}, environ=REMOTE)
    assert config.target.url == "https://coder.example.test"
    assert not config.target.embedded
    assert config.target.secrets() == (REMOTE["TASKS_CONFORMANCE_TOKEN"], REMOTE["TASKS_CONFORMANCE_SECOND_TOKEN"])


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[target]\nurll = "http://x"\n', "unknown key 'urll' in [target]"),
        ('[targets]\nurl = "http://x"\n', "unknown table [targets]"),
        ('[target]\nurl = "ftp://x"\n', "invalid url"),
        ('[run]\nrequest_timeout = "soon"\n', "invalid request_timeout"),
        ('[run]\nrequest_timeout = -1\n', "must be greater than 0"),
        ('[run]\nread_only = "maybe"\n', "expected true or false"),
        ("[target\n", "not valid TOML"),
    ],
)
def test_bad_config_file_is_one_line_naming_setting_and_source(tmp_path: Path, text: str, needle: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config({}, environ={}, config_path=path)
    message = str(err.value)
    assert needle in message
    assert "\n" not in message
    if "TOML" not in needle:
        assert str(path) in message


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config({}, environ={}, config_path="/nonexistent/t.toml")


def test_bad_flag_names_the_flag() -> None:
    with pytest.raises(ConfigError, match=r"invalid url 'notaurl' \(flag --target-url\)"):
        load_config({"url": "notaurl"}, environ={})


@pytest.mark.parametrize("drop", ["TASKS_CONFORMANCE_TOKEN", "TASKS_CONFORMANCE_SECOND_TOKEN"])
def test_remote_target_needs_two_tokens(drop: str) -> None:
    env = {k: v for k, v in REMOTE.items() if k != drop}
    with pytest.raises(ConfigError, match="missing"):
        load_config({}, environ=env)


def test_remote_target_needs_template_version_unless_read_only() -> None:
    env = {k: v for k, v in REMOTE.items() if k != "TASKS_CONFORMANCE_TEMPLATE_VERSION_ID"}
    with pytest.raises(ConfigError, match="template_version_id"):
        load_config({}, environ=env)
    assert load_config({"read_only": True}, environ=env).run.read_only


def test_same_token_twice_is_refused() -> None:
    env = dict(REMOTE, TASKS_CONFORMANCE_SECOND_TOKEN=REMOTE["TASKS_CONFORMANCE_TOKEN"])
    with pytest.raises(ConfigError, match="different"):
        load_config({}, environ=env)


def test_errors_and_redacted_config_never_show_tokens() -> None:
    env = dict(REMOTE, TASKS_CONFORMANCE_SECOND_TOKEN=REMOTE["TASKS_CONFORMANCE_TOKEN"])
    with pytest.raises(ConfigError) as err:
        load_config({}, environ=env)
    assert REMOTE["TASKS_CONFORMANCE_TOKEN"] not in str(err.value)
    redacted = load_config({}, environ=REMOTE).redacted()
    assert redacted["target"]["token"] == "[REDACTED]"
    assert REMOTE["TASKS_CONFORMANCE_TOKEN"] not in repr(redacted)


def test_tokens_without_url_are_refused() -> None:
    with pytest.raises(ConfigError, match="no target url"):
        load_config({"token": "aaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbb"}, environ={})


def test_reference_faults_only_for_embedded_server() -> None:
    assert load_config({"reference_faults": "a, b"}, environ={}).run.reference_faults == ("a", "b")
    with pytest.raises(ConfigError, match="embedded"):
        load_config({"reference_faults": "a"}, environ=REMOTE)


def test_reference_variations_only_for_embedded_server() -> None:
    assert load_config({"reference_variations": "not-active-409"}, environ={}).run.reference_variations == (
        "not-active-409",)
    with pytest.raises(ConfigError, match="reference_variations .* applies only to the embedded server"):
        load_config({"reference_variations": "not-active-409"}, environ=REMOTE)
