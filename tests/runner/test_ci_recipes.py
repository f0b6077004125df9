"""The CI recipes in examples/ do what they say: the GitHub Actions workflow's steps, run as GitHub would run them
(bash, the step's environment, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY), against the embedded server and against a
server that does not conform; the Dockerfile's build steps, replayed without a container engine."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import conformance
from conformance.reference import ReferenceServer

REPO = Path(conformance.__file__).resolve().parent.parent
WORKFLOW = REPO / "examples" / "github-actions" / "conformance.yml"
RELEASES_WORKFLOW = REPO / "examples" / "github-actions" / "releases.yml"
DOCKERFILE = REPO / "examples" / "docker" / "Dockerfile"
MOCK_DOCKERFILE = REPO / "examples" / "docker" / "Dockerfile.mock"
BIN = Path(sys.executable).parent
SMALL = "-- -k 'test_auth_before_not_found or test_list_count'"  # keeps the self-test short


def _install(target: Path) -> dict[str, str]:
    """The environment that makes `pip install X` (as the recipes write it) install into `target`, without
    dependencies (they are this environment's): a real build and install of the package, nothing else touched."""
    return {"PIP_TARGET": str(target), "PIP_NO_DEPS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PYTHONPATH": str(target), "PATH": f"{target / 'bin'}:{BIN}:{os.environ['PATH']}"}


def _expression(text: str, values: dict[str, str]) -> str:
    """GitHub's `${{ name }}` and `${{ name || 'default' }}`: an unset name is empty."""
    return re.sub(r"\$\{\{\s*([\w.]+)(?:\s*\|\|\s*'([^']*)')?\s*\}\}",
                  lambda m: values.get(m.group(1)) or m.group(2) or "", text)


def _source(tmp_path: Path) -> str:
    """What pip builds the package from: a copy of the repository's package files. pip builds in the source tree
    (setuptools writes build/ and the egg-info there), so tests that install at once from the repository itself
    would build over one another."""
    copy = tmp_path / "source"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, copy / name)
    shutil.copytree(REPO / "conformance", copy / "conformance", ignore=shutil.ignore_patterns("__pycache__"))
    return str(copy)


_REPOSITORY = object()  # the default source: a copy of this repository (_source)


