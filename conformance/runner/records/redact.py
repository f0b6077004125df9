"""Redaction: every secret of the run, in every form it can take, is masked before anything leaves the process.

A `Redactor` knows the run's secrets (the session tokens) and masks, in any text:

- each secret and the forms a server may echo it in: as sent, in any letter case (header names arrive
  lowercased), percent-encoded, base64 (standard and URL-safe alphabets, at any alignment inside a longer
  base64 text) and hex;
- any run of at least `FRAGMENT` characters of a secret, or of one of its encoded forms: half a token, a token
  split across two fields, or the part of a token left at the edge of a cut;
- the values of secret query parameters (`coder_session_token`, `access_token`) and anything shaped like a Coder
  session token, known or not.

It also neutralizes control characters (terminal escape sequences, carriage returns, bidirectional overrides):
text a server supplied never moves the cursor, recolours the terminal or writes the clipboard.

Text is cut only after it is redacted (`Redactor.cut`), so a cut never leaves part of a secret behind.

`install` makes a redactor the process's: every log record created from then on passes through it (httpx logs
request URLs, which may carry a token in the query), and `active()` hands it to code that has no run at hand.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MASK = "[REDACTED]"
FRAGMENT = 8  # this many characters of a secret (or their encoding) in a row count as the secret
_ANCHOR = 6  # length of the substrings searched for; a hit is then extended to the whole run it belongs to
SECRET_HEADERS = frozenset({"coder-session-token", "cookie", "set-cookie", "authorization", "proxy-authorization"})
SECRET_QUERY_KEYS = ("coder_session_token", "access_token")
_QUERY_RE = re.compile(r"(?i)\b(" + "|".join(SECRET_QUERY_KEYS) + r")=([^&#;\s'\"]*)")  # a cookie's `;` ends it too
# Anything shaped like a Coder session token (10-char id, dash, 22-char secret), known to us or not.
_TOKEN_SHAPE = re.compile(r"\b[A-Za-z0-9]{10}-[A-Za-z0-9]{22}\b")
_TOKEN_TAIL = re.compile(r"-[A-Za-z0-9]{22}")  # a quick test before the slower search for the whole shape
# C0 controls but tab and newline, DEL, C1 controls, zero-width and bidirectional formatting characters.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CACHED_LENGTH, _CACHE_SIZE = 256, 4096  # redactions of short texts kept for reuse
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # keeps every length


def neutralize(text: str) -> str:
    """Control characters as visible escapes (`\\u001b`, `\\u202e`); tabs and newlines stay. The escapes are JSON's,
    so a JSON body whose strings held control characters still parses to the same value (evidence bodies are
    audited again)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True)
class _Form:
    """One way a secret can appear: the text (lowercase ASCII) and the shortest run of it that gives it away."""

    text: str
    min_run: int


def _encodings(secret: str) -> list[tuple[str, float]]:
    """The forms a secret may be echoed in, each with how many of its characters stand for one of the secret's: as
    is, percent-encoded, hex, base64 (both alphabets, each alignment: the part that does not depend on the
    neighbouring bytes)."""
    raw = secret.encode("utf-8")
    forms = [(secret, 1.0), ("".join(f"%{b:02x}" for b in raw), 3.0), (raw.hex(), 2.0)]
    for shift in range(3):
        padded = b"\0" * shift + raw
        full, rest = divmod(len(padded), 3)
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(padded).decode("ascii").rstrip("=")
            forms.append((encoded[(0, 2, 3)[shift]: 4 * full + (0, 1, 2)[rest]], 4 / 3))
    unique: dict[str, float] = {}
    for text, expansion in forms:
        if text:
            unique.setdefault(text, expansion)
    return list(unique.items())


def secret_forms(secret: str) -> list[str]:
    """Every form of a secret that `Redactor` masks (besides letter case and fragments); for leak scans."""
    return [text for text, _ in _encodings(secret)]


