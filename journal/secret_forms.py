"""The forms a known secret value takes in text: as it is, JSON-escaped, percent-encoded, split across lines,
base64 (standard and URL-safe, at any alignment) and hex."""

from __future__ import annotations

import base64
import json
import re

__all__ = ["LINE_BREAK", "forms_pattern"]

LINE_BREAK = r"(?:\r?\n|\\r\\n|\\n)[+\- ]?"
"""Where a secret may be split across two lines: a line break (or its JSON escape), then a diff line's first column."""

_B64_START = (0, 2, 3)
"""Where the characters that depend on the value alone begin, by how many bytes come before it in its group of 3."""
_B64_END = (0, 1, 2)
"""How many characters of a last, partial group of 3 depend on the value alone, by how many of its bytes it has."""


def forms_pattern(value: str) -> tuple[str, set[str]]:
    """A regular expression (no capturing groups) matching `value` in every form this module knows, and every
    character a match can start with."""
    data = value.encode("utf-8", "surrogatepass")
    literals: set[str] = {data.hex(), data.hex().upper()}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode()
        literals.update({whole, whole.rstrip("=")})
        for before in range(3):
            literals.add(_aligned_core(encode(b"\0" * before + data).decode(), before, before + len(data)))
    by_length = sorted((text for text in literals if len(text) >= len(value)), key=len, reverse=True)
    first = {value[0], "\\", "%", *(text[0] for text in by_length)} | ({"+"} if value[0] == " " else set())
    return "|".join([_textual(value), *map(re.escape, by_length)]), first


def _aligned_core(encoded: str, before: int, total: int) -> str:
    """The characters of a base64 text that encode only the value, which follows `before` bytes of anything."""
    full, partial = divmod(total, 3)
    return encoded[_B64_START[before] : 4 * full + _B64_END[partial]]


def _textual(value: str) -> str:
    """The value as text: each character as it is, JSON-escaped or percent-encoded, with a line break allowed between
    any two of them."""
    return f"(?:{LINE_BREAK})?".join(_char_forms(char) for char in value)


def _char_forms(char: str) -> str:
    """One character of a secret in each way text may spell it."""
    forms = {re.escape(char)}
    forms.add(re.escape(json.dumps(char, ensure_ascii=False)[1:-1]))
    forms.add(re.escape(json.dumps(char)[1:-1]))
    percent = "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
    forms.add(re.sub(r"[A-F]", lambda hexdigit: f"[{hexdigit.group()}{hexdigit.group().lower()}]", percent))
    if char == " ":
        forms.add(r"\+")
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")"