def _run_workflow(tmp_path: Path, secrets: dict[str, str], suite_args: str = SMALL,
                  source: str | None | object = _REPOSITORY, workflow_file: Path = WORKFLOW,
                  job: str = "conformance") -> list[dict[str, Any]]:
    """The workflow's steps as GitHub runs them, with `secrets` (and `vars`) as its expressions' values; the suite
    installed from `source` (the repository variable TASKS_CONFORMANCE_SOURCE: here this repository), or from
    nothing when None (the variable not set)."""
    if source is _REPOSITORY:
        source = _source(tmp_path)
    if isinstance(source, str):
        secrets = {**secrets, "vars.TASKS_CONFORMANCE_SOURCE": source}
    workflow = yaml.safe_load(workflow_file.read_text())
    steps = workflow["jobs"][job]["steps"]
    workspace, target = tmp_path / "workspace", tmp_path / "site"
    workspace.mkdir()
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.touch()
    summary.touch()
    base = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    base.update(_install(target), GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
    ran, failed = [], False
    for step in steps:
        if "run" not in step:
            continue
        if failed and "always()" not in str(step.get("if", "")):
            continue
        script = _expression(step["run"], secrets)
        if step.get("id") == "suite":
            script = script.replace("--bundle reports/certification.tar.gz",
                                    f"--bundle reports/certification.tar.gz {suite_args}")
        env = {**base, **{k: _expression(str(v), secrets) for k, v in (step.get("env") or {}).items()}}
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workspace,
                              env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        ran.append({"name": step.get("name"), "code": proc.returncode, "out": proc.stdout + proc.stderr})
        failed = failed or proc.returncode != 0
    ran.append({"name": "outputs", "code": 0, "out": output.read_text() + summary.read_text(),
                "workspace": workspace})
    return ran


def test_the_workflow_passes_against_the_embedded_server(tmp_path: Path) -> None:
    steps = _run_workflow(tmp_path, secrets={})  # no secrets: no target, the embedded reference server
    by_name = {s["name"]: s for s in steps}
    for name in ("Install the suite", "Check the deployment", "Summary"):
        assert by_name[name]["code"] == 0, f"{name}: {by_name[name]['out'][-3000:]}"
    assert "::notice::the server conforms" in by_name["Check the deployment"]["out"]
    outputs = by_name["outputs"]
    assert "exit_code=0" in outputs["out"] and "## Tasks API conformance: PASS" in outputs["out"]
    reports = outputs["workspace"] / "reports"
    assert {"results.json", "junit.xml", "conformance.html", "evidence.har", "certification.tar.gz"} <= {
        p.name for p in reports.iterdir()}
    uploads = [s for s in yaml.safe_load(WORKFLOW.read_text())["jobs"]["conformance"]["steps"]
               if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["if"] == "always()" and uploads[0]["with"]["path"] == "reports/"


def test_the_workflow_fails_the_job_for_a_server_that_does_not_conform(tmp_path: Path) -> None:
    with ReferenceServer(lifecycle_delay=0.01, faults=["list-count-off-by-one"]) as server:
        config = server.target_config()
        secrets = {"secrets.CODER_URL": server.url, "secrets.CODER_MEMBER_TOKEN": config["token"],
                   "secrets.CODER_SECOND_MEMBER_TOKEN": config["second_token"],
                   "secrets.CODER_OWNER_TOKEN": config["admin_token"],
                   "vars.CODER_TEMPLATE_VERSION_ID": config["template_version_id"]}
        steps = _run_workflow(tmp_path, secrets=secrets, suite_args=SMALL + " --fuzz-budget 0")
    by_name = {s["name"]: s for s in steps}
    check = by_name["Check the deployment"]
    assert check["code"] == 1, check["out"][-3000:]
    assert "::error::the server does not conform" in check["out"]
    assert by_name["Summary"]["code"] == 0  # `if: always()`: the summary still comes
    outputs = by_name["outputs"]["out"]
    assert "exit_code=1" in outputs and "**failed** `LIST-COUNT` (MUST)" in outputs
    for token in (config["token"], config["second_token"], config["admin_token"]):
        assert token not in outputs and all(token not in s["out"] for s in steps)


def test_the_workflow_says_which_variable_to_set_when_it_does_not_know_where_to_install_from(tmp_path: Path) -> None:
    steps = _run_workflow(tmp_path, secrets={}, source=None)
    by_name = {s["name"]: s for s in steps}
    install = by_name["Install the suite"]
    assert install["code"] == 1, install["out"][-3000:]
    (error,) = [line for line in install["out"].splitlines() if line.startswith("::error::")]
    assert error.startswith("::error::the repository variable TASKS_CONFORMANCE_SOURCE is not set: "), error
    assert not (tmp_path / "site").exists()  # nothing was installed, from anywhere
    assert "Check the deployment" not in by_name
    assert by_name["Summary"]["code"] == 0
    assert "No results were written: see the step's log." in by_name["outputs"]["out"]


def test_the_summary_of_a_run_that_could_not_check_the_deployment_says_why(tmp_path: Path) -> None:
    member, second = f"{'a' * 10}-{'b' * 22}", f"{'c' * 10}-{'d' * 22}"  # the shape of Coder's tokens, 33 characters
    with socket.socket() as taken:  # bound, never listening: a connection to it is refused
        taken.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{taken.getsockname()[1]}"
        secrets = {"secrets.CODER_URL": url, "secrets.CODER_MEMBER_TOKEN": member,
                   "secrets.CODER_SECOND_MEMBER_TOKEN": second, "vars.CODER_TEMPLATE_VERSION_ID": str(uuid.uuid4())}
        steps = _run_workflow(tmp_path, secrets=secrets)
    by_name = {s["name"]: s for s in steps}
    check = by_name["Check the deployment"]
    assert check["code"] == 3, check["out"][-3000:]
    assert "::error::the deployment could not be checked" in check["out"]
    assert by_name["Summary"]["code"] == 0, by_name["Summary"]["out"]
    results = json.loads((by_name["outputs"]["workspace"] / "reports" / "results.json").read_text())
    assert results["verdict"] == "error" and results["error"], results["error"]
    assert url in results["error"] and "unreachable" in results["error"]
    outputs = by_name["outputs"]["out"]
    assert "exit_code=3" in outputs and "## Tasks API conformance: ERROR" in outputs
    assert f"**The run could not conclude:** {results['error']}" in outputs
    for token in (member, second):
        assert token not in outputs and all(token not in s["out"] for s in steps)


@dataclass
class _Image:
    """A Dockerfile's image, built by replaying its instructions (see ``_build``)."""

    root: Path  # stands for the image's /
    site: Path  # where pip installed the package
    workdir: Path  # the last WORKDIR
    env: dict[str, str]  # the environment its commands run with
    entrypoint: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    exposed: list[str] = field(default_factory=list)

    def argv(self, *extra: str) -> list[str]:
        """The ENTRYPOINT with the CMD (paths under /work made the image's), then ``extra``."""
        return [str(self.site / "bin" / self.entrypoint[0]), *self.entrypoint[1:],
                *[str(self.root / a.lstrip("/")) if a.startswith("/work") else a for a in self.command], *extra]


def _build(dockerfile: Path, tmp_path: Path) -> _Image:
    """Each instruction replayed in a directory standing for the image's root: COPY from the build context (the
    repository), RUN with bash in the WORKDIR (pip installs into the image's site directory), ENTRYPOINT and CMD
    kept. COPY of a directory keeps the symbolic links in it as links, as Docker's does (moby/moby#39810): one
    pointing out of the copied directory dangles in the image, and setuptools leaves a dangling data file out of the
    package without a word."""
    root, site = tmp_path / "image", tmp_path / "image" / "site"
    base = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    image = _Image(root, site, root, {**base, **_install(site)})
    lines = [line for line in dockerfile.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0].startswith("FROM python:3.11")
    for line in lines[1:]:
        instruction, _, rest = line.partition(" ")
        if instruction == "WORKDIR":
            image.workdir = root / rest.strip().lstrip("/")
            image.workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            *sources, dest = shlex.split(rest)
            for source in sources:
                into = image.workdir / dest if not dest.startswith("/") else root / dest.lstrip("/")
                if (REPO / source).is_dir():
                    shutil.copytree(REPO / source, into, symlinks=True, dirs_exist_ok=True,
                                    ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    into.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(REPO / source, into / Path(source).name)
        elif instruction == "RUN":
            proc = subprocess.run(["bash", "-c", rest], cwd=image.workdir, env=image.env, capture_output=True,
                                  text=True, timeout=600)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        elif instruction == "ENTRYPOINT":
            image.entrypoint = json.loads(rest)
        elif instruction == "CMD":
            image.command = json.loads(rest)
        elif instruction == "EXPOSE":
            image.exposed += rest.split()
        else:
            pytest.fail(f"the self-test does not know the instruction {instruction}")
    return image


def test_the_dockerfile_builds_and_its_image_runs_the_suite(tmp_path: Path) -> None:
    image = _build(DOCKERFILE, tmp_path)
    root, site, workdir, base = image.root, image.site, image.workdir, image.env
    argv = image.argv("--", "-k", "test_auth_before_not_found")
    proc = subprocess.run(argv, cwd=workdir, env=base, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert json.loads((root / "work" / "reports" / "results.json").read_text())["verdict"] == "pass"
    for profile in ("legacy", "experimental", "stable"):  # the package, with its data, was built
        assert (site / "conformance" / "contracts" / f"openapi-{profile}.yaml").is_file()
    imported = subprocess.run([sys.executable, "-c", "import conformance; print(conformance.__file__)"],
                              env={**base, "PYTHONPATH": str(site)}, capture_output=True, text=True, cwd=tmp_path)
    assert imported.stdout.startswith(str(site)), imported.stdout


def test_the_releases_workflow_runs_two_releases_and_publishes_their_matrix(tmp_path: Path) -> None:
    """The across-releases recipe with its default releases: both runs pass, the matrix and the contract's changes
    land in the step summary, and the matrix's differing rows are the requirements `changes` names."""
    from conformance.contracts.changes import changes, release

    steps = _run_workflow(tmp_path, secrets={"vars.TASKS_CONFORMANCE_ARGS": "--fuzz-budget 0 -- -k test_list_count"},
                          workflow_file=RELEASES_WORKFLOW, job="releases")
    assert [s["code"] for s in steps] == [0, 0, 0, 0], steps
    summary, workspace = steps[-1]["out"], steps[-1]["workspace"]
    assert "## Conformance across 2 runs" in summary
    assert "### Tasks API contract: v2.29.19 → v2.34.5 (upgrade)" in summary
    matrix = json.loads((workspace / "reports" / "matrix" / "matrix.json").read_text())
    assert [r["release"] for r in matrix["runs"]] == ["v2.29.19+reference", "v2.34.5+reference"]
    differing = {r["id"] for r in matrix["rows"] if r["differs"]}
    assert differing and differing <= changes(release("v2.29.19"), release("v2.34.5")).requirements
    assert (workspace / "reports" / "matrix" / "matrix.html").is_file()


def test_the_mock_dockerfile_builds_and_its_image_serves_the_mock(tmp_path: Path) -> None:
    """The image of Dockerfile.mock: `serve` on every interface at port 3000 with the control API, seed 1 unless told
    otherwise. Run here on 127.0.0.1 and a free port (a self-test listens nowhere else), it answers the Tasks API with
    the tokens its control API hands out, and stops cleanly on SIGTERM (what `docker stop` sends)."""
    image = _build(MOCK_DOCKERFILE, tmp_path)
    assert image.entrypoint == ["tasks-conformance", "serve", "--host", "0.0.0.0", "--port", "3000", "--control"]
    assert image.command == ["--seed", "1"] and image.exposed == ["3000"]
    argv = image.argv()
    argv[argv.index("0.0.0.0")], argv[argv.index("3000")] = "127.0.0.1", "0"
    proc = subprocess.Popen(argv, cwd=image.workdir, env=image.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready = next((line for line in proc.stdout if line.startswith("Ready: ")), "")
        assert ready, proc.stderr.read() if proc.stderr else ""
        url = ready.split()[1]
        config = httpx.get(f"{url}/__tasks_mock__/v1/config", timeout=10).json()
        assert config["url"] == url and config["api_prefix"] == "/api/v2"
        tasks = httpx.get(f"{url}/api/v2/tasks", headers={"Coder-Session-Token": config["token"]}, timeout=10)
        assert tasks.status_code == 200 and tasks.json() == {"tasks": [], "count": 0}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert (image.site / "conformance" / "reference" / "mock" / "judge.py").is_file()  # the mock's modules built
