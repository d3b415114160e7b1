"""Commands that run another command from their arguments: `env`, `timeout`, `xargs`, `sudo`, `find -exec`..."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from interns.agents.policy.shell.model import CommandParseError, Expansion, Word, literal_word
from interns.agents.policy.shell.parser import Parser, Redirect
from interns.agents.policy.shell.scanner import METACHARS
from interns.agents.policy.shell.shells import declare, run_string

if TYPE_CHECKING:
    from interns.agents.policy.shell.walk import Handler, Walk


@dataclass(frozen=True)
class _Options:
    """How a wrapper reads its arguments before the command it runs."""

    values: str = ""
    """Short options that take a value, attached (`-n5`) or as the next word."""
    long_values: frozenset[str] = frozenset()
    """Long options that take the next word as their value unless written `--name=value`."""
    optional: str = ""
    """Short options whose value, when there is one, is attached (`xargs -i{}`)."""
    operands: int = 0
    """Words between the options and the command (`timeout`'s duration, `chroot`'s folder)."""
    assignments: bool = False
    """Whether `NAME=value` words may come before the command (`env`, `sudo`)."""
    no_command: str = ""
    """Short flags with which the rest is not run (`command -v`)."""


_WRAPPERS: dict[str, _Options] = {
    "env": _Options("uCS", frozenset({"unset", "chdir", "split-string"}), assignments=True),
    "timeout": _Options("sk", frozenset({"signal", "kill-after"}), operands=1),
    "nice": _Options("n", frozenset({"adjustment"})),
    "nohup": _Options(),
    "command": _Options(no_command="vV"),
    "builtin": _Options(),
    "exec": _Options("a"),
    "time": _Options("fo", frozenset({"format", "output"})),
    "xargs": _Options(
        "aEdILnPs",
        frozenset({"arg-file", "delimiter", "max-args", "max-procs", "max-chars", "process-slot-var"}),
        optional="eil",
    ),
    "sudo": _Options(
        "ugCDprtTU",
        frozenset({"user", "group", "close-from", "chdir", "prompt", "role", "type", "command-timeout", "host"}),
        assignments=True,
    ),
    "doas": _Options("uC"),
    "stdbuf": _Options("ioe", frozenset({"input", "output", "error"})),
    "setsid": _Options(),
    "ionice": _Options("cnp", frozenset({"class", "classdata", "pid"})),
    "unbuffer": _Options(),
    "chroot": _Options(long_values=frozenset({"userspec", "groups"}), operands=1),
    "busybox": _Options(),
    "flock": _Options("wE", frozenset({"timeout", "conflict-exit-code"}), operands=1),
    "watch": _Options("nq", frozenset({"interval", "equexit"})),
}


def _split_options(args: Sequence[Word], spec: _Options) -> tuple[dict[str, str | None], list[Word]] | None:
    """A wrapper's options (value None when only known at run time) and the words of the command it runs.

    None when a word only known at run time hides where that command starts.
    """
    options: dict[str, str | None] = {}
    index = 0

    def value_at(position: int) -> str | None:
        return args[position].static if position < len(args) else ""

    while index < len(args):
        word = args[index]
        text = word.static
        if text is None:
            if word.starts_plain and not word.may_vanish:
                break
            return None
        if text == "--":
            index += 1
            break
        if text.startswith("--"):
            name, equals, value = text[2:].partition("=")
            if not equals and name in spec.long_values:
                index += 1
                if index < len(args) and args[index].may_vanish:
                    return None
                options[name] = value_at(index)
            else:
                options[name] = value
            index += 1
            continue
        if not text.startswith("-"):
            break
        for offset, letter in enumerate(text[1:], start=2):
            if letter in spec.values:
                options[letter] = text[offset:]
                if not text[offset:]:
                    index += 1
                    if index < len(args) and args[index].may_vanish:
                        return None
                    options[letter] = value_at(index)
                break
            if letter in spec.optional:
                options[letter] = text[offset:]
                break
            options[letter] = ""
        index += 1
    while spec.assignments and index < len(args) and (args[index].assignment or "=" in (args[index].static or "")):
        index += 1
    for _ in range(spec.operands):
        if index < len(args) and args[index].may_vanish:
            return None
        index += 1
    return options, list(args[index:])


def _unknown(args: Sequence[Word]) -> Word:
    """A stand-in for a command only known at run time, shown as the words it hides in."""
    source = " ".join(word.source for word in args) or "…"
    return Word((Expansion(source, may_vanish=True),), source)


def _unwrap(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """Add the command a wrapper runs, reading the wrapper's options by its `_Options`."""
    spec = _WRAPPERS[program]
    if spec.assignments:
        declare(program, args, [], depth, walk)
    split = _split_options(args, spec)
    if split is None:
        walk.command([_unknown(args)], [], depth)
        return
    options, wrapped = split
    if any(letter in options for letter in spec.no_command):
        return
    if program == "env" and ("S" in options or "split-string" in options):
        text = options.get("S", options.get("split-string"))
        if text is None:
            walk.command([_unknown(args)], [], depth)
            return
        wrapped = _split_words(text, depth) + wrapped
    elif program == "xargs":
        wrapped = _xargs_command(options, wrapped)
    elif program == "watch" and not ({"x", "exec"} & options.keys()):
        run_string(program, wrapped, depth, walk, joined=True)
        return
    walk.command(wrapped, [], depth)


