"""Error answers and the texts a conforming server answers with."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .query import Validation

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"

NOT_FOUND_MESSAGE = "Resource not found or you do not have access to this resource"
INVALID_JSON_MESSAGE = "Request body must be valid JSON."
# What Coder's database driver says when a NUL character reaches PostgreSQL (text cannot hold one).
PQ_NUL_DETAIL = 'pq: invalid byte sequence for encoding "UTF8": 0x00'
# What Coder answers when a handler meets an error it did not expect (coderd/httpapi InternalServerError).
INTERNAL_ERROR_MESSAGE = "An internal server error occurred."
# The most of a request body Coder's httpapi.Read takes (DefaultMaxRequestBodyBytes, 4 MiB, in its later releases;
# coderd/httpapi/requestbodylimit.go), and its answer past it.
MAX_REQUEST_BODY = 4 << 20
BODY_TOO_LARGE_MESSAGE = "Request body too large."
# Legacy logs and send while the task's sidebar app has not passed its health check (authAndDoWithTaskSidebarAppClient).
APP_INITIALIZING_MESSAGE = "Task sidebar app is initializing. Try again shortly."


class ApiError(Exception):
    """An error answer: ``{"message", "detail"?, "validations"?}`` with an HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        detail: str | None = None,
        validations: list[Validation] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail
        self.validations = validations
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.detail:
            body["detail"] = self.detail
        if self.validations:
            body["validations"] = [v.to_json() for v in self.validations]
        return body


def empty_response(status: int) -> Response:
    """An answer without a body (and, as Go's http server writes a 202 or 204, without a Content-Type)."""
    return Response(b"", status_code=status)
