"""Decoding bash's `$'...'` strings, so `$'\\x67it'` is read as `git`."""

from __future__ import annotations

import re

from interns.agents.policy.shell.model import CommandParseError, Text

_SIMPLE = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_SIMPLE |= {"\\": "\\", "'": "'", '"': '"', "?": "?"}


def read_ansi_c(text: str, start: int) -> tuple[Text, int]:
    """The `$'...'` string that starts at `start`, decoded as bash does, and the position after it."""
    pos = start + 2
    out: list[str] = []
    ended = False  # a NUL ends the string; bash drops the rest
    while True:
        char = text[pos] if pos < len(text) else ""
        if not char:
            raise CommandParseError("a $'...' string is not closed")
        if char == "'":
            return Text("".join(out), quoted=True), pos + 1
        if char == "\\":
            decoded, length = _escape(text, pos)
            pos += length
        else:
            decoded = char
            pos += 1
        ended = ended or decoded == "\x00"
        if not ended:
            out.append(decoded)


def _escape(text: str, at: int) -> tuple[str, int]:
    """The character an escape in `$'...'` stands for, and how many characters the escape takes."""
    letter = text[at + 1 : at + 2]
    if letter in _SIMPLE:
        return _SIMPLE[letter], 2
    if letter and letter in "01234567":
        digits = re.match(r"[0-7]{1,3}", text[at + 1 :])
        assert digits is not None
        return chr(int(digits.group(), 8) & 0xFF), 1 + len(digits.group())
    if letter in ("x", "u", "U"):
        width = {"x": 2, "u": 4, "U": 8}[letter]
        digits = re.match(rf"[0-9A-Fa-f]{{1,{width}}}", text[at + 2 :])
        if digits is None:
            return "\\" + letter, 2
        value = int(digits.group(), 16)
        if value > 0x10FFFF:
            raise CommandParseError(f"the escape '\\{letter}{digits.group()}' is not a character")
        return chr(value), 2 + len(digits.group())
    if letter == "c" and at + 2 < len(text):
        return chr(ord(text[at + 2]) & 0x1F), 3
    return "\\" + letter, 1 + len(letter)
