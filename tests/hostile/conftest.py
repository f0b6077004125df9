"""Fixtures of the hostile-server self-tests, and the leak scan that follows every one of them."""

import signal
from collections.abc import Iterator
from pathlib import Path

import leaks
import pytest
from hostile_support import proxied_config, proxy, reference  # noqa: F401  (fixtures)


@pytest.fixture(scope="session", autouse=True)
def runs_take_ctrl_c() -> None:
    """The suite honours an ignored SIGINT (nohup, a shell's background job), and a child inherits the ignoring:
    started from a background job, every run here would ignore the Ctrl-C the interrupt tests send. Handled here,
    the signal is back to its default in the runs these tests start."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def no_secret_leaks(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """After each test: no configured token (nor an encoding or a fragment of one) in the output of its suite runs,
    nor in any file they wrote under the test's directory (reports, logs, temporary files)."""
    leaks.reset()
    if "reference" in request.fixturenames:
        config = request.getfixturevalue("reference").target_config()
        leaks.watch(config["token"], config["second_token"], config["admin_token"])
    yield
    found = leaks.scan(tmp_path)
    assert not found, f"a secret leaked: {found[:5]}"
