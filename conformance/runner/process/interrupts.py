"""Ctrl-C and SIGTERM, taken where a run can stop cleanly.

A signal handler that raises `KeyboardInterrupt` wherever the main thread happens to be can land inside a
garbage-collector callback or a destructor, where Python swallows it (the interrupt is lost), or in the middle of a
library's bookkeeping. So the run's handler only asks for an interrupt: it is raised at once when the main thread
is waiting in an interruptible place (a request on the wire, a pause between polls), and otherwise at the next
such place it reaches.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator


class _Interrupts:
    def __init__(self) -> None:
        self.pending = False  # asked for, not yet raised
        self._depth = 0  # how deep the main thread is in interruptible places

    def interrupt(self) -> None:
        """Called from a signal handler: raise KeyboardInterrupt now if the main thread is in an interruptible
        place, else when it next enters one."""
        if self._depth > 0:
            self.pending = False
            raise KeyboardInterrupt
        self.pending = True

    def forget(self) -> None:
        """The run is ending anyway (its cleanup must not be cut by an interrupt asked for before)."""
        self.pending = False

    def check(self) -> None:
        """A safe point: raise the interrupt that was asked for, if any."""
        if self.pending and threading.current_thread() is threading.main_thread():
            self.pending = False
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def interruptible(self) -> Iterator[None]:
        """A place where the main thread may be interrupted at once (waiting for the network, sleeping)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        self.check()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def sleep(self, seconds: float) -> None:
        with self.interruptible():
            time.sleep(seconds)


interrupts = _Interrupts()
