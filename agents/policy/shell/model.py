"""Shell words and simple commands as the parser reads them, and the error for a line it cannot read."""

from __future__ import annotations

from dataclasses import dataclass

from interns.agents.policy.globs import Hole
from interns.errors import RunError


class CommandParseError(RunError, ValueError):
    """A command line that cannot be read with certainty, so it must not run."""


@dataclass(frozen=True)
class Text:
    """Literal text of a word, and whether it was quoted."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Expansion:
    """A part of a word only known when the line runs: `$X`, `$(...)`, a glob or brace pattern, `~`."""

    source: str
    may_vanish: bool
    """Whether it may expand into no word at all or into several (unquoted, or `"$@"`)."""


Part = Text | Expansion


@dataclass(frozen=True)
class Word:
    """One shell word: literal text and expansions, with the source it was read from."""

    parts: tuple[Part, ...]
    source: str
    assignment: bool = False
    """Whether it reads `NAME=value`, which is an assignment when it comes before the command's program."""

    @property
    def static(self) -> str | None:
        """The word's value when it holds no expansion, else None."""
        if any(isinstance(part, Expansion) for part in self.parts):
            return None
        return "".join(part.text for part in self.parts if isinstance(part, Text))

    @property
    def may_vanish(self) -> bool:
        """Whether it may turn into no word or several, so the words after it cannot be counted."""
        return bool(self.parts) and all(isinstance(part, Expansion) and part.may_vanish for part in self.parts)

    @property
    def display(self) -> str:
        """The value when it is known, else the source as written."""
        static = self.static
        return self.source if static is None else static

    @property
    def keyword(self) -> str | None:
        """The word's text when it is unquoted literal text, which is how bash recognises reserved words."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Text) and not self.parts[0].quoted:
            return self.parts[0].text
        return None

    @property
    def starts_plain(self) -> bool:
        """Whether it starts with literal text that is not an option, so it is an operand whatever it expands to."""
        first = self.parts[0] if self.parts else None
        return isinstance(first, Text) and first.text != "" and first.text[0] not in "-+"


def literal_word(text: str) -> Word:
    """A word that is exactly `text`, for a command string or program taken out of another word."""
    return Word((Text(text),), text)


@dataclass(frozen=True)
class Command:
    """One simple command that would run, as words; its program is compared by basename."""

    words: tuple[Word, ...]
    note: str = ""
    """How the policy came to read the command this way (`git send-pack pushes`), said with a verdict on it."""

    @property
    def argv(self) -> list[str]:
        """The words as written, with the values of those that are known."""
        return [word.display for word in self.words]

    @property
    def program(self) -> str | None:
        """The basename of the program (`/usr/bin/git` is `git`), or None when it is only known at run time."""
        first = self.words[0]
        static = first.static
        if static is not None:
            return static.rsplit("/", 1)[-1]
        tail = ""
        for part in reversed(first.parts):
            if isinstance(part, Expansion):
                break
            tail = part.text + tail
        return tail.rsplit("/", 1)[1] if "/" in tail else None

    def text(self) -> str:
        """The command as matched and shown: program basename and the words after it, joined by spaces."""
        return " ".join([self.program or self.words[0].source, *(word.display for word in self.words[1:])])

    def subject(self) -> list[str | Hole]:
        """The command for the matcher: characters of known text, holes for what is only known at run time."""
        program = self.program
        if program is None or self.words[0].may_vanish:
            return [Hole.TEXT]
        subject: list[str | Hole] = list(program)
        for word in self.words[1:]:
            if word.may_vanish:
                subject.append(Hole.WORDS)
                continue
            subject.append(" ")
            for part in word.parts:
                subject.extend(part.text if isinstance(part, Text) else [Hole.TEXT])
        return subject


def unknown_command(source: str, note: str) -> Command:
    """A command only known when it runs (any program, any arguments), shown as `source`, with why it is unknown."""
    return Command((Word((Expansion(source or "…", may_vanish=True),), source or "…"),), note)
