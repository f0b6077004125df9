"""Standard streams that outlive their reader: `tasks-conformance run | head` or `>/dev/full` must not turn a
run into a crash. Once a write fails (a broken pipe, a full disk), the stream drops what follows, quietly; the run
goes on, writes its reports, and exits with its verdict's code."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import Any, TextIO


class TolerantStream(io.TextIOBase):
    """A text stream over another that stops writing once the other fails."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self._inner = inner
        self.failed: str | None = None  # why the stream stopped writing

    def _stop(self, exc: BaseException) -> None:
        self.failed = f"{type(exc).__name__}: {exc}"

    def write(self, text: str) -> int:
        if self.failed is None:
            try:
                self._inner.write(text)
            except (OSError, ValueError) as exc:
                self._stop(exc)
        return len(text)

    def flush(self) -> None:
        if self.failed is None:
            try:
                self._inner.flush()
            except (OSError, ValueError) as exc:
                self._stop(exc)

    def isatty(self) -> bool:
        with contextlib.suppress(OSError, ValueError):
            return self.failed is None and self._inner.isatty()
        return False

    def fileno(self) -> int:
        return self._inner.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._inner, "errors", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextlib.contextmanager
def tolerant_std_streams() -> Iterator[None]:
    """sys.stdout and sys.stderr replaced by tolerant streams for the duration."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TolerantStream(sys.stdout), TolerantStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
