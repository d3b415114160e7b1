"""Reading one shell word: its quoted and expanded parts, `~`, globs and brace lists, and array assignments."""

from __future__ import annotations

import re

from interns.agents.policy.shell.expansions import ExpansionReader
from interns.agents.policy.shell.model import CommandParseError, Expansion, Part, Text, Word
from interns.agents.policy.shell.scanner import METACHARS

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")


class WordReader(ExpansionReader):
    """Reads whole words, the unit the parser builds commands from."""

    def read_word(self) -> Word:
        """The word at the position; one the shell would split into names by globbing is a single expansion."""
        start = self.pos
        parts: list[Part] = []
        plain: list[str] = []
        glob = bracket = brace = brace_list = False

        def flush() -> None:
            if plain:
                parts.append(Text("".join(plain)))
                plain.clear()

        if self.peek() == "~":
            end = self.pos
            while end < len(self.text) and self.text[end] not in METACHARS and self.text[end] not in "/'\"\\$`":
                end += 1
            parts.append(Expansion(self.text[self.pos : end], may_vanish=False))
            self.pos = end
        while char := self.peek():
            if char in "<>" and self.peek(1) == "(":
                flush()
                parts.append(self.read_process_substitution())
            elif char == "(" and _ASSIGNMENT.fullmatch(self.text[start : self.pos]):
                flush()
                parts.append(self.read_array())
            elif char in METACHARS:
                break
            elif char == "\\":
                escaped = self.peek(1)
                self.pos += 2 if escaped else 1
                if escaped != "\n":
                    flush()
                    parts.append(Text(escaped or "\\", quoted=True))
            elif char == "'":
                flush()
                parts.append(self.read_single_quoted())
            elif char == '"':
                flush()
                parts.extend(self.read_double_quoted())
            elif char == "$":
                flush()
                parts.extend(self.read_dollar(quoted=False))
            elif char == "`":
                flush()
                parts.append(self.read_backquotes(quoted=False))
            else:
                if char in "*?" or (char == "]" and bracket) or (char == "}" and brace_list):
                    glob = True
                elif char == "[":
                    bracket = True
                elif char == "{":
                    brace = True
                elif brace and (char == "," or self.starts("..")):
                    brace_list = True
                plain.append(char)
                self.pos += 1
        flush()
        if self.pos == start:
            raise CommandParseError(f"a '{self.peek()}' stands where bash expects a word")
        source = self.text[start : self.pos]
        assignment = bool(_ASSIGNMENT.match(source))
        if glob and not assignment:
            # pathname or brace expansion: the words it yields are only known at run time
            return Word((Expansion(source, may_vanish=True),), source)
        return Word(_merge(parts), source, assignment)

    def read_array(self) -> Expansion:
        """`NAME=(words...)`: the words may hold substitutions that run."""
        start = self.pos
        self.pos += 1
        while True:
            self.skip_space()
            char = self.peek()
            if char == ")":
                self.pos += 1
                return Expansion(self.text[start : self.pos], may_vanish=False)
            if char == "\n":
                self.pos += 1
                self.read_heredoc_bodies()
            elif not char or char in METACHARS:
                raise CommandParseError("an array assignment is not closed by ')'")
            else:
                self.read_word()


def _merge(parts: list[Part]) -> tuple[Part, ...]:
    """Adjacent texts of the same quoting joined, so a static word is one part."""
    merged: list[Part] = []
    for part in parts:
        last = merged[-1] if merged else None
        if isinstance(part, Text) and isinstance(last, Text) and last.quoted == part.quoted:
            merged[-1] = Text(last.text + part.text, part.quoted)
        else:
            merged.append(part)
    return tuple(merged)
