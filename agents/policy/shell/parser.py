"""Bash's grammar, as far as it takes to find every simple command in a line, with its redirections."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from interns.agents.policy.shell.model import CommandParseError, Text, Word
from interns.agents.policy.shell.scanner import METACHARS
from interns.agents.policy.shell.words import WordReader

_TRANSPARENT_KEYWORDS = frozenset({"!", "{", "}", "if", "then", "elif", "else", "fi", "do", "done", "while", "until"})
_REDIRECTIONS = ("&>>", "&>", "<<<", "<<-", "<<", "<&", "<>", "<", ">>", ">&", ">|", ">")
_FD_VARIABLE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass
class HereDoc:
    """A here-document: its delimiter, and its body once the line after its command is read."""

    delimiter: str
    strip_tabs: bool
    quoted: bool
    body: str = ""
    dynamic: bool = False
    """Whether the body holds parts only known when the line runs."""


@dataclass
class Redirect:
    """One redirection of a command: `fd op target`, with the here-document it opens."""

    fd: int
    op: str
    target: Word
    heredoc: HereDoc | None = None


@dataclass
class RawCommand:
    """A simple command as parsed: its words (assignments and reserved words removed) and its redirections."""

    words: list[Word]
    redirects: list[Redirect] = field(default_factory=list)


def parse(line: str, depth: int) -> list[RawCommand]:
    """Every simple command in a line, substitutions' commands included, before any is unwrapped."""
    found: list[RawCommand] = []
    Parser(line, depth, found).parse_all()
    return found


def stored_code(word: Word, depth: int, found: list[RawCommand]) -> None:
    """Code kept in a variable is judged as if it ran: bash may run it later (`PS4`, `${x@P}`, arithmetic)."""
    text = "".join(part.text if isinstance(part, Text) else " " for part in word.parts)
    if "$(" in text or "`" in text or "${" in text:
        with contextlib.suppress(CommandParseError):  # text bash cannot run as code is no threat as code
            Parser(text, depth + 1, found).scan_heredoc()


