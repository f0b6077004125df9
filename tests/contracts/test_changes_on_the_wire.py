"""Every difference `changes` reports within the stable line, and the end of the Tasks API, is observed on the wire:
the reference at the release before the boundary answers as `before` says, at the boundary's release as `after`
says. A difference without a probe here fails, so `changes` cannot drift from what a server does."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from ref_support import Api, served_api, unique

from conformance.contracts.changes import Difference, changes, release
from conformance.contracts.profiles import FLAG_GATED_FROM, REMOVED_IN, STABLE, shown

_BEFORE_FLAG = shown((FLAG_GATED_FROM[0], FLAG_GATED_FROM[1] - 1, 0))
_FIRST = shown(STABLE.first)
# Every difference of the stable line: from its first release to the last before the flag, then the flag, then the
# removal. Behaviour differences are probed; "feature" and "generation" rows only say which requirements need them.
_PAIRS = ((_FIRST, _BEFORE_FLAG), (_BEFORE_FLAG, shown(FLAG_GATED_FROM)), (_BEFORE_FLAG, shown(REMOVED_IN)))
DIFFERENCES = [d for old, new in _PAIRS for d in changes(release(old), release(new)).differences
               if d.kind not in ("feature", "generation")]


def _api(version: str, *, flag: bool = True, variations: tuple[str, ...] = ()) -> AbstractContextManager[Api]:
    return served_api(profile="stable", version=version, ai_tasks_flag=flag, lifecycle_delay=0.05, reply_delay=0,
                      variations=variations)


def _paused(api: Api) -> str:
    """A paused task on any release: its workspace stopped (before v2.32 only outside the Tasks API, as a user
    stopping it from the dashboard does)."""
    task = api.create_active(input="")
    api.server.app.store.pause(task["id"])
    api.wait_status(task["id"], "paused")
    return str(task["id"])


def _long_display_name(api: Api) -> int:
    return api.create_raw(name=unique(), display_name="d" * 65).status_code


def _blank_input(api: Api) -> int:
    return api.update_input(_paused(api), "   ").status_code


def _logs_paused(api: Api) -> int:
    return api.get(f"/tasks/me/{_paused(api)}/logs").status_code


def _send_paused(api: Api) -> int:
    return api.send(_paused(api), "are you there").status_code


def _pause(api: Api) -> int:
    return api.pause(api.create_active(input="")["id"]).status_code


def _resume(api: Api) -> int:
    return api.resume(_paused(api)).status_code


def _list(api: Api) -> int:
    return api.list_tasks().status_code


PROBES: dict[tuple[str | None, str], Callable[[Api], int]] = {
    ("display-name-limit", "createTask"): _long_display_name,
    ("input-update-blank-400", "updateTaskInput"): _blank_input,
    ("logs-snapshot", "getTaskLogs"): _logs_paused,
    ("send-409", "sendTaskInput"): _send_paused,
    ("pause-resume", "pauseTask"): _pause,
    ("pause-resume", "resumeTask"): _resume,
    (None, "all"): _list,
}


def _code(answer: str) -> int:
    found = re.match(r"\d{3}", answer)
    assert found, f"the answer {answer!r} names no status code"
    return int(found.group())


def _around(difference: Difference) -> tuple[str, str]:
    """The release before the boundary and the boundary's own."""
    major, minor = (int(n) for n in difference.since[1:].split("."))
    return f"v{major}.{minor - 1}.0", f"v{major}.{minor}.0"


@pytest.mark.parametrize("difference", DIFFERENCES, ids=lambda d: f"{d.operation}:{d.feature or d.kind}@{d.since}")
def test_the_difference_is_on_the_wire(difference: Difference) -> None:
    before, after = _around(difference)
    if difference.feature == "busy-409":  # the first send to an active task finds the agent busy
        observed = []
        for version in (before, after):
            with _api(version, variations=("agent-busy-first",)) as api:
                observed.append(api.send(api.create_active(input="")["id"], "hello").status_code)
        assert observed == [_code(difference.before), _code(difference.after)]
        return
    probe = PROBES.get((difference.feature, difference.operation))
    assert probe is not None, f"no wire probe for {difference.operation}: {difference.what}"
    flagged = difference.kind == "api" and _around(difference)[1] == shown(FLAG_GATED_FROM)  # left unset
    with _api(before) as api:
        assert probe(api) == _code(difference.before)
    with _api(after, flag=not flagged) as api:
        assert probe(api) == _code(difference.after)


def test_every_reported_kind_of_behaviour_is_probed() -> None:
    assert {d.kind for d in DIFFERENCES} >= {"route", "status", "behaviour", "api"}
    behaviours = [(d.feature, d.operation) for d in DIFFERENCES if d.kind != "api"]
    assert len(set(behaviours)) == len(behaviours)  # one probe, one difference
    assert [d.since for d in DIFFERENCES if d.kind == "api"] == [f"v{v[0]}.{v[1]}" for v in (FLAG_GATED_FROM,
                                                                                           REMOVED_IN)]
