"""What the audit reads and what it prints: unreadable files, streaming, secrets and server text."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from audit_support import audit, write_har

from conformance.audit.recordings import RecordingError, read

TOKEN = "Ab3De5Gh7J-" + "q1w2e3r4t5y6u7i8o9p0as"  # a Coder-shaped session token
COOKIE = "s3cr3t-cookie-value-0123456789"


def _entry(path: str, status: int, body: Any, *, headers: tuple[tuple[str, str], ...] = (),
           content_type: str = "application/json") -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "startedDateTime": "2026-12-01T10:00:00.000Z", "time": 3,
        "request": {"method": "GET", "url": f"https://coder.example.com{path}", "httpVersion": "HTTP/1.1",
                    "headers": [{"name": k, "value": v} for k, v in headers], "cookies": [],
                    "queryString": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [],
                     "headers": [{"name": "Content-Type", "value": content_type},
                                 {"name": "X-Coder-Build-Version", "value": "v2.34.0"}],
                     "content": {"size": len(text), "mimeType": content_type, "text": text},
                     "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": 3, "receive": 0},
    }


def _har(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "pages": [],
                    "entries": list(entries)}}


EMPTY_LIST = {"tasks": [], "count": 0}


def test_secrets_of_the_recording_never_reach_the_output(tmp_path: Path) -> None:
    """A token sent in a header, a cookie, the query, and echoed by the server in failing bodies (as it is, in
    base64, in a cookie value): none of it is printed, in text or JSON."""
    echoed = f"bad token {TOKEN} / {base64.b64encode(TOKEN.encode()).decode()} / {COOKIE}"
    har = _har(
        _entry("/api/v2/tasks", 200, EMPTY_LIST, headers=(("Coder-Session-Token", TOKEN),)),
        _entry("/api/v2/tasks/me/x", 404, echoed, headers=(("Cookie", f"coder_session_token={COOKIE}"),)),
        _entry(f"/api/v2/tasks?coder_session_token={TOKEN}", 400, {"message": [echoed]}),
    )
    path = write_har(har, tmp_path / "secret.har")
    for args in ((), ("--json",)):
        result = audit(path, *args)
        assert result.code == 1, result.output
        for secret in (TOKEN, TOKEN.split("-", 1)[1], base64.b64encode(TOKEN.encode()).decode()[:20], COOKIE):
            assert secret not in result.output, (args, secret)
        assert result.output.count("[REDACTED]") >= 4, result.output  # the bodies were quoted, masked


def test_server_text_cannot_drive_the_terminal(tmp_path: Path) -> None:
    har = _har(_entry("/api/v2/tasks/me/x", 404, {"message": 7, "x": "\x1b[2J\x1b[32mverdict: PASS\x1b]52;c;AAAA\x07"}))
    result = audit(write_har(har, tmp_path / "escapes.har"))
    assert result.code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output


@pytest.mark.parametrize(("name", "content", "words"), [
    ("garbage.har", b"\x00\x01 not a recording at all {", "not readable as JSON or YAML"),
    ("truncated.har", json.dumps(_har(_entry("/api/v2/tasks", 200, EMPTY_LIST))).encode()[:-40],
     "not readable as JSON or YAML"),
    ("other.json", b'{"hello": [1, 2, 3]}', "neither a HAR file (log.entries) nor a VCR cassette"),
    ("other.yaml", b"hello: world\nlist: [1, 2]\n", "neither a HAR file nor a VCR cassette"),
    ("empty.yaml", b"", "neither a HAR file nor a VCR cassette (empty)"),
])
def test_an_unreadable_file_exits_2_with_the_reason(name: str, content: bytes, words: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = audit(path)
    assert result.code == 2, result.output
    assert words in result.output and "UNREADABLE" in result.output and "audit: INCOMPLETE" in result.output


def test_a_missing_file_and_a_file_without_tasks_traffic(tmp_path: Path) -> None:
    missing = audit(tmp_path / "nowhere.har")
    assert missing.code == 2 and "cannot be read" in missing.output
    other = write_har(_har(_entry("/api/v2/users/me", 200, {"id": "x"})), tmp_path / "users.har")
    result = audit(other)
    assert result.code == 2 and "nothing to audit" in result.output and "1 ignored" in result.output
    empty = write_har(_har(), tmp_path / "empty.har")
    assert audit(empty).code == 2


def test_exchanges_stream_before_the_end_of_the_file_is_read(tmp_path: Path) -> None:
    """The reader hands each exchange on as it completes: a file broken at its end still yields what came before
    (and then says it is broken)."""
    good = json.dumps(_har(*[_entry("/api/v2/tasks", 200, EMPTY_LIST)] * 3))
    path = tmp_path / "broken-tail.har"
    path.write_text(good[: good.rindex("]")] + ', {"request": ', encoding="utf-8")
    seen = []
    with pytest.raises(RecordingError):
        for exchange in read(path):
            seen.append(exchange.status)
    assert seen == [200, 200, 200]
    result = audit(path)
    assert result.code == 2 and "3 judged: 3 passed" in result.output


def test_cassette_interactions_stream_too(tmp_path: Path) -> None:
    item = {"request": {"method": "GET", "uri": "https://coder.example.com/api/v2/tasks", "headers": {}, "body": None},
            "response": {"status": {"code": 200, "message": "OK"},
                         "headers": {"Content-Type": ["application/json"]},
                         "body": {"string": json.dumps(EMPTY_LIST)}}}
    text = yaml.safe_dump({"interactions": [item] * 3, "version": 1})
    path = tmp_path / "broken-tail.yaml"
    path.write_text(text.replace("version: 1", "version: [1"), encoding="utf-8")
    seen = []
    with pytest.raises(RecordingError):
        for exchange in read(path):
            seen.append(exchange.status)
    assert seen == [200, 200, 200]


def test_base64_har_content_and_a_large_file(tmp_path: Path) -> None:
    entry = _entry("/api/v2/tasks", 200, "")
    entry["response"]["content"].update(text=base64.b64encode(json.dumps(EMPTY_LIST).encode()).decode(),
                                        encoding="base64")
    path = write_har(_har(*[entry] * 20000), tmp_path / "large.har")
    data = audit(path, "--json").json()
    assert data["exit_code"] == 0 and data["passed"] == 20000 and data["by_operation"]["listTasks"]["judged"] == 20000


def test_odd_but_valid_recordings(tmp_path: Path) -> None:
    """A BOM before the JSON, a status as a string, cookies that are not a list, a body the HAR left out, Ruby VCR's
    base64_string bodies."""
    entry = _entry("/api/v2/tasks", 200, EMPTY_LIST)
    entry["response"]["status"] = "200"
    entry["request"]["cookies"] = 5
    unsaved = _entry("/api/v2/tasks", 200, EMPTY_LIST)
    del unsaved["response"]["content"]["text"]
    path = tmp_path / "windows.har"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_har(entry, unsaved)).encode())
    data = audit(path, "--json").json()
    assert (data["exit_code"], data["passed"], data["failed"]) == (0, 2, 0), data
    assert data["not_judged_in_part"] == {"body not (wholly) in the recording: not judged": 1}
    ruby = {"interactions": [{"request": {"method": "GET", "uri": "https://h/api/v2/tasks"},
                              "response": {"status": {"code": 200}, "headers": {"Content-Type": ["application/json"]},
                                           "body": {"encoding": "UTF-8", "base64_string":
                                                    base64.b64encode(json.dumps(EMPTY_LIST).encode()).decode()}}}]}
    cassette = tmp_path / "ruby.yml"
    cassette.write_text(yaml.safe_dump(ruby), encoding="utf-8")
    assert audit(cassette, "--json").json()["passed"] == 1


def test_a_directory_skips_files_that_are_no_recordings(tmp_path: Path) -> None:
    """`audit reports/`: the results.json beside evidence.har is no recording; named on its own, it is unreadable."""
    write_har(_har(_entry("/api/v2/tasks", 200, EMPTY_LIST)), tmp_path / "evidence.har")
    (tmp_path / "results.json").write_text('{"verdict": "pass"}', encoding="utf-8")
    result = audit(tmp_path)
    assert result.code == 0 and "1 more in the directories given are no recordings: skipped" in result.output
    assert audit(tmp_path / "results.json").code == 2


def test_a_secret_in_a_file_name_is_masked(tmp_path: Path) -> None:
    path = write_har(_har(_entry(f"/api/v2/tasks?coder_session_token={TOKEN}", 299, "not json")),
                     tmp_path / f"run-{TOKEN}.har")
    for args in ((), ("--json",)):
        result = audit(path, *args)
        assert result.code == 1 and TOKEN not in result.output and TOKEN.split("-", 1)[1] not in result.output
