"""Text made safe to show: every control character a terminal would act on is written as its escape."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from interns.agents.gate.approval import shown_detail
from interns.agents.gate.visible import visible, visible_json, visible_markup


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),  # OSC 0: the window title
        ("\x1b]52;c;cm0=\x1b\\", "\\x1b]52;c;cm0=\\x1b\\"),  # OSC 52: the clipboard, ended by ST
        ("\x1b[1A\x1b[2K", "\\x1b[1A\\x1b[2K"),  # up a line, erase it
        ("a\rb\bc\x00d\x7f", "a\\x0db\\x08c\\x00d\\x7f"),
        ("\x9b2J\x85", "\\x9b2J\\x85"),  # C1: CSI, next line
        ("abc\u202edef\u2066\u200f\u061c", "abc\\u202edef\\u2066\\u200f\\u061c"),
        ("line\u2028sep", "line\\u2028sep"),
        ("bad byte \udc9b", "bad byte \\udc9b"),
        ("tabs\tand\nnewlines stay, é and 日本 too", "tabs\tand\nnewlines stay, é and 日本 too"),
    ],
)
def test_controls_are_shown_as_escapes(text: str, shown: str) -> None:
    assert visible(text) == shown


def test_one_line_shows_newlines_and_tabs_too() -> None:
    assert visible("a\nb\tc\r", one_line=True) == "a\\x0ab\\x09c\\x0d"


def test_markup_in_the_text_prints_as_written() -> None:
    console = Console(width=200, force_terminal=False, highlight=False)
    text = "[bold]loud[/bold] [link=https://evil.example]click[/link] \x1b[31m"

    with console.capture() as captured:
        console.print(f"[green]ok[/] {visible_markup(text)}")

    assert captured.get() == "ok [bold]loud[/bold] [link=https://evil.example]click[/link] \\x1b[31m\n"


def test_json_stays_the_same_json_with_nothing_raw() -> None:
    value = {"text": "\x1b[2K\x9b\u202e\x7fé\n"}
    text = visible_json(json.dumps(value, ensure_ascii=False))

    assert json.loads(text) == value
    assert not any(char in text for char in "\x1b\x9b\u202e\x7f")


def test_an_approval_shows_each_argument_on_its_own_line() -> None:
    shown = shown_detail("ignored", ["bash", "-c", "rm -rf x #\r\x1b[2K    ls\nsecond line", ""])

    assert shown.splitlines() == [
        "    [0] bash",
        "    [1] -c",
        "    [2] rm -rf x #\\x0d\\x1b[2K    ls\\x0asecond line",
        "    [3] ",
    ]
    assert shown_detail("path/\x1b]0;x\x07.txt") == "    path/\\x1b]0;x\\x07.txt\n"
