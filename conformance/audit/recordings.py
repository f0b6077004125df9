"""Recorded HTTP exchanges, read from HAR 1.2 files and VCR.py cassettes, one at a time.

- HAR: `log.entries[]` (browsers' developer tools, proxies, the suite's own `evidence.har`). `content.text` is the
  body as the browser decoded it; `content.encoding: base64` is undone.
- VCR.py cassettes, YAML or JSON: `interactions[]` with `request` and `response` (vcrpy, and pytest-recording,
  which writes the same format one file per test), or the older layout whose top level is the list itself. A body is
  as the server sent it: `Content-Encoding` gzip or deflate is undone here; `!!binary` bodies are bytes.

Files stream: an exchange is built, handed on and dropped before the next one is read, so a file of any size costs
the memory of its largest exchange. Each body is decoded up to `MAX_BODY_BYTES`; a larger one counts as cut.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson
import yaml

from conformance.runner.records.bodies import MAX_JSON_DEPTH, BodyTooLarge, decode_body
from conformance.runner.records.evidence import CUT_COMMENT
from conformance.runner.settings.http import DEFAULT_MAX_BODY_BYTES

_BOM = b"\xef\xbb\xbf"
MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES  # the most of one body an audit reads, as a run does
RECORDING_SUFFIXES = (".har", ".json", ".yaml", ".yml")  # the files taken from a directory
MAX_DEPTH = MAX_JSON_DEPTH  # the deepest a recording nests (a HAR entry holds its bodies as text: a few levels)
# Bytes the JSON parser reads at a time. yajl lexes a string that spans reads again from its start at every read, so
# a body of n bytes costs n^2 / READ_SIZE: 64 KB reads (ijson's default) took 4 s for a body of 4 MB of escapes, 2 MB
# reads 0.5 s; and each read's events are built at once, so larger reads cost memory (16 MB reads: 187 MB peak for a
# 34 MB HAR, 2 MB: 61 MB).
READ_SIZE = 2 * 1024 * 1024
MAX_NODES = 1_000_000  # values one YAML interaction may hold once its aliases are expanded (an alias bomb has 10^9)


class RecordingError(Exception):
    """A file that cannot be read as recorded traffic; the message says why, without the file's content."""


@dataclass(frozen=True)
class Recorded:
    """One recorded request and its answer. `status` 0: no answer was recorded (the request failed)."""

    source: str  # "file.har#12": where it is, for the reader (the entry's 1-based number)
    method: str
    url: str
    status: int
    request_headers: tuple[tuple[str, str], ...]
    response_headers: tuple[tuple[str, str], ...]
    body: bytes
    body_complete: bool = True  # False: the recording (or this reader's cap) kept only part of the body
    cookies: tuple[str, ...] = ()  # cookie values the recording lists apart from the headers (HAR)

    def response_header(self, name: str) -> str:
        return _header(self.response_headers, name)


def expand(paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """The files to read, each with whether it was named (not found in a directory): each file given, and the
    files under each directory given with a recording's suffix (sorted, recursively: pytest-recording keeps one
    cassette per test under `cassettes/<module>/`)."""
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in RECORDING_SUFFIXES):
                yield found, False
        else:
            yield path, True


