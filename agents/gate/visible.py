"""Text a model or a sandbox wrote, made safe to show on a terminal: it cannot move the cursor, erase, retitle the
window, write the clipboard, reorder itself or style itself.

Every control character is shown as its Python-style escape, so what is on the screen is what is in the text:
C0 controls but newline and tab (`\\x1b`, `\\x0d`, `\\x08`, `\\x07`), DEL (`\\x7f`), C1 controls (`\\x9b`), the
bidirectional controls (`\\u202e`, `\\u2066`...), the Unicode line and paragraph separators, and lone surrogates
(`\\udc9b`, undecodable bytes). A backslash in the text is left as it is.
"""

from __future__ import annotations

import re

__all__ = ["visible", "visible_json", "visible_markup"]

_C0 = "\x00-\x08\x0b-\x1f"
"""C0 controls but tab and newline."""
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
"""DEL, C1, the bidirectional controls, line and paragraph separators, lone surrogates: JSON leaves them raw."""
_CONTROLS = re.compile(f"[{_C0}{_BEYOND_C0}]")
_CONTROLS_AND_BREAKS = re.compile(f"[\t\n{_C0}{_BEYOND_C0}]")
_LEFT_RAW_BY_JSON = re.compile(f"[{_BEYOND_C0}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, one_line: bool = False) -> str:
    """`text` with every control character shown as its escape; with `one_line`, newlines and tabs too."""
    return (_CONTROLS_AND_BREAKS if one_line else _CONTROLS).sub(_escape, text)


def visible_markup(text: str) -> str:
    """`text` made visible and escaped for rich markup, to put into a string that rich renders as markup."""
    from rich.markup import escape  # rich loads where output is drawn, not for every command's start

    return escape(visible(text))


def visible_json(text: str) -> str:
    """JSON text with each control character its encoder leaves raw (DEL, C1, bidirectional) written as its `\\u`
    escape: the same JSON, safe to print."""
    return _LEFT_RAW_BY_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
