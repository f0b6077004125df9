"""Switches of error answers: their body, its key, its words."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..conforming.answers import Answer
from ..conforming.responses import NOT_FOUND_MESSAGE
from .kinds import Switch, fault, variation

# error-wording: other words for the same answers
_REWORDED = {
    "You are signed out or your session has expired. Please sign in again to continue.":
        "Authentication required: the session token is missing, invalid or expired.",
    NOT_FOUND_MESSAGE: "Task not found.",
    "Request body must be valid JSON.": "The request body could not be parsed as JSON.",
    "Task input is required.": "The input must not be empty.",
    "Unable to create a Task with the provided name.": "That task name is not allowed.",
    "Route not found.": "No such endpoint.",
    "Method not allowed.": "This endpoint does not support that method.",
    "Invalid task search query.": "The search query could not be understood.",
    "Invalid workspace search query.": "The search query could not be understood.",
}


def _as_text(answer: Answer) -> Answer:
    if answer.kind != "error" or answer.error is None:
        return answer
    return replace(answer, text=answer.error.message + "\n")


def _error_body(change: Any) -> Any:
    """Rewrite the body of every error answer."""
    return lambda answer: replace(answer, body=change(answer.body)) if answer.kind == "error" else answer


def _reword(body: dict[str, Any]) -> dict[str, Any]:
    message = body.get("message")
    if not isinstance(message, str):
        return body
    return {**body, "message": _REWORDED.get(message, f"Request failed: {message}")}


SWITCHES: tuple[Switch, ...] = (
    fault("error-body-not-json", "error responses carry a plain-text body instead of JSON",
          breaks=("GEN-ERROR-BODY", "AUTH-401-BODY", "FILTER-ERROR-BODY"), area="error bodies",
          answers={"*": _as_text}),
    fault("error-key-renamed", "error bodies say {\"error\": ...} instead of {\"message\": ...}",
          breaks=("GEN-ERROR-BODY", "AUTH-401-BODY", "FILTER-ERROR-BODY"), area="error bodies",
          answers={"*": _error_body(lambda body: {("error" if key == "message" else key): value
                                                  for key, value in body.items()})}),
    variation("error-wording", "every error message worded differently (a fork, a gateway, a later release)",
              warns=("AUTH-401-MESSAGE", "GEN-MALFORMED-JSON-MESSAGE", "FILTER-ERROR-MESSAGE"),
              source="issue 13: a MUST is the status, the envelope and its validations; wording is a SHOULD",
              answers={"*": _error_body(_reword)}),
)
