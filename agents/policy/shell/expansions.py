"""Reading quotes and what bash expands in a word: `$X`, `${...}`, `$(...)`, backquotes, `<(...)`, `$((...))`."""

from __future__ import annotations

import re

from interns.agents.policy.shell.ansi_c import read_ansi_c
from interns.agents.policy.shell.model import CommandParseError, Expansion, Part, Text
from interns.agents.policy.shell.scanner import Scanner

_NAME_START = re.compile(r"[A-Za-z_]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")


class ExpansionReader(Scanner):
    """Reads quoted text and expansions; the commands in substitutions are parsed as they are met."""

    def read_single_quoted(self) -> Text:
        """`'...'`: text taken as it stands."""
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise CommandParseError("a single quote is not closed")
        part = Text(self.text[self.pos + 1 : end], quoted=True)
        self.pos = end + 1
        return part

    def read_double_quoted(self) -> list[Part]:
        """`"..."`: quoted text with the expansions in it."""
        self.pos += 1
        parts: list[Part] = []
        chars: list[str] = []

        def flush() -> None:
            if chars:
                parts.append(Text("".join(chars), quoted=True))
                chars.clear()

        while True:
            char = self.peek()
            if not char:
                raise CommandParseError("a double quote is not closed")
            if char == '"':
                self.pos += 1
                break
            if char == "\\" and self.peek(1) in ("$", "`", '"', "\\", "\n"):
                if self.peek(1) != "\n":
                    chars.append(self.peek(1))
                self.pos += 2
            elif char == "$":
                flush()
                parts.extend(self.read_dollar(quoted=True))
            elif char == "`":
                flush()
                parts.append(self.read_backquotes(quoted=True))
            else:
                chars.append(char)
                self.pos += 1
        flush()
        return parts or [Text("", quoted=True)]

    def read_dollar(self, *, quoted: bool) -> list[Part]:
        """What follows a `$`: a substitution, a parameter, `$'...'`, `$"..."`, or a plain `$`."""
        start = self.pos
        following = self.peek(1)
        if self.starts("$(("):
            self.pos += 3
            self.read_arithmetic()
        elif following == "(":
            self.pos += 2
            self.deeper(1)
            self.parse_list(")")
            self.deeper(-1)
        elif following == "{":
            self.pos += 2
            self.read_parameter(quoted=quoted)
        elif following == "'" and not quoted:
            part, self.pos = read_ansi_c(self.text, self.pos)
            return [part]
        elif following == '"' and not quoted:
            self.pos += 1
            return self.read_double_quoted()
        elif following and _NAME_START.match(following):
            self.pos += 1
            while self.peek() and _NAME_CHAR.match(self.peek()):
                self.pos += 1
        elif following and (following.isdigit() or following in "@*#?$!-"):
            self.pos += 2
        else:
            self.pos += 1
            return [Text("$", quoted=quoted)]
        source = self.text[start : self.pos]
        every_argument = source in ("$@", "${@}") or "[@]" in source
        return [Expansion(source, may_vanish=not quoted or every_argument)]

    def read_parameter(self, *, quoted: bool) -> None:
        """The rest of `${...}`; substitutions nested in it run."""
        self.deeper(1)
        while True:
            char = self.peek()
            if not char:
                raise CommandParseError("a '${' is not closed")
            if char == "}":
                self.pos += 1
                break
            if char == "\\":
                self.pos += 2
            elif char == "'" and not quoted:
                self.read_single_quoted()
            elif char == '"':
                self.read_double_quoted()
            elif char == "$":
                self.read_dollar(quoted=quoted)
            elif char == "`":
                self.read_backquotes(quoted=quoted)
            else:
                self.pos += 1
        self.deeper(-1)

    def read_backquotes(self, *, quoted: bool) -> Expansion:
        """`` `...` ``: its text, unescaped, is parsed as a line of its own."""
        start = self.pos
        self.pos += 1
        inner: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise CommandParseError("a backquote is not closed")
            if char == "`":
                self.pos += 1
                break
            following = self.peek(1)
            if char == "\\" and following and (following in "$`\\" or (quoted and following == '"')):
                inner.append(following)
                self.pos += 2
            else:
                inner.append(char)
                self.pos += 1
        self.nested("".join(inner)).parse_list(None)
        return Expansion(self.text[start : self.pos], may_vanish=not quoted)

    def read_process_substitution(self) -> Expansion:
        """`<(...)` or `>(...)`: a file name for the commands inside."""
        start = self.pos
        self.pos += 2
        self.deeper(1)
        self.parse_list(")")
        self.deeper(-1)
        return Expansion(self.text[start : self.pos], may_vanish=False)

    def read_arithmetic(self) -> None:
        """The rest of `((...))` or `$((...))` after its opening; substitutions inside still run."""
        depth = 0
        while True:
            char = self.peek()
            if not char:
                raise CommandParseError("a '((' is not closed by '))'")
            if char == "(":
                depth += 1
                self.pos += 1
            elif char == ")":
                if depth == 0:
                    if self.peek(1) != ")":
                        raise CommandParseError("a '((' is closed by a single ')'")
                    self.pos += 2
                    return
                depth -= 1
                self.pos += 1
            elif char == "$":
                self.read_dollar(quoted=True)
            elif char == "`":
                self.read_backquotes(quoted=True)
            elif char == "'":
                self.read_single_quoted()
            elif char == '"':
                self.read_double_quoted()
            else:
                self.pos += 2 if char == "\\" else 1

    def scan_heredoc(self) -> tuple[str, bool]:
        """An unquoted here-document's text after bash's expansions, and whether any part is only known at run time."""
        out: list[str] = []
        dynamic = False
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\" and self.peek(1) in ("$", "`", "\\", "\n"):
                out.append("" if self.peek(1) == "\n" else self.peek(1))
                self.pos += 2
            elif char in "$`":
                parts = self.read_dollar(quoted=True) if char == "$" else [self.read_backquotes(quoted=True)]
                for part in parts:
                    dynamic = dynamic or isinstance(part, Expansion)
                    out.append(part.text if isinstance(part, Text) else part.source)
            else:
                out.append(char)
                self.pos += 1
        return "".join(out), dynamic
