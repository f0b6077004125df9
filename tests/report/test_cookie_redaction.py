"""Only secrets are redacted from cookie headers: every cookie's value goes, a Set-Cookie's attributes stay."""

from __future__ import annotations

from conformance.runner.records.redact import MASK, Redactor

TOKEN = "Ab3dE6gH9j-kLmN0pQrStUvWxYz12345"
EXPIRES = "Expires=Wed, 21 Oct 2026 07:28:00 GMT"


def _header(name: str, value: str) -> str:
    [(_, masked)] = Redactor([TOKEN]).headers([(name, value)])
    return masked


def test_set_cookie_keeps_its_attributes() -> None:
    attributes = f"Path=/; HttpOnly; SameSite=Lax; {EXPIRES}; Max-Age=3600; Secure"
    assert _header("Set-Cookie", f"session={TOKEN}; {attributes}") == f"session={MASK}; {attributes}"
    assert _header("set-cookie", "theme=dark; Domain=example.com; path=/x") == (
        f"theme={MASK}; Domain=example.com; path=/x")
    # (the redactor's pass for coder_session_token= query values also takes the ";" after the mask)
    masked = _header("Set-Cookie", f"coder_session_token={TOKEN}; {attributes}")
    assert masked.startswith(f"coder_session_token={MASK}") and masked.endswith(f" {attributes}")


def test_set_cookie_masks_what_is_not_an_attribute() -> None:
    assert _header("Set-Cookie", "s3cr3t; Path=/") == f"{MASK}; Path=/"  # a cookie without a name is all value
    assert _header("Set-Cookie", "a=1; Foo=s3cr3t; Bar") == f"a={MASK}; Foo={MASK}; {MASK}"
    assert TOKEN not in _header("Set-Cookie", f"a=1; Path=/{TOKEN}")  # a kept attribute is still redacted


def test_set_cookie_headers_folded_into_one_lose_every_cookie_value() -> None:
    folded = f"a=s3cr3t1; Path=/; {EXPIRES}, b=s3cr3t2; Max-Age=60, c=x,y; HttpOnly"
    masked = _header("Set-Cookie", folded)
    assert masked == f"a={MASK}; Path=/; {EXPIRES}, b={MASK}; Max-Age=60, c={MASK}; HttpOnly"


def test_every_cookie_value_of_a_cookie_header_is_masked() -> None:
    masked = _header("Cookie", f"theme=dark; session={TOKEN};lone; Path=/")
    assert masked == f"theme={MASK}; session={MASK};{MASK}; Path={MASK}"