def read(path: Path) -> Iterator[Recorded]:
    """The exchanges of one file, in order; RecordingError when it is no recording (after those read so far)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise RecordingError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    with handle:
        if not path.is_file():
            raise RecordingError(f"{path}: not a regular file")
        head = handle.read(1024)
        start = len(_BOM) if head.startswith(_BOM) else 0  # some exporters on Windows write one
        handle.seek(start)
        try:
            if head[start:].lstrip()[:1] in (b"{", b"["):
                yield from _json_records(path, handle, start)
            else:
                yield from _yaml_records(path, handle)
        except (ijson.JSONError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise RecordingError(f"{path}: not readable as JSON or YAML ({type(exc).__name__}"
                                 f"{_where(exc)})") from None


def _where(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


# --- JSON: HAR, or a cassette written by vcrpy's JSON serializer -------------------------------------------------

# where a file keeps its exchanges (an ijson prefix) -> what they are
_JSON_LISTS = {"log.entries": "har", "interactions": "vcr", "": "vcr"}  # "": a top-level list (older cassettes)


def _json_records(path: Path, handle: IO[bytes], start: int) -> Iterator[Recorded]:
    """Check the nesting, find where the exchanges are (a first look that stops there), then build them with ijson's
    C backend."""
    _shallow_enough(path, handle)
    handle.seek(start)
    kind, items = "", ""
    for prefix, event, _ in ijson.parse(handle, buf_size=READ_SIZE):
        if event == "start_array" and prefix in _JSON_LISTS:
            kind, items = _JSON_LISTS[prefix], f"{prefix}.item".lstrip(".")
            break
    if not kind:
        raise RecordingError(f"{path}: neither a HAR file (log.entries) nor a VCR cassette (interactions)")
    handle.seek(start)
    build = _har_entry if kind == "har" else _interaction
    for number, item in enumerate(ijson.items(handle, items, use_float=True, buf_size=READ_SIZE), 1):
        yield build(f"{path.name}#{number}", item)


def _shallow_enough(path: Path, handle: IO[bytes]) -> None:
    """RecordingError for a file nested deeper than MAX_DEPTH anywhere. ijson builds each item with the path of every
    value in it, so a field nested 100,000 levels deep costs memory quadratic in the depth (a 200 KB HAR took 24 GB);
    its event stream, read here first, costs none."""
    depth = 0
    try:
        for event, _ in ijson.basic_parse(handle, buf_size=READ_SIZE):
            if event in ("start_map", "start_array"):
                depth += 1
                if depth > MAX_DEPTH:
                    raise RecordingError(f"{path}: nested more than {MAX_DEPTH} levels deep; no recording of HTTP "
                                         "exchanges is")
            elif event in ("end_map", "end_array"):
                depth -= 1
    except ijson.JSONError:
        return  # broken further on: the reading pass hands on what comes before, then says so


# --- YAML cassettes, streamed event by event ------------------------------------------------------------------

_CONSTRUCTOR = yaml.SafeLoader("")  # resolves and constructs plain scalars the way yaml.safe_load does


def _scalar(event: yaml.ScalarEvent) -> Any:
    tag = event.tag
    if tag in (None, "!"):
        tag = _CONSTRUCTOR.resolve(yaml.ScalarNode, event.value, event.implicit)
    # The safe loader's constructor for the tag, called directly: construct_object would remember every node it
    # built (its cache lives as long as the loader), and the file would no longer stream.
    construct = yaml.SafeLoader.yaml_constructors.get(tag)
    if construct is None:  # a tag the safe loader does not know (e.g. !!python/unicode): the text as it is
        return event.value
    try:
        return construct(_CONSTRUCTOR, yaml.ScalarNode(tag, event.value, style=event.style))
    except (yaml.constructor.ConstructorError, ValueError):
        return event.value


class _Frame:
    def __init__(self, container: Any, anchor: str | None, records: bool = False) -> None:
        self.container, self.anchor, self.records = container, anchor, records
        self.key: Any = _NO_KEY
        self.size = 1  # values in it, aliases counted as what they stand for


_NO_KEY = object()


def _yaml_records(path: Path, handle: IO[bytes]) -> Iterator[Recorded]:
    """Each item of the top-level `interactions` list (or of a top-level list) as soon as it is complete."""
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, how many values it holds)
    number, found, top = 0, False, None

    def complete(value: Any, anchor: str | None, size: int = 1) -> Recorded | None:
        nonlocal number, top
        if anchor:
            anchors[anchor] = (value, size)
        if len(stack) > MAX_DEPTH:
            raise RecordingError(f"{path}: nested more than {MAX_DEPTH} levels deep; no recording of HTTP exchanges "
                                 "is")
        if not stack:
            top = value
            return None
        frame = stack[-1]
        if frame.records:
            number += 1
            return _interaction(f"{path.name}#{number}", value)
        frame.size += size
        if frame.size > MAX_NODES:  # aliases of aliases: a few hundred bytes that expand to billions of values
            raise RecordingError(f"{path}: its YAML aliases expand to more than {MAX_NODES} values in one "
                                 "interaction; no cassette of HTTP exchanges does")
        if isinstance(frame.container, list):
            frame.container.append(value)
        elif frame.key is _NO_KEY:
            frame.key = value if not isinstance(value, (dict, list)) else "(a key that is no scalar)"
        else:
            frame.container[frame.key] = value
            frame.key = _NO_KEY
        return None

    for event in yaml.parse(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        done: Recorded | None = None
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            is_list = isinstance(event, yaml.SequenceStartEvent)
            records = is_list and (not stack or (len(stack) == 1 and isinstance(stack[0].container, dict)
                                                 and stack[0].key == "interactions"))
            found = found or records
            stack.append(_Frame([] if is_list else {}, event.anchor, records))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = stack.pop()
            done = complete(None if frame.records else frame.container, frame.anchor, frame.size)
        elif isinstance(event, yaml.ScalarEvent):
            done = complete(_scalar(event), event.anchor)
        elif isinstance(event, yaml.AliasEvent):
            value, size = anchors.get(event.anchor or "", (None, 1))
            done = complete(value, None, size)
        if done is not None:
            yield done
    if not found:
        what = "empty" if top is None and not number else "no VCR cassette (no interactions list)"
        raise RecordingError(f"{path}: neither a HAR file nor a VCR cassette ({what})")


# --- one exchange ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _pairs(headers: Any) -> tuple[tuple[str, str], ...]:
    """Headers as (name, value) pairs: HAR's list of {name, value}, or vcrpy's mapping of name to value(s)."""
    pairs: list[tuple[str, str]] = []
    if isinstance(headers, list):
        for item in headers:
            if isinstance(item, dict):
                pairs.append((_text(item.get("name")), _text(item.get("value"))))
    elif isinstance(headers, dict):
        for name, values in headers.items():
            for value in values if isinstance(values, list) else [values]:
                pairs.append((_text(name), _text(value)))
    return tuple(pairs)


def _status(value: Any) -> int:
    """A recorded status code (an int, or digits in a string); 0 for anything else (no answer recorded)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value if 0 <= value <= 999 else 0  # a status of 5,000 digits is no status
    if isinstance(value, float) and value.is_integer() and 0 <= value <= 999:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 3:
        return int(value.strip())
    return 0


