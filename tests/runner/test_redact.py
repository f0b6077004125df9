"""Secrets never survive redaction, in any of the places they can appear."""

from __future__ import annotations

from conformance.runner.records.redact import MASK, Redactor

TOKEN = "Ab3dE6gH9j-kLmN0pQrStUvWxYz123456789"[:33]


def test_known_secret_and_its_halves_are_masked() -> None:
    r = Redactor([TOKEN])
    ident, secret = TOKEN.split("-", 1)
    assert TOKEN not in r.text(f"token {TOKEN} here")
    assert secret not in r.text(f"secret {secret}")
    assert ident not in r.text(f"id {ident}-somethingelse")


def test_unknown_token_shapes_are_masked() -> None:
    other = "Zz9Yy8Xx7W-abcdefghijklmnopqrstuv"
    assert other not in Redactor().text(f"x {other} y")


def test_query_values_are_masked() -> None:
    r = Redactor()
    text = r.text("https://h/api?coder_session_token=s3cr3t&q=owner:me&access_token=t0k3n")
    assert "s3cr3t" not in text and "t0k3n" not in text
    assert "q=owner:me" in text


def test_secret_headers_are_masked_but_others_kept() -> None:
    r = Redactor()
    headers = dict(r.headers([
        ("Coder-Session-Token", "abc"), ("Cookie", "coder_session_token=abc; theme=dark"),
        ("Authorization", "Bearer abc"), ("Accept", "application/json"),
    ]))
    assert headers["Coder-Session-Token"] == MASK
    assert "abc" not in headers["Cookie"] and "theme=" in headers["Cookie"]
    assert headers["Authorization"] == f"Bearer {MASK}"
    assert headers["Accept"] == "application/json"
