"""The reader's position in a shell text and its nesting depth, the base the word reader and parser build on."""

from __future__ import annotations

from abc import ABC, abstractmethod

from interns.agents.policy.shell.model import CommandParseError

MAX_DEPTH = 20
METACHARS = frozenset(" \t\n;&|()<>")
"""Characters that end an unquoted word."""


def check_depth(depth: int) -> None:
    """Refuse nesting deeper than the parser follows, so every nested command is still judged."""
    if depth > MAX_DEPTH:
        raise CommandParseError("the command is nested too deeply to check")


class Scanner(ABC):
    """A position in one text; nested `$(...)` and `(...)` share it, other nested text gets a reader of its own."""

    def __init__(self, text: str, depth: int) -> None:
        check_depth(depth)
        self.text = text
        self.pos = 0
        self.depth = depth

    def peek(self, offset: int = 0) -> str:
        """The character `offset` after the position, or "" past the end."""
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def starts(self, prefix: str) -> bool:
        """Whether the text at the position starts with `prefix`."""
        return self.text.startswith(prefix, self.pos)

    def deeper(self, step: int) -> None:
        """Enter (1) or leave (-1) a nesting level."""
        self.depth += step
        check_depth(self.depth)

    def skip_space(self) -> None:
        """Skip blanks, escaped newlines and a comment."""
        while True:
            char = self.peek()
            if char in (" ", "\t"):
                self.pos += 1
            elif self.starts("\\\n"):
                self.pos += 2
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    @abstractmethod
    def parse_list(self, closer: str | None) -> None:
        """Read the commands up to `closer`, or to the end when it is None."""

    @abstractmethod
    def nested(self, text: str) -> Scanner:
        """A reader for text nested one level deeper, whose commands are found with this one's."""

    @abstractmethod
    def read_heredoc_bodies(self) -> None:
        """After a newline: read the bodies of the here-documents opened before it."""