class Redactor:
    """Masks the run's secrets (and their encodings and fragments), secret headers and query values."""

    def __init__(self, secrets: Iterable[str | tuple[str, str]] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self._known: set[str] = set()
        self._forms: list[_Form] = []
        self._anchors: dict[str, list[tuple[int, int]]] = {}
        self._finder: re.Pattern[str] | None = None  # built from the anchors when text first needs it after an add
        self._longest = FRAGMENT
        self._cache: dict[str, str] = {}
        self._labels: dict[str, str] = {}  # secret -> the name a reader uses for it (an environment variable)
        for secret in secrets:
            if isinstance(secret, tuple):
                self.add(*secret)
            else:
                self.add(secret)

    def add(self, secret: str | None, label: str | None = None) -> None:
        """Learn one more secret (the embedded server's tokens are known only once it runs); `label` is the name a
        reader knows it by (the environment variable of its setting), for commands that reproduce a request.
        Learning costs the new secret's forms only; the matcher is rebuilt once, when text next needs it (an audit
        learns a cookie per recorded exchange: rebuilding everything per secret was quadratic)."""
        if not secret:
            return
        with self._lock:
            if label and secret not in self._labels:
                self._labels[secret] = label
            if secret in self._known:
                return
            self._known.add(secret)
            self._secrets = (*self._secrets, secret)
            for text, expansion in _encodings(secret):
                low = text.translate(_ASCII_LOWER)
                form = _Form(low, min(len(low), max(_ANCHOR, round(FRAGMENT * expansion))))
                number = len(self._forms)
                self._forms.append(form)
                size = min(_ANCHOR, form.min_run)
                # Any run of min_run characters of the form contains one of these anchors.
                step = max(1, form.min_run - size + 1)
                offsets = list(range(0, len(form.text) - size + 1, step))
                if offsets and offsets[-1] != len(form.text) - size:
                    offsets.append(len(form.text) - size)
                for offset in offsets:
                    self._anchors.setdefault(form.text[offset:offset + size], []).append((number, offset))
                self._longest = max(self._longest, len(form.text))
            self._finder = None
            self._cache = {}

    def _matcher(self) -> re.Pattern[str] | None:
        """The matcher of every anchor learned so far (None: no secret yet)."""
        with self._lock:
            if self._finder is None and self._anchors:
                self._finder = re.compile(_trie(self._anchors))
            return self._finder

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def credential_in(self, *texts: str) -> str | None:
        """The label of the first labelled secret that appears, as it is, in one of the texts (None: none)."""
        for secret, label in list(self._labels.items()):
            if any(secret in text for text in texts):
                return label
        return None

    # --- text ------------------------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """The text with every secret masked and control characters neutralized."""
        if not value:
            return value
        short = len(value) <= _CACHED_LENGTH  # header names and values, paths: the same ones again and again
        if short and value in self._cache:
            return self._cache[value]
        finder = self._matcher()
        out = self._mask_runs(value, finder) if finder is not None else value
        if "_token=" in out.translate(_ASCII_LOWER):
            out = _QUERY_RE.sub(lambda m: f"{m.group(1)}={MASK}", out)
        if _TOKEN_TAIL.search(out):
            out = _TOKEN_SHAPE.sub(MASK, out)
        out = neutralize(out)
        if short:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[value] = out
        return out

    def cut(self, value: str, limit: int) -> str:
        """At most about `limit` characters of the redacted text. The text is redacted before it is cut, and the
        part next to the cut is dropped: it may hold the start of a secret that the cut would split."""
        if len(value) <= limit:
            return self.text(value)
        margin = self._longest
        head = self.text(value[: limit + margin])
        kept = head[: max(0, min(limit, len(head) - margin))]
        return f"{kept}... [{len(value)} characters in all]"

    def _mask_runs(self, value: str, finder: re.Pattern[str]) -> str:
        low = value.translate(_ASCII_LOWER)
        spans: list[tuple[int, int]] = []
        hit = finder.search(low)
        while hit is not None:
            anchor = hit.group()
            for number, offset in self._anchors[anchor]:
                span = self._run(low, hit.start(), self._forms[number], offset, len(anchor))
                if span is not None:
                    spans.append(span)
            hit = finder.search(low, hit.start() + 1)  # anchors may overlap
        if not spans:
            return value
        out: list[str] = []
        last = 0
        for start, end in _merged(spans):
            if start >= last:
                out.append(value[last:start])
            out.append(MASK)
            last = max(last, end)
        out.append(value[last:])
        return "".join(out)

    @staticmethod
    def _run(low: str, at: int, form: _Form, offset: int, size: int) -> tuple[int, int] | None:
        """The longest stretch around a hit that the form has too, if it is long enough to give the secret away."""
        text = form.text
        left, form_left = at, offset
        while left > 0 and form_left > 0 and low[left - 1] == text[form_left - 1]:
            left, form_left = left - 1, form_left - 1
        right, form_right = at + size, offset + size
        while right < len(low) and form_right < len(text) and low[right] == text[form_right]:
            right, form_right = right + 1, form_right + 1
        return (left, right) if right - left >= form.min_run else None

    # --- headers ---------------------------------------------------------------------------------------------
    def headers(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Header names and values redacted; the values of secret headers masked whatever they hold."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        out = []
        for name, value in items:
            if name.lower() in SECRET_HEADERS:
                out.append((name, self.text(_mask_header(name, value))))
            else:
                out.append((self.text(name), self.text(value)))
        return out


def _trie(words: Iterable[str]) -> str:
    """One regular expression matching any of the words, as a trie: the matcher branches on each character
    instead of trying every word at every position."""
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(root)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _mask_header(name: str, value: str) -> str:
    """A secret header's value with its secrets masked: the credentials of an Authorization header (its scheme
    stays), every cookie's value in a Cookie header, the cookie of a Set-Cookie (its first `name=value`; the
    attributes after it stay, but for the value of one the suite does not know), any other secret header whole.
    Set-Cookie headers folded into one (joined by ", ") are taken apart where a `name=` follows a comma, so a second
    cookie never passes for the rest of an attribute (a comma inside an Expires date or a value starts none)."""
    lower = name.lower()
    if lower in ("authorization", "proxy-authorization") and " " in value:
        return value.split(" ", 1)[0] + " " + MASK
    if lower not in ("cookie", "set-cookie"):
        return MASK
    attributes = ("path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "partitioned", "priority")
    cookies: list[str] = []
    for piece in value.split(",") if lower == "set-cookie" else [value]:
        if cookies and not re.match(r"\s*[^\s=;,]+\s*=", piece.split(";", 1)[0]):
            cookies[-1] += "," + piece
        else:
            cookies.append(piece)
    masked = []
    for cookie in cookies:
        parts = cookie.split(";")
        for i, part in enumerate(parts):
            key, sep, _ = part.partition("=")
            if part.strip() and not (i and lower == "set-cookie" and key.strip().lower() in attributes):
                parts[i] = f"{key}={MASK}" if sep else part[: len(part) - len(part.lstrip())] + MASK
        masked.append(";".join(parts))
    return ",".join(masked)


# --- the process's redactor: log records, and code without a run at hand ----------------------------------------

_ACTIVE = Redactor()
_FACTORY_INSTALLED = False
_INSTALL_LOCK = threading.Lock()


def active() -> Redactor:
    """The redactor `install` made the process's (one that knows no secret before that)."""
    return _ACTIVE


def install(redactor: Redactor) -> Redactor:
    """Make `redactor` the process's: from now on every log record is redacted when it is created, whatever
    handler (pytest's log capture, --log-cli-level, --log-file) writes it later."""
    global _ACTIVE, _FACTORY_INSTALLED
    with _INSTALL_LOCK:
        _ACTIVE = redactor
        if not _FACTORY_INSTALLED:
            previous = logging.getLogRecordFactory()

            def factory(*args: object, **kwargs: object) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                redact_record(record, _ACTIVE)
                return record

            logging.setLogRecordFactory(factory)
            _FACTORY_INSTALLED = True
    return redactor


def redact_record(record: logging.LogRecord, redactor: Redactor) -> None:
    """The record's message, exception text and stack with secrets masked (its arguments are merged in)."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed format: keep what there is
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redactor.text(message), None
    if record.exc_info:
        record.exc_text = redactor.text("".join(traceback.format_exception(*record.exc_info)).rstrip())
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redactor.text(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor.text(record.stack_info)