def _xargs_command(options: dict[str, str | None], wrapped: list[Word]) -> list[Word]:
    """The command xargs runs, with the arguments it reads from its input as a hole."""
    wrapped = wrapped or [literal_word("echo")]
    given = [options[key] for key in ("I", "replace", "i") if key in options]
    if not given:
        return [*wrapped, Word((Expansion("<input>", may_vanish=True),), "<input>")]
    if given[0] is None:
        return [_unknown(wrapped)]
    replace = given[0] or "{}"
    return [_unknown([word]) if replace in (word.static or replace) else word for word in wrapped]


def _split_words(text: str, depth: int) -> list[Word]:
    """Split text into words as the shell would (for `env -S`), refusing anything but words."""
    parser = Parser(text, depth, [])
    words: list[Word] = []
    while True:
        parser.skip_space()
        if not parser.peek():
            return words
        if parser.peek() in METACHARS:
            raise CommandParseError("'env -S' is given more than words")
        words.append(parser.read_word())


def _find(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`find ... -exec cmd {} ;`: each command it executes, with `{}` as a hole."""
    index = 0
    while index < len(args):
        word = args[index]
        if word.static is None and not word.starts_plain:
            walk.command([_unknown(args[index:])], [], depth)  # could be `-exec` itself
            return
        index += 1
        if word.static in ("-exec", "-execdir", "-ok", "-okdir"):
            command: list[Word] = []
            while index < len(args) and args[index].static not in (";", "+"):
                word = args[index]
                command.append(_unknown([word]) if "{}" in (word.static or "{}") else word)
                index += 1
            index += 1
            walk.command(command, [], depth)


def _su(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`su -c 'cmd' user` (and `flock FILE -c 'cmd'`): the command string, wherever it stands."""
    for index, word in enumerate(args):
        text = word.static or ""
        if text.startswith("--command=") or text.startswith("--session-command="):
            run_string(program, [literal_word(text.partition("=")[2])], depth, walk)
        elif text in ("--command", "--session-command") or re.fullmatch(r"-[a-zA-Z]*c", text):
            run_string(program, args[index + 1 : index + 2], depth, walk)
        elif re.fullmatch(r"-[a-zA-Z]*c.+", text) and program == "su":
            run_string(program, [literal_word(text.split("c", 1)[1])], depth, walk)
    if program == "flock" and not any(w.static in ("-c", "--command") for w in args):
        _unwrap(program, args, redirects, depth, walk)


HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(_WRAPPERS, _unwrap),
    "find": _find,
    "su": _su,
    "flock": _su,
}
"""What runs the command each of these wrappers is given, by the wrapper's basename."""
