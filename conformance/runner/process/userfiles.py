"""Files a user hands the suite (a config, waivers, a baseline, the two runs `diff` compares): user input; and
files written where a user said (reports, the reference's target config): each whole or not at all (`write_atomic`).

Read in bounded time and memory whatever they hold: only a regular file (not a FIFO, a device such as /dev/zero, a
directory), at most a size fit for its kind, UTF-8 text, and parsed by a parser whose recursion is caught (a file
nested thousands of levels deep is an error of the file, not a crash). Every problem is a `UserFileError` in one
line naming the file; the callers turn it into their own configuration error (exit 2).
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import tomllib
from pathlib import Path
from typing import Any


class UserFileError(ValueError):
    """A file the user gave that cannot be used; the message is one line naming it."""


def read_text(path: Path, what: str, limit: int) -> str:
    """The text of a regular file of at most `limit` bytes."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UserFileError(f"{what} {path} is not a regular file")
        if info.st_size > limit:
            raise UserFileError(f"{what} {path} is larger than {limit} bytes; it is not a {what}")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise UserFileError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise UserFileError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise UserFileError(f"{what} {path} is larger than {limit} bytes; it is not a {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserFileError(f"{what} {path} is not UTF-8 text") from None


def load_toml(path: Path, what: str, limit: int) -> dict[str, Any]:
    """A TOML file (a config, waivers)."""
    text = read_text(path, what, limit)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserFileError(f"{what} {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise UserFileError(f"{what} {path} is nested too deeply to be a {what}") from None


def load_json(path: Path, what: str, limit: int) -> Any:
    """A JSON file (a results.json)."""
    text = read_text(path, what, limit)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UserFileError(f"{what} {path} is not JSON: {exc}") from None
    except RecursionError:
        raise UserFileError(f"{what} {path} is nested too deeply to be a {what}") from None


def write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    """The file is the new data, or (on error) unchanged; no temporary file stays behind, and no reader ever sees half
    of it. `private`: readable by its owner only (0600: it holds tokens), else as a plain open() would make it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if not private:  # mkstemp makes it 0600
            os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
