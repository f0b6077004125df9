"""One thing a client did that a real Coder of the served release would not do or accept (judge.py finds them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The kinds of finding, in the order a summary lists them.
KINDS = ("route", "body", "query", "rate", "retry-after", "left-behind")


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    message: str  # one line: what the client did, and what a real server would do of it
    contract: str  # the contract's words: its document, the feature and pull request, Coder's source
    request_seq: int | None  # the RecordedRequest it is about (recording.py), or None
    method: str
    path: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "contract": self.contract,
                "request_seq": self.request_seq, "method": self.method, "path": self.path}

    def line(self) -> str:
        """The finding in one line of a summary."""
        where = f"#{self.request_seq} " if self.request_seq is not None else ""
        return f"{where}{self.method} {self.path} [{self.kind}] {self.message} (contract: {self.contract})"
