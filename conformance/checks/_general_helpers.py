"""Helpers shared by the general and authentication checks."""

from __future__ import annotations

import json
from typing import Any

import httpx

from conformance.contracts.contract import Contract
from conformance.runner.tasks import expect


def error_body(response: httpx.Response, contract: Contract) -> dict[str, Any]:
    """The response's error body, validated against the Error schema whatever its Content-Type says.

    The content type has its own requirement (GEN-CONTENT-TYPE); this only judges the body.
    """
    try:
        body = json.loads(response.content)
    except ValueError:
        raise expect.fail(f"expected a JSON error body for {expect.describe(response)} ({response.status_code}), "
                          f"got unparseable content: {response.text.strip()[:160]!r}") from None
    problems = contract.errors("Error", body)
    if problems:
        raise expect.fail(f"the {response.status_code} body of {expect.describe(response)} does not match the "
                          "Error schema: " + "; ".join(problems))
    assert isinstance(body, dict)
    return body


def error_message(response: httpx.Response, message: str, contract: Contract) -> None:
    """Require the error body's message to be `message`."""
    got = error_body(response, contract).get("message")
    if got != message:
        raise expect.fail(f"expected the error message {message!r} for {expect.describe(response)} "
                          f"({response.status_code}), got {got!r}")