def _bounded(data: bytes, complete: bool) -> tuple[bytes, bool]:
    if len(data) > MAX_BODY_BYTES:
        return data[:MAX_BODY_BYTES], False
    return data, complete


def _part(value: Any, key: str) -> dict[str, Any]:
    """value[key] when both are objects; {} for anything else (a recording is read, not trusted)."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _har_entry(source: str, entry: Any) -> Recorded:
    request, response = _part(entry, "request"), _part(entry, "response")
    content = _part(response, "content")
    text = _text(content.get("text"))
    # a body the recording cut, or left out (browsers save HARs "without content"), cannot be judged
    complete = content.get("comment") != CUT_COMMENT and ("text" in content or not content.get("size"))
    # what is past MAX_BODY_BYTES is never decoded: the text is cut first (base64: 4 characters per 3 bytes; UTF-8:
    # at least a byte per character), the body then to its bound
    if content.get("encoding") == "base64":
        try:
            body = base64.b64decode(text[:(MAX_BODY_BYTES // 3 + 2) * 4], validate=False)
        except (binascii.Error, ValueError):
            body = text[:MAX_BODY_BYTES + 1].encode("utf-8", "surrogatepass")
    else:
        body = text[:MAX_BODY_BYTES + 1].encode("utf-8", "surrogatepass")
    headers = _pairs(response.get("headers"))
    if body[:2] == b"\x1f\x8b":  # a tool that stored the bytes as they came
        body, complete = _decoded(body, _header(headers, "content-encoding") or "gzip", complete)
    body, complete = _bounded(body, complete)
    cookies = tuple(_text(c.get("value")) for part in (request, response)
                    for c in _list(part.get("cookies")) if isinstance(c, dict))
    return Recorded(source, _text(request.get("method")).upper(), _text(request.get("url")),
                    _status(response.get("status")), _pairs(request.get("headers")), headers, body, complete, cookies)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


def _decoded(body: bytes, encoding: str, complete: bool) -> tuple[bytes, bool]:
    try:
        return decode_body(body, encoding, MAX_BODY_BYTES), complete
    except BodyTooLarge:
        return body[:0], False
    except zlib.error:
        return body, complete  # not what the header says: judged as it is


def _vcr_body(body: Any) -> bytes:
    if isinstance(body, dict):
        if "string" not in body and isinstance(body.get("base64_string"), str):  # Ruby's VCR for binary bodies
            try:
                return base64.b64decode(body["base64_string"])
            except (binascii.Error, ValueError):
                return body["base64_string"].encode("utf-8", "surrogatepass")
        body = body.get("string")
    if isinstance(body, bytes):
        return body
    return _text(body)[:MAX_BODY_BYTES + 1].encode("utf-8", "surrogatepass")


def _interaction(source: str, item: Any) -> Recorded:
    request, response = _part(item, "request"), _part(item, "response")
    status = response.get("status")
    code = _status(status.get("code") if isinstance(status, dict) else status)
    headers = _pairs(response.get("headers"))
    body, complete = _decoded(_vcr_body(response.get("body")), _header(headers, "content-encoding"), True)
    body, complete = _bounded(body, complete)
    return Recorded(source, _text(request.get("method")).upper(), _text(request.get("uri") or request.get("url")),
                    code, _pairs(request.get("headers")), headers, body, complete)
