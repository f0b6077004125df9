"""`changes`: every difference in the contract between two releases, derived from profiles.py and the catalogue."""

from __future__ import annotations

import pytest

from conformance.contracts.changes import ReleaseError, changes, markdown, release, text
from conformance.contracts.profiles import FEATURE_EFFECTS, PROFILES, STABLE
from conformance.contracts.requirements import catalogue


def _delta(old: str, new: str):  # type: ignore[no-untyped-def]
    return changes(release(old), release(new))


def test_from_v2_29_to_v2_34_lists_what_the_issue_names_with_its_pull_request() -> None:
    delta = _delta("v2.29.0", "v2.34.0")
    rows = {(d.operation, d.feature): d for d in delta.differences}
    assert rows[("pauseTask", "pause-resume")].after.startswith("202")
    assert rows[("resumeTask", "pause-resume")].before.startswith("404")
    paused = rows[("sendTaskInput", "send-409")]
    assert (paused.before, paused.after, paused.since) == ("400", "409", "v2.31")
    assert "coder/coder#21887" in paused.source and "paused" in paused.what
    assert "snapshot" in rows[("getTaskLogs", "logs-snapshot")].after
    assert "coder/coder#21771" in rows[("getTaskLogs", "logs-snapshot")].source
    limit = STABLE.feature("display-name-limit")
    assert limit is not None
    if limit.since > (2, 29, 0):
        assert rows[("createTask", "display-name-limit")].after.startswith("400")
    else:  # dated to v2.29.0 or before: no difference between the two
        assert ("createTask", "display-name-limit") not in rows
    busy = rows[("sendTaskInput", "busy-409")]
    assert (busy.before, busy.after, busy.source.split()[0]) == ("502", "409", "coder/coder#23424")
    assert all(d.source and d.since for d in delta.differences)
    grouped = delta.by_operation()  # grouped by operation, the earliest boundary first
    earliest = [min(tuple(int(n) for n in d.since.lstrip("v").split(".")) for d in rows) for rows in grouped.values()]
    assert earliest == sorted(earliest)


def test_a_downgrade_lists_the_reverse() -> None:
    up, down = _delta("v2.29.0", "v2.34.0"), _delta("v2.34.0", "v2.29.0")
    assert (up.direction, down.direction) == ("upgrade", "downgrade")
    assert [(d.operation, d.what, d.after, d.before) for d in up.differences] == \
           [(d.operation, d.what, d.before, d.after) for d in down.differences]
    assert up.requirements == down.requirements


def test_the_api_is_gone_in_v2_37_and_may_be_off_from_v2_36() -> None:
    gone = _delta("v2.34.0", "v2.37.0")
    assert [d.kind for d in gone.differences] == ["api"]
    assert "gone" in gone.differences[0].after and "coder/coder#28789" in gone.differences[0].source
    assert set(gone.requirements) == set(catalogue("stable"))
    off = _delta("v2.35.0", "v2.36.0").differences
    assert [d.kind for d in off] == ["api"] and "CODER_ENABLE_AI_TASKS" in off[0].after


def test_every_stable_feature_boundary_is_listed_and_nothing_within_a_release() -> None:
    delta = _delta(f"v{STABLE.first[0]}.{STABLE.first[1]}.0", "v2.35.0")
    listed = {d.feature for d in delta.differences}
    later = {f.name for f in STABLE.features if f.since > STABLE.first}
    assert listed == later
    assert _delta("v2.34.0", "v2.34.5").differences == ()
    assert _delta("v2.31.0", "2.31").differences == ()


def test_every_requirement_a_release_is_spared_is_named() -> None:
    """The requirements a run at the older release skips for its release are exactly those `changes` names up to the
    newest release of its line (the run's skip reasons and `changes` read the same features)."""
    from conformance.contracts.profiles import Terms, parse_version

    old = parse_version("v2.29.0")
    assert old is not None
    terms = Terms(STABLE, old)
    spared = {rid for rid, r in catalogue("stable").items() if r.feature and not terms.has(r.feature)}
    assert spared and spared <= _delta("v2.29.0", "v2.35.0").requirements


def test_across_generations() -> None:
    delta = _delta("v2.27.1", "v2.34.0")
    kinds = {(d.operation, d.kind) for d in delta.differences}
    assert ("all", "route") in kinds and ("all", "generation") in kinds
    ids = delta.requirements
    assert "STABLE-ALIASES" in ids and "LEGACY-ID-IS-WORKSPACE" in ids and "GET-BY-NAME" in ids
    assert _delta("legacy", "experimental").new.version == PROFILES["experimental"].last


@pytest.mark.parametrize("word", ["latest", "v3.0.0", "v2.20.1", "2", ""])
def test_an_unknown_release_is_refused_in_one_line(word: str) -> None:
    with pytest.raises(ReleaseError) as raised:
        release(word)
    assert "\n" not in str(raised.value) and str(raised.value)


def test_every_effect_belongs_to_a_feature_and_names_catalogue_requirements() -> None:
    ids = set(catalogue())
    for name, effects in FEATURE_EFFECTS.items():
        assert any(p.feature(name) for p in PROFILES.values()), name
        for effect in effects:
            assert set(effect.requirements) <= ids, effect


def test_text_and_markdown_show_every_difference() -> None:
    delta = _delta("v2.29.0", "v2.34.0")
    shown, table = text(delta), markdown(delta)
    assert shown.splitlines()[0].startswith(f"v2.29.0 -> v2.34.0 (upgrade): {len(delta.differences)} differences")
    assert table.count("\n| `") == len(delta.differences)
    for d in delta.differences:
        assert d.before in shown and d.after in shown and d.since in table


def test_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from conformance.cli import main

    assert main(["changes", "v2.34.0", "v2.37.0"]) == 0
    assert "the Tasks API is gone" in capsys.readouterr().out
    assert main(["changes", "v2.29.0", "v2.34.0", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["direction"] == "upgrade" and "pauseTask" in data["operations"]
    assert main(["changes", "v2.34.0", "v2.29.0", "--markdown"]) == 0
    assert "(downgrade)" in capsys.readouterr().out
    assert main(["changes", "v2.29.0", "v9.1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("tasks-conformance: changes: ")


def test_the_readme_example_is_what_the_command_prints() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("       tasks-conformance changes v2.29.19 v2.34.5\n", 1)[1].splitlines()[:3]
    printed = text(_delta("v2.29.19", "v2.34.5")).splitlines()[:3]
    assert [line.strip() for line in shown] == [line.strip() for line in printed]


def test_a_level_that_changes_with_the_generation_is_listed() -> None:
    delta = _delta("v2.28.0", "v2.29.0")
    levels = {d.what: (d.before, d.after) for d in delta.differences if d.what.startswith("the level of ")}
    expected = {f"the level of {rid}": (catalogue("experimental")[rid].level, r.level)
                for rid, r in catalogue("stable").items()
                if rid in catalogue("experimental") and catalogue("experimental")[rid].level != r.level}
    assert levels == expected and levels
