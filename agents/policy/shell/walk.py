"""Every command a line runs: each command it holds, followed into the commands that one runs in its turn."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from interns.agents.policy.shell import opaque, shells, wrappers
from interns.agents.policy.shell.model import Command, Word
from interns.agents.policy.shell.parser import Redirect, parse
from interns.agents.policy.shell.scanner import check_depth


class Walk:
    """Collects every command a line would run, outermost first, wrapped commands after their wrappers."""

    def __init__(self) -> None:
        self.commands: list[Command] = []

    def line(self, text: str, depth: int) -> None:
        """Parse a line and add every command it would run, wrapped ones included."""
        for raw in parse(text, depth):
            self.command(raw.words, raw.redirects, depth)

    def command(self, words: Sequence[Word], redirects: Sequence[Redirect], depth: int) -> None:
        """Add a command, then whatever it runs in its turn."""
        check_depth(depth)
        if not words:
            return
        command = Command(tuple(words))
        self.commands.append(command)
        program = command.program
        if program is not None and program in _HANDLERS:
            _HANDLERS[program](program, list(words[1:]), redirects, depth + 1, self)


Handler = Callable[[str, list[Word], Sequence[Redirect], int, Walk], None]
"""Adds what a command runs, given its program, arguments and redirections, the depth to add at, and the walk."""

_HANDLERS: dict[str, Handler] = {**shells.HANDLERS, **wrappers.HANDLERS, **opaque.HANDLERS}
