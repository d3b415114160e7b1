"""Programs that run commands the parser cannot read: given in their own language, in arguments or on their input.

`make --eval`, `gdb -ex 'shell ...'`, `vim -c '!...'`, `awk 'BEGIN { system(...) }'`, `parallel ::: ...`,
`tar --to-command`: each such command adds a command only known when it runs, which names the program and why.
Any deny or ask rule could match it, so such a line is denied when the task has a deny rule, put to a person when
it has only ask rules, and otherwise allowed only by an allow rule of `*`. Given no such argument (`make test`,
`gdb -batch ./a.out`, `less notes.txt`), these programs are judged like any other; the makefile, script or file
they read is not (see the README's "What a command rule cannot see").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from interns.agents.policy.shell.model import Word, unknown_command
from interns.agents.policy.shell.parser import Redirect

if TYPE_CHECKING:
    from interns.agents.policy.shell.walk import Handler, Walk

_FROM_INPUT = ("-", "/dev/stdin", "/dev/fd/", "/proc/self/fd/", "/dev/tty")
_MAKE_CODE = re.compile(r"[\s;|&$`!()<>]")
"""What makes a `NAME=value` argument of make code rather than a plain value (`CC='git push'`)."""


def _statics(args: Sequence[Word]) -> list[str] | None:
    """The arguments' values, or None when one is only known at run time."""
    texts = [word.static for word in args]
    return None if any(text is None for text in texts) else [text or "" for text in texts]


def _long(text: str, names: Sequence[str]) -> bool:
    """Whether `text` is one of these long options, perhaps abbreviated or written `-name`, `--name=value`."""
    name = text.lstrip("-").partition("=")[0]
    if not text.startswith("-") or not name:
        return False
    return name in names or (len(name) >= 2 and any(option.startswith(name) for option in names))


def _make(texts: list[str]) -> str:
    """Why make's arguments hold code: `--eval`, a makefile from input, a variable set to code."""
    for index, text in enumerate(texts):
        following = texts[index + 1] if index + 1 < len(texts) else ""
        if _long(text, ("eval",)) or re.fullmatch(r"-[a-zA-Z]*E.*", text):
            return "its --eval argument"
        if text in ("-f", "--file", "--makefile") and following.startswith(_FROM_INPUT):
            return "a makefile read from its input"
        attached = re.fullmatch(r"-f(.+)|--(?:file|makefile)=(.*)", text)
        if attached and (attached.group(1) or attached.group(2) or "").startswith(_FROM_INPUT):
            return "a makefile read from its input"
        name, equals, value = text.partition("=")
        if equals and not text.startswith("-") and _MAKE_CODE.search(value):
            return f"the variable {name} it is given"
    return ""


def _gdb(texts: list[str]) -> str:
    """Why gdb's arguments hold code: `-ex` commands, or commands read from its input."""
    if any(_long(text, ("ex", "eval-command", "iex", "init-eval-command")) for text in texts):
        return "its -ex arguments"
    for index, text in enumerate(texts[:-1]):
        if _long(text, ("x", "command", "ix", "init-command")) and texts[index + 1].startswith(_FROM_INPUT):
            return "a command file read from its input"
    if not any(_long(text, ("batch",)) for text in texts):
        return "its input, without -batch"
    return ""


def _pager(texts: list[str]) -> str:
    """Why less's arguments hold code: `+` commands and key files."""
    if any(text.startswith("+") or text == "-k" or _long(text, ("lesskey-file", "lesskey-src")) for text in texts):
        return "its + commands and key files"
    return ""


def _awk(texts: list[str]) -> str:
    """Why awk's program runs commands: `system()` and pipes in the program text given on the line."""
    index = 0
    programs: list[str] = []
    while index < len(texts):
        text = texts[index]
        if text in ("-f", "--file", "-v", "-F", "-i", "--include", "--assign", "--field-separator"):
            index += 2
            continue
        if text in ("-e", "--source"):
            programs.append(texts[index + 1] if index + 1 < len(texts) else "")
            index += 2
            continue
        if text.startswith("-") and text != "-":
            if text.startswith(("-f", "--file=")):
                return ""  # the program is a file: like a script, not read
            index += 1
            continue
        if not programs:
            programs.append(text)
        break
    if any("system" in program or "|" in program for program in programs):
        return "system() or a pipe in its program"
    return ""


def _tar(texts: list[str]) -> str:
    """Why tar's arguments run a command: `--to-command`, `-I`, checkpoint actions, volume scripts."""
    names = ("to-command", "use-compress-program", "checkpoint-action", "info-script", "new-volume-script")
    for index, text in enumerate(texts):
        if text.startswith("--") and len(text) > 4 and _long(text, (*names, "rsh-command", "rmt-command")):
            return f"its {text.partition('=')[0]} option"
        bundled = re.fullmatch(r"-[a-zA-Z]+", text) or (index == 0 and re.fullmatch(r"[a-zA-Z]+", text))
        if bundled and ("I" in text or "F" in text):
            return "its -I or -F option"
    return ""


def _rsync(texts: list[str]) -> str:
    """Why rsync's arguments run a command: `-e`, `--rsh`, `--rsync-path`."""
    if any(re.fullmatch(r"-[a-zA-Z]*e.*", text) or _long(text, ("rsh", "rsync-path")) for text in texts):
        return "its -e or --rsync-path option"
    return ""


def _always(what: str) -> Callable[[list[str]], str]:
    return lambda texts: what


_READERS: dict[str, Callable[[list[str]], str]] = {
    **dict.fromkeys(("make", "gmake"), _make),
    **dict.fromkeys(("gdb", "gdb-multiarch"), _gdb),
    **dict.fromkeys(
        ("vi", "vim", "nvim", "view", "vimdiff", "rvim", "rview", "gvim", "ex", "ed", "red", "emacs", "nano"),
        _always("its arguments and its input, as an editor's commands"),
    ),
    "less": _pager,
    **dict.fromkeys(("awk", "gawk", "mawk", "nawk"), _awk),
    **dict.fromkeys(("parallel", "sem"), _always("its ::: lists and its input")),
    "tar": _tar,
    "rsync": _rsync,
    **dict.fromkeys(("hyperfine", "tmux", "screen", "sg", "expect"), _always("the command strings it is given")),
    **dict.fromkeys(("at", "batch"), _always("its input")),
    "bwrap": _always("the arguments of a sandbox of its own"),
}
"""Why each program's arguments hold commands the parser cannot read, or "" when these do not."""


def _opaque(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """Add an unknown command for a program that would run commands the parser cannot read."""
    texts = _statics(args)
    why = "arguments only known when it runs" if texts is None else _READERS[program](texts)
    if why:
        source = " ".join([program, *(word.source for word in args)])
        walk.commands.append(
            unknown_command(source, f"'{program}' runs commands from {why}, which the policy cannot read")
        )


HANDLERS: dict[str, Handler] = dict.fromkeys(_READERS, _opaque)
"""The programs whose arguments or input may hold commands in their own language, by basename."""
