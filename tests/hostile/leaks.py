"""The leak scan of the hostile self-tests: no configured secret, in any encoding or in part, in anything a run wrote.

Written apart from the product's redactor on purpose (it is what is being checked): a secret leaks when a text
holds, in any letter case, a run of FRAGMENT characters of it, or the corresponding run of its percent-encoding,
its hex, or its base64 (standard or URL-safe alphabet, at any of the three alignments inside a longer base64 text).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path

FRAGMENT = 10  # characters of a secret in a row that count as a leak
_OUTPUTS: list[tuple[str, str]] = []  # (what, text) of every suite run of the current test
_SECRETS: set[str] = set()


def record_output(what: str, text: str) -> None:
    _OUTPUTS.append((what, text))


def watch(*secrets: str | None) -> None:
    """Secrets the current test's runs must not show (the reference server's tokens are watched anyway). One shorter
    than FRAGMENT cannot be scanned for (the config refuses such tokens; the tests check those by hand)."""
    _SECRETS.update(s for s in secrets if s and len(s) >= FRAGMENT)


def reset() -> None:
    _OUTPUTS.clear()
    _SECRETS.clear()


def _windows(text: str, size: int) -> set[str]:
    return {text[i:i + size] for i in range(0, max(len(text) - size + 1, 1))}


def patterns(secret: str) -> set[str]:
    """Every string whose presence in a text (compared in lower case) means the secret leaked."""
    raw = secret.encode()
    out = _windows(secret.lower(), FRAGMENT)
    out |= _windows("".join(f"%{b:02x}" for b in raw), 3 * FRAGMENT)
    out |= _windows(raw.hex(), 2 * FRAGMENT)
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + raw).decode().rstrip("=")
            stable = encoded[(0, 2, 3)[shift]:-3]
            out |= {w.lower() for w in _windows(stable, 4 * FRAGMENT // 3 + 2)}
    return out


def find(texts: Iterable[tuple[str, str]], secrets: Iterable[str]) -> list[str]:
    """Where a secret leaked: 'what: pattern'."""
    needles = {p for s in secrets if s for p in patterns(s)}
    found = []
    for what, text in texts:
        low = text.lower()
        hit = next((n for n in needles if n in low), None)
        if hit is not None:
            found.append(f"{what}: {hit!r}")
    return found


def written_files(root: Path) -> list[tuple[str, str]]:
    """Every file under `root` that the runs wrote (the test's own config files, which hold the tokens, aside)."""
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix != ".toml":
            out.append((str(path.relative_to(root)), path.read_bytes().decode("utf-8", "replace")))
    return out


def scan(root: Path, extra_secrets: Iterable[str] = ()) -> list[str]:
    return find([*_OUTPUTS, *written_files(root)], [*_SECRETS, *extra_secrets])
