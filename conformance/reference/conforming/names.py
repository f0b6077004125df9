"""Task name rules (Coder's codersdk.NameValid) and name generation for tasks created without a name."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable

MAX_NAME_LENGTH = 32
_NAME_RE = re.compile(r"[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*")
_RESERVED = ("new", "create")
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
_SUFFIX_LENGTH = 4


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid task name, or None when it is."""
    if len(name) > MAX_NAME_LENGTH:
        return f"must be <= {MAX_NAME_LENGTH} characters"
    if not name or _NAME_RE.fullmatch(name) is None:
        return "must be alphanumeric with hyphens, and start and end with a letter or digit"
    if name.lower() in _RESERVED:
        return f"cannot use {name!r} as a name"
    return None


def _slug_words(prompt: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", prompt.lower().encode("ascii", "ignore").decode("ascii"))


def generate_name(prompt: str, is_taken: Callable[[str], bool],
                  choice: Callable[[str], str] = secrets.choice) -> str:
    """A valid name from the prompt's first words plus a short random suffix (each character drawn by ``choice``),
    not taken by the owner."""
    budget = MAX_NAME_LENGTH - _SUFFIX_LENGTH - 1
    stem = ""
    for word in _slug_words(prompt):
        candidate = f"{stem}-{word}" if stem else word
        if len(candidate) > budget:
            if not stem:
                stem = word[:budget]
            break
        stem = candidate
    stem = stem or "task"
    while True:
        suffix = "".join(choice(_SUFFIX_ALPHABET) for _ in range(_SUFFIX_LENGTH))
        name = f"{stem}-{suffix}"
        if name_problem(name) is None and not is_taken(name):
            return name
