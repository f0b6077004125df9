"""Response construction: JSON bodies with Coder's content type, the error body shape, the build header."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from .query import Validation

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
BUILD_VERSION_HEADER = "X-Coder-Build-Version"
BUILD_VERSION = "v2.28.0-reference"

NOT_FOUND_MESSAGE = "Resource not found or you do not have access to this resource"
INVALID_JSON_MESSAGE = "Request body must be valid JSON."


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


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = {BUILD_VERSION_HEADER: BUILD_VERSION}
    headers.update(extra or {})
    return headers


def encode_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8") + b"\n"


def json_response(
    status: int, body: Any, *, text_plain: bool = False, content_type: str | None = JSON_CONTENT_TYPE
) -> Response:
    """A JSON response; ``content_type`` None sends no Content-Type at all."""
    media_type = TEXT_CONTENT_TYPE if text_plain else content_type
    response = Response(encode_json(body), status_code=status, headers=_headers())
    if media_type is not None:
        response.headers["content-type"] = media_type
    return response


def empty_response(status: int) -> Response:
    return Response(b"", status_code=status, headers=_headers())


def error_response(
    error: ApiError,
    *,
    text_plain: bool = False,
    body_not_json: bool = False,
    content_type: str = JSON_CONTENT_TYPE,
    body: dict[str, Any] | None = None,
) -> Response:
    """The error answer; ``body`` replaces ``error.body()`` (variations and faults reshape it)."""
    if body_not_json:
        return Response(
            error.message + "\n",
            status_code=error.status,
            media_type=TEXT_CONTENT_TYPE,
            headers=_headers(error.headers),
        )
    response = json_response(error.status, error.body() if body is None else body, text_plain=text_plain,
                             content_type=content_type)
    response.headers.update(error.headers)
    return response