class Parser(WordReader):
    """Reads one text into `found`, the simple commands in the order bash would meet them."""

    def __init__(self, text: str, depth: int, found: list[RawCommand]) -> None:
        super().__init__(text, depth)
        self.found = found
        self.heredocs: list[HereDoc] = []

    def nested(self, text: str) -> Parser:
        """A parser for text nested one level deeper, adding to the same commands."""
        return Parser(text, self.depth + 1, self.found)

    def parse_all(self) -> None:
        """Read the whole text."""
        self.parse_list(None)

    def parse_list(self, closer: str | None) -> None:
        """Commands separated by `;`, `&`, `&&`, `||`, `|`, `|&` and newlines, up to `closer` or the end."""
        while True:
            self.skip_space()
            char = self.peek()
            if not char:
                if closer:
                    raise CommandParseError(f"a '{closer}' is missing")
                return
            if char == "\n":
                self.pos += 1
                self.read_heredoc_bodies()
            elif char == ")":
                if closer != ")":
                    raise CommandParseError("a ')' has no matching '('")
                self.pos += 1
                return
            elif char in ";|" or (char == "&" and self.peek(1) != ">"):
                self.pos += 1
            else:
                self.parse_simple()

    def parse_simple(self) -> None:
        """One simple command, or the keyword, subshell or arithmetic that stands in its place."""
        words: list[Word] = []
        redirects: list[Redirect] = []
        while True:
            self.skip_space()
            char = self.peek()
            if not char or char in "\n;|)" or (char == "&" and self.peek(1) != ">"):
                break
            if char == "(":
                if not words:
                    self.pos += 1
                    if self.peek() == "(":
                        self.pos += 1
                        self.read_arithmetic()
                    else:
                        self.deeper(1)
                        self.parse_list(")")
                        self.deeper(-1)
                    continue
                if all(word.keyword in ("time", "-p") for word in words) and words[0].keyword == "time":
                    words.clear()  # the `time` keyword before a subshell
                    continue
                if len(words) == 1 and words[0].static is not None and self.function_parens():
                    return  # `name() body`: the body's commands follow as commands of their own
                raise CommandParseError("a '(' stands where bash does not accept one")
            if self.redirection(None, redirects):
                continue
            word = self.read_word()
            if self.peek() in ("<", ">") and self.peek(1) != "(" and _is_fd(word):
                self.redirection(int(word.source) if word.source.isdigit() else -1, redirects)
                continue
            if not words:
                if word.assignment:
                    stored_code(word, self.depth, self.found)
                    continue
                keyword = word.keyword
                if keyword in _TRANSPARENT_KEYWORDS:
                    continue
                if keyword in ("for", "select"):
                    self.skip_for_header()
                    return
                if keyword == "function":
                    self.skip_space()
                    self.read_word()
                    self.skip_space()
                    self.function_parens()
                    return
                if keyword == "[[":
                    self.read_conditional()
                    continue
                if keyword in ("case", "coproc"):
                    raise CommandParseError(f"'{keyword}' is not supported here; write the line without it")
            words.append(word)
        if words:
            self.found.append(RawCommand(words, redirects))

    def function_parens(self) -> bool:
        """Skip the `()` of a function definition, if it stands here."""
        start = self.pos
        if self.peek() == "(":
            self.pos += 1
            while self.peek() in (" ", "\t"):
                self.pos += 1
            if self.peek() == ")":
                self.pos += 1
                return True
        self.pos = start
        return False

    def skip_for_header(self) -> None:
        """`for NAME in WORDS` up to `;`, a newline or `do`; its words may hold substitutions that run."""
        self.skip_space()
        if self.starts("(("):
            self.pos += 2
            self.read_arithmetic()
            return
        while True:
            self.skip_space()
            char = self.peek()
            if not char or char in "\n;&|)":
                return
            if char == "(":
                raise CommandParseError("a '(' stands where bash does not accept one")
            if self.read_word().keyword == "do":
                return

    def read_conditional(self) -> None:
        """`[[ ... ]]`: operators there are words, and only substitutions in it run."""
        while True:
            self.skip_space()
            char = self.peek()
            if not char:
                raise CommandParseError("a '[[' is not closed by ']]'")
            if char in "\n&|()<>!":
                self.pos += 1
                if char == "\n":
                    self.read_heredoc_bodies()
            elif self.read_word().keyword == "]]":
                return

    def redirection(self, fd: int | None, redirects: list[Redirect]) -> bool:
        """Read a redirection at the current position, if there is one; here-documents wait for their body."""
        op = next((op for op in _REDIRECTIONS if self.starts(op)), None)
        if op is None or (op in ("<", ">") and self.peek(1) == "("):
            return False
        self.pos += len(op)
        self.skip_space()
        if not self.peek() or (self.peek() in METACHARS and not (self.peek() in "<>" and self.peek(1) == "(")):
            raise CommandParseError(f"the redirection '{op}' has no target")
        target = self.read_word()
        if fd is None:
            fd = 1 if op[0] in ">&" else 0
        heredoc = None
        if op in ("<<", "<<-"):
            delimiter = "".join(p.text if isinstance(p, Text) else p.source for p in target.parts)
            quoted = any(char in target.source for char in "'\"\\")
            heredoc = HereDoc(delimiter, strip_tabs=op == "<<-", quoted=quoted)
            self.heredocs.append(heredoc)
        redirects.append(Redirect(fd, op, target, heredoc))
        return True

    def read_heredoc_bodies(self) -> None:
        """After a newline token (as bash gathers them): the bodies of the here-documents opened before it, in order."""
        pending, self.heredocs = self.heredocs, []
        for doc in pending:
            lines: list[str] = []
            while self.pos < len(self.text):
                end = self.text.find("\n", self.pos)
                line = self.text[self.pos :] if end < 0 else self.text[self.pos : end]
                self.pos = len(self.text) if end < 0 else end + 1
                if doc.strip_tabs:
                    line = line.lstrip("\t")
                if line == doc.delimiter:
                    break
                lines.append(line)
            body = "".join(line + "\n" for line in lines)
            if doc.quoted:
                doc.body = body
            else:
                doc.body, doc.dynamic = self.nested(body).scan_heredoc()


def _is_fd(word: Word) -> bool:
    """Whether a word just before `<` or `>` names the descriptor redirected (`2>`, `{fd}>`)."""
    return word.source.isdigit() or bool(_FD_VARIABLE.fullmatch(word.source))
