"""Bodies as they arrive: decoded by their Content-Encoding with bounded output, and the depth guard of JSON.

The live transport (runner/http/transport.py) and the offline audit (audit/recordings.py) read bodies with these."""

from __future__ import annotations

import re
import zlib
from typing import Any

ACCEPT_ENCODING = "gzip, deflate"  # the encodings decoded here (with bounded output)
# JSON nested deeper than this is not parsed (no Tasks API answer is nested more than a few levels): parsers,
# validators and reporters all recurse, and a hostile body 100,000 levels deep would crash them.
MAX_JSON_DEPTH = 64


class BodyTooLarge(Exception):
    pass


class Decoder:
    """Content-Encoding gzip / deflate (stacked too) with bounded output; other encodings stay as they are."""

    def __init__(self, content_encoding: str) -> None:
        self.stages: list[Any] = []
        self.names: list[str] = []
        self._deflate_pending: list[int] = []  # stages whose zlib/raw deflate format is not known yet
        for name in reversed([e.strip().lower() for e in content_encoding.split(",") if e.strip()]):
            if name in ("gzip", "x-gzip"):
                self.stages.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif name == "deflate":
                self._deflate_pending.append(len(self.stages))
                self.stages.append(zlib.decompressobj())
            elif name == "identity":
                continue
            else:
                break  # unknown to us (br, zstd, ...): leave the bytes encoded from here on
            self.names.append(name)

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode a chunk; at most room + 1 bytes come out of each stage (more than room: too large)."""
        for index, stage in enumerate(self.stages):
            if not data:
                return b""
            try:
                out = stage.decompress(data, room + 1)
            except zlib.error:
                if index not in self._deflate_pending:
                    raise
                stage = self.stages[index] = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate
                out = stage.decompress(data, room + 1)
            if index in self._deflate_pending:
                self._deflate_pending.remove(index)
            if len(out) > room:
                raise BodyTooLarge
            data = out
        return data


def decode_body(data: bytes, content_encoding: str, max_bytes: int) -> bytes:
    """A whole body decoded by its Content-Encoding (gzip, deflate, stacked; others left as they are), at most
    `max_bytes` out (BodyTooLarge past it); zlib.error for bytes that are not what the header says."""
    return Decoder(content_encoding).feed(data, max_bytes)


_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # a backslash escape inside a JSON string (\" and \\ among them)
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_EMPTY_PAIR = re.compile(rb"\[\]")


def json_too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a body that looks like JSON nests arrays and objects more than `limit` levels deep. Linear in the
    body and in C, whatever it holds (no pattern that backtracks): escapes dropped, then the text between quotes
    (strings), then everything but brackets; a run of limit + 1 opening brackets is too deep at once, else innermost
    pairs are removed one level per pass, at most `limit` passes over what is left."""
    start = data.lstrip()[:1]
    if start not in (b"[", b"{") or data.count(b"[") + data.count(b"{") <= limit:
        return False
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)
    brackets = b"".join(data.split(b'"')[::2]).translate(_BRACKETS, _NOT_BRACKETS)
    if b"[" * (limit + 1) in brackets:
        return True
    for _ in range(limit):
        brackets, removed = _EMPTY_PAIR.subn(b"", brackets)
        if not brackets or not removed:
            return False  # nested at most `limit` levels, or unbalanced (not JSON: its parser says so)
    return True
