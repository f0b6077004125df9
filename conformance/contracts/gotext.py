"""How Coder's Go code measures and trims the strings of a request, where the contract depends on it.

Go's `len` of a string counts UTF-8 bytes, and `strings.TrimSpace` trims what `unicode.IsSpace` calls space (the
ASCII controls \\t \\n \\v \\f \\r, the space, U+0085, U+00A0 and the Unicode separators), which is not quite what
Python's `str.strip()` trims (it also takes U+001C to U+001F).
"""

from __future__ import annotations

# unicode.IsSpace: Latin-1's White_Space characters and every character of categories Zs, Zl and Zp.
GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u2028\u2029\u202f\u205f\u3000")

# coderd/aitasks.go tasksCreate: `len(strings.TrimSpace(req.DisplayName)) > 64` is 400 "Display name must be 64
# characters or less." (from v2.31): the limit is in bytes, so 22 three-byte characters are over it.
DISPLAY_NAME_LIMIT = 64


def trim_space(text: str) -> str:
    """strings.TrimSpace(text)."""
    return text.strip(GO_SPACE)


def byte_length(text: str) -> int:
    """Go's len(text): its UTF-8 bytes. A lone surrogate (JSON can escape one) counts 3, as the U+FFFD that Go's
    decoder puts in its place does."""
    return len(text.encode("utf-8", "surrogatepass"))


def display_name_too_long(display_name: str) -> bool:
    """Whether Coder refuses this create body's display_name as over the limit (a release that has the limit)."""
    return byte_length(trim_space(display_name)) > DISPLAY_NAME_LIMIT
