"""The pytest route is the same product: every setting of the README's table, given through `pytest --pyargs
conformance` with the plugin's spelling, means what it means through `tasks-conformance run`; a pytest flag that
would silently change the run's meaning (`--strict`) is refused in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import build_parser
from conformance.runner.settings.config import REFERENCE_ONLY, SETTINGS, load_config

TOKENS = {"token": "aaaaaaaaaa-0123456789abcdefghijkl", "second_token": "bbbbbbbbbb-0123456789abcdefghijkl",
          "admin_token": "cccccccccc-0123456789abcdefghijkl"}
# Written by a plugin of the test's own once the run's settings are made (collection only: nothing is sent).
DUMP_PLUGIN = textwrap.dedent("""
    import json, os
    import pytest

    @pytest.hookimpl(trylast=True)
    def pytest_configure(config):
        run = config.pluginmanager.get_plugin("tasks-conformance-run")
        with open(os.environ["DUMP_SETTINGS"], "w") as out:
            json.dump({"config": run.config.redacted(), "sources": dict(run.config.sources),
                       "secrets": sorted(run.config.target.secrets())}, out)
""")


def _values(tmp_path: Path, embedded: bool) -> dict[str, str | None]:
    """A valid value for each setting (None: a flag without a value), for a remote target or the embedded one."""
    waivers = tmp_path / "waivers.toml"
    waivers.write_text('[[waiver]]\nrequirement = "LIST-COUNT"\nreason = "known"\nexpires = 2099-01-01\n')
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"requirements": [{"id": "LIST-COUNT", "status": "failed", "level": "MUST"}]}))
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    values: dict[str, str | None] = {}
    for s in SETTINGS:
        # remote: every setting but those of the embedded server (and insecure, which excludes ca_bundle); embedded:
        # every [run] setting but ca_bundle, and the profile (its tokens and URL are the server's own)
        if embedded and (s.name == "ca_bundle" or (s.table == "target" and s.name != "profile")):
            continue
        if not embedded and (s.name in REFERENCE_ONLY or s.name == "insecure"):
            continue
        if s.kind is bool:
            values[s.name] = None
        elif s.name in TOKENS:
            values[s.name] = TOKENS[s.name]
        elif s.name in ("template_version_id", "non_ai_template_version_id"):
            values[s.name] = "8b1a4b36-5e0f-4c4e-9a7e-1f0c2b3d4e5f" if s.name == "template_version_id" \
                else "9c2b5c47-6f10-4d5f-8b8f-2a1d3c4e5f60"
        else:
            values[s.name] = {
                "url": "http://127.0.0.1:9", "profile": "stable", "api_prefix": "/api/v2", "organization_name": "acme",
                "ca_bundle": str(ca), "report_dir": str(tmp_path / "reports"), "html": str(tmp_path / "page.html"),
                "junitxml": str(tmp_path / "j.xml"), "bundle": str(tmp_path / "b.tar.gz"), "waivers": str(waivers),
                "baseline": str(baseline), "reference_version": "v2.31.0", "reference_faults": "list-count-off-by-one",
                "reference_variations": "", "max_rps": "4.5", "max_retries_429": "2", "max_body_bytes": "65536",
            }.get(s.name, "7" if s.kind is int else "7.5" if s.kind is float else "x")
    return values


def _flags(values: dict[str, str | None], pytest_spelling: bool) -> list[str]:
    by_name = {s.name: s for s in SETTINGS}
    out: list[str] = []
    for name, value in values.items():
        flag = by_name[name].pytest_flag if pytest_spelling else by_name[name].flag
        out += [flag] if value is None else [f"{flag}={value}"]
    return out


def _through_pytest(flags: list[str], tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "dump_plugin.py").write_text(DUMP_PLUGIN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    env.update(DUMP_SETTINGS=str(tmp_path / "dump.json"), PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance", "-p", "dump_plugin",
                           "-p", "no:cacheprovider", "--collect-only", "-q", *flags], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return dict(json.loads((tmp_path / "dump.json").read_text()))


def _through_the_cli(flags: list[str]) -> dict[str, Any]:
    args = build_parser().parse_args(["run", *flags])
    config = load_config({s.name: getattr(args, s.name) for s in SETTINGS}, environ={})
    return {"config": config.redacted(), "sources": dict(config.sources), "secrets": sorted(config.target.secrets())}


@pytest.mark.parametrize("embedded", [False, True], ids=["remote", "embedded"])
def test_every_setting_means_the_same_through_pytest(embedded: bool, tmp_path: Path) -> None:
    values = _values(tmp_path, embedded)
    others = {s.name for s in SETTINGS} - set(values)
    assert others == ({"url", "token", "second_token", "admin_token", "template_version_id", "ca_bundle",
                       "non_ai_template_version_id", "organization_name", "api_prefix"} if embedded
                      else {*REFERENCE_ONLY, "insecure"}), others
    via_pytest = _through_pytest(_flags(values, pytest_spelling=True), tmp_path)
    via_cli = _through_the_cli(_flags(values, pytest_spelling=False))
    assert via_pytest == via_cli
    for name in values:
        assert via_cli["sources"][name].startswith("flag --"), (name, via_cli["sources"][name])


def test_the_readme_gives_the_plugins_spelling_where_pytest_owns_the_flag() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for s in SETTINGS:
        if s.pytest_flag != s.flag:
            assert f"`{s.pytest_flag}`" in readme, f"the README does not say {s.flag} is {s.pytest_flag} under pytest"


def test_pytests_own_strict_is_refused_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance", "--strict", "-p",
                           "no:cacheprovider", "--report-dir", str(tmp_path / "r")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1 and "use --conformance-strict" in lines[0], lines
    assert not (tmp_path / "r").exists(), "the run started"
