"""Shell code handed to a command as text: `bash -c`, a shell's input, `eval`, `trap`, `alias`, stored values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from interns.agents.policy.shell.model import CommandParseError, Word, literal_word
from interns.agents.policy.shell.parser import RawCommand, Redirect, stored_code

if TYPE_CHECKING:
    from interns.agents.policy.shell.walk import Handler, Walk

_SCRIPT_FROM_INPUT = ("/dev/stdin", "/dev/fd/", "/proc/self/fd/", "/dev/tty")


def run_string(program: str, words: Sequence[Word], depth: int, walk: Walk, *, joined: bool = False) -> None:
    """Add the commands of a command string a program runs (`eval`, `watch` join their words into one)."""
    texts = [word.static for word in (words if joined else words[:1])]
    if not texts:
        return
    if any(text is None for text in texts):
        raise CommandParseError(f"the command that '{program}' runs is only known when it runs")
    walk.line(" ".join(text for text in texts if text is not None), depth)


def declare(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`export`, `declare`, `local`...: the values they store may be code bash runs later."""
    found: list[RawCommand] = []
    for word in args:
        if word.assignment:
            stored_code(word, depth, found)
    for raw in found:
        walk.command(raw.words, raw.redirects, depth)


def _check_script(program: str, word: Word) -> None:
    """A script file is not judged, but one fed from a substitution or from standard input cannot be allowed."""
    static = word.static or ""
    fed = word.source.startswith(("<(", ">(")) or static == "-" or static.startswith(_SCRIPT_FROM_INPUT)
    if fed:
        raise CommandParseError(f"'{program}' would run commands from {word.source}, which cannot be checked")


def _shell(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`bash -c LINE` and friends: the line's commands; a script by name; a here-document on its input."""
    index, command_flag, from_input = 0, False, False
    command_string: Word | None = None
    while index < len(args):
        word = args[index]
        text = word.static
        if text is None:
            if (word.starts_plain and not word.may_vanish) or word.source.startswith(("<(", ">(")):
                break
            raise CommandParseError(f"the arguments of '{program}' are only known when it runs")
        if text in ("-", "--"):
            index += 1
            break
        if text.startswith("--"):
            name, equals, value = text[2:].partition("=")
            if name == "command":
                command_flag = True
                if equals:
                    command_string = literal_word(value)
                elif index + 1 < len(args):
                    index += 1
                    command_string = args[index]
            elif name in ("rcfile", "init-file", "init-command") and not equals:
                index += 1
        elif text[0] in "-+" and len(text) > 1:
            command_flag = command_flag or (text[0] == "-" and "c" in text)
            from_input = from_input or (text[0] == "-" and "s" in text)
            if "o" in text[1:] or "O" in text[1:]:
                index += 1
        else:
            break
        index += 1
    rest = args[index:]
    if command_flag:
        if command_string is None and not rest:
            raise CommandParseError(f"'{program} -c' has no command string")
        run_string(program, [command_string or rest[0]], depth, walk)
    elif rest and not from_input:
        _check_script(program, rest[0])
    else:
        walk.line(_input_script(program, redirects), depth)


def _input_script(program: str, redirects: Sequence[Redirect]) -> str:
    """The commands a shell reads from its standard input, when they can be known before it runs."""
    feeding = [r for r in redirects if r.fd == 0 and r.op in ("<", "<>", "<<", "<<-", "<<<", "<&")]
    if not feeding:
        raise CommandParseError(f"'{program}' would read commands from its input, which cannot be checked")
    last = feeding[-1]
    if last.heredoc is not None:
        if last.heredoc.dynamic:
            raise CommandParseError(f"the here-document '{program}' runs is only known when it runs")
        return last.heredoc.body
    if last.op == "<<<":
        if last.target.static is None:
            raise CommandParseError(f"the here-string '{program}' runs is only known when it runs")
        return last.target.static
    if last.op == "<&":
        raise CommandParseError(f"'{program}' would read commands from another descriptor, which cannot be checked")
    _check_script(program, last.target)
    return ""  # a script file, like `bash script.sh`: not judged


def _eval(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`eval WORDS...`: the words joined are a line of their own."""
    run_string(program, args, depth, walk, joined=True)


def _source(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`source FILE`: a script file is not judged, but one fed from input cannot be allowed."""
    if args:
        _check_script(program, args[0])


def _alias(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`alias name='cmd'`: what the alias would run is judged now."""
    for word in args:
        if word.static is None:
            raise CommandParseError("an alias only known at run time cannot be checked")
        _name, equals, value = word.static.partition("=")
        if equals:
            walk.line(value, depth)


def _trap(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`trap 'cmd' SIGNAL...`: the handler's commands are judged now."""
    rest = list(args)
    while rest and rest[0].static in ("-l", "-p", "--"):
        rest.pop(0)
    if len(rest) >= 2 and rest[0].static not in ("-", ""):
        run_string(program, rest[:1], depth, walk)


HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(("sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "rbash", "yash", "fish"), _shell),
    **dict.fromkeys(("declare", "typeset", "export", "local", "readonly"), declare),
    "eval": _eval,
    "source": _source,
    ".": _source,
    "alias": _alias,
    "trap": _trap,
}
"""What runs the code handed to each of these programs, by the program's basename."""
