"""Shell command lines as the policy judges them: every simple command that would run, with nesting unwrapped.

A worker's command line runs under `bash -c`, so the policy must judge what bash would run, not the raw string.
The parser follows bash's grammar far enough to find every simple command: in lists and pipelines, subshells and
groups, `if`/`while`/`for` bodies, `$(...)`, backquotes, `<(...)`, `>(...)`, `${...}`, arithmetic and
here-documents. It then looks inside commands that run other commands: wrappers (`env`, `timeout`, `xargs`,
`sudo`, `find -exec`, ...; see `_WRAPPERS` and `_SPECIAL`) and shells given a command string (`bash -c`, `eval`,
`trap`, `alias`). Parts only known when the line runs (`$X`, globs, brace lists, `~`) stay visible as
`Expansion`s, which the matcher treats as holes. A line it cannot read with certainty raises `CommandParseError`
and must not run. Out of its sight, and bounded only by the sandbox: the contents of scripts and programs a
command runs (`bash build.sh`, `python -c ...`, `make`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agents.globs import Hole

__all__ = ["Command", "CommandParseError", "Expansion", "Text", "Word", "parse_command", "parse_line"]

_MAX_DEPTH = 20
_METACHARS = frozenset(" \t\n;&|()<>")
_TRANSPARENT_KEYWORDS = frozenset({"!", "{", "}", "if", "then", "elif", "else", "fi", "do", "done", "while", "until"})
_REDIRECTIONS = ("&>>", "&>", "<<<", "<<-", "<<", "<&", "<>", "<", ">>", ">&", ">|", ">")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_NAME_START = re.compile(r"[A-Za-z_]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")
_FD_VARIABLE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_ANSI_SIMPLE = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ANSI_SIMPLE |= {"\\": "\\", "'": "'", '"': '"', "?": "?"}


class CommandParseError(ValueError):
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


@dataclass(frozen=True)
class Command:
    """One simple command that would run, as words; its program is compared by basename."""

    words: tuple[Word, ...]

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


def parse_line(line: str) -> list[Command]:
    """Every simple command the line would run, outermost first, wrapped commands after their wrappers."""
    if "\x00" in line:
        raise CommandParseError("the line contains a NUL byte")
    commands: list[Command] = []
    _commands(line, 0, commands)
    return commands


def parse_command(line: str) -> list[list[str]]:
    """The argv of every simple command the line would run (see `parse_line`), as written."""
    return [command.argv for command in parse_line(line)]


# ---- the parser ----------------------------------------------------------------------------------------------


@dataclass
class _HereDoc:
    delimiter: str
    strip_tabs: bool
    quoted: bool
    body: str = ""
    dynamic: bool = False


@dataclass
class _Redirect:
    fd: int
    op: str
    target: Word
    heredoc: _HereDoc | None = None


@dataclass
class _Raw:
    """A simple command as parsed: its words (assignments and reserved words removed) and its redirections."""

    words: list[Word]
    redirects: list[_Redirect] = field(default_factory=list)


class _Parser:
    """Reads one text; nested `$(...)` and `(...)` share its position, backquotes get a parser of their own."""

    def __init__(self, text: str, depth: int, found: list[_Raw]) -> None:
        if depth > _MAX_DEPTH:
            raise CommandParseError("the command is nested too deeply to check")
        self.text = text
        self.pos = 0
        self.depth = depth
        self.found = found
        self.heredocs: list[_HereDoc] = []

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def starts(self, prefix: str) -> bool:
        return self.text.startswith(prefix, self.pos)

    def deeper(self, step: int) -> None:
        self.depth += step
        if self.depth > _MAX_DEPTH:
            raise CommandParseError("the command is nested too deeply to check")

    def parse_all(self) -> None:
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

    def skip_space(self) -> None:
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

    def parse_simple(self) -> None:
        """One simple command, or the keyword, subshell or arithmetic that stands in its place."""
        words: list[Word] = []
        redirects: list[_Redirect] = []
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
            if self.peek() in ("<", ">") and self.peek(1) != "(" and self.is_fd(word):
                self.redirection(int(word.source) if word.source.isdigit() else -1, redirects)
                continue
            if not words:
                if word.assignment:
                    _stored_code(word, self.depth, self.found)
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
            self.found.append(_Raw(words, redirects))

    @staticmethod
    def is_fd(word: Word) -> bool:
        return word.source.isdigit() or bool(_FD_VARIABLE.fullmatch(word.source))

    def function_parens(self) -> bool:
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

    def redirection(self, fd: int | None, redirects: list[_Redirect]) -> bool:
        """Read a redirection at the current position, if there is one; here-documents wait for their body."""
        op = next((op for op in _REDIRECTIONS if self.starts(op)), None)
        if op is None or (op in ("<", ">") and self.peek(1) == "("):
            return False
        self.pos += len(op)
        self.skip_space()
        if not self.peek() or (self.peek() in _METACHARS and not (self.peek() in "<>" and self.peek(1) == "(")):
            raise CommandParseError(f"the redirection '{op}' has no target")
        target = self.read_word()
        if fd is None:
            fd = 1 if op[0] in ">&" else 0
        heredoc = None
        if op in ("<<", "<<-"):
            delimiter = "".join(p.text if isinstance(p, Text) else p.source for p in target.parts)
            quoted = any(char in target.source for char in "'\"\\")
            heredoc = _HereDoc(delimiter, strip_tabs=op == "<<-", quoted=quoted)
            self.heredocs.append(heredoc)
        redirects.append(_Redirect(fd, op, target, heredoc))
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
                doc.body, doc.dynamic = _Parser(body, self.depth + 1, self.found).scan_heredoc()

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

    # ---- words ----

    def read_word(self) -> Word:
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
            while end < len(self.text) and self.text[end] not in _METACHARS and self.text[end] not in "/'\"\\$`":
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
            elif char in _METACHARS:
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

    def read_single_quoted(self) -> Text:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise CommandParseError("a single quote is not closed")
        part = Text(self.text[self.pos + 1 : end], quoted=True)
        self.pos = end + 1
        return part

    def read_double_quoted(self) -> list[Part]:
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
            return [self.read_ansi_c()]
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
        _Parser("".join(inner), self.depth + 1, self.found).parse_all()
        return Expansion(self.text[start : self.pos], may_vanish=not quoted)

    def read_process_substitution(self) -> Expansion:
        start = self.pos
        self.pos += 2
        self.deeper(1)
        self.parse_list(")")
        self.deeper(-1)
        return Expansion(self.text[start : self.pos], may_vanish=False)

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
            elif not char or char in _METACHARS:
                raise CommandParseError("an array assignment is not closed by ')'")
            else:
                self.read_word()

    def read_ansi_c(self) -> Text:
        """`$'...'`, decoded as bash does: `$'\\x67it'` is `git`."""
        self.pos += 2
        out: list[str] = []
        ended = False  # a NUL ends the string; bash drops the rest
        while True:
            char = self.peek()
            if not char:
                raise CommandParseError("a $'...' string is not closed")
            if char == "'":
                self.pos += 1
                return Text("".join(out), quoted=True)
            if char == "\\":
                decoded, length = _ansi_escape(self.text, self.pos)
                self.pos += length
            else:
                decoded = char
                self.pos += 1
            ended = ended or decoded == "\x00"
            if not ended:
                out.append(decoded)


def _ansi_escape(text: str, at: int) -> tuple[str, int]:
    """The character an escape in `$'...'` stands for, and how many characters the escape takes."""
    letter = text[at + 1 : at + 2]
    if letter in _ANSI_SIMPLE:
        return _ANSI_SIMPLE[letter], 2
    if letter and letter in "01234567":
        digits = re.match(r"[0-7]{1,3}", text[at + 1 :])
        assert digits is not None
        return chr(int(digits.group(), 8) & 0xFF), 1 + len(digits.group())
    if letter in ("x", "u", "U"):
        width = {"x": 2, "u": 4, "U": 8}[letter]
        digits = re.match(rf"[0-9A-Fa-f]{{1,{width}}}", text[at + 2 :])
        if digits is None:
            return "\\" + letter, 2
        value = int(digits.group(), 16)
        if value > 0x10FFFF:
            raise CommandParseError(f"the escape '\\{letter}{digits.group()}' is not a character")
        return chr(value), 2 + len(digits.group())
    if letter == "c" and at + 2 < len(text):
        return chr(ord(text[at + 2]) & 0x1F), 3
    return "\\" + letter, 1 + len(letter)


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


def _stored_code(word: Word, depth: int, found: list[_Raw]) -> None:
    """Code kept in a variable is judged as if it ran: bash may run it later (`PS4`, `${x@P}`, arithmetic)."""
    text = "".join(part.text if isinstance(part, Text) else " " for part in word.parts)
    if "$(" in text or "`" in text or "${" in text:
        with contextlib.suppress(CommandParseError):  # text bash cannot run as code is no threat as code
            _Parser(text, depth + 1, found).scan_heredoc()


def _parse(line: str, depth: int) -> list[_Raw]:
    found: list[_Raw] = []
    _Parser(line, depth, found).parse_all()
    return found


# ---- commands that run other commands -------------------------------------------------------------------------


def _commands(line: str, depth: int, out: list[Command]) -> None:
    """Parse a line and add every command it would run, wrapped ones included, to `out`."""
    for raw in _parse(line, depth):
        _add(raw.words, raw.redirects, depth, out)


def _add(words: Sequence[Word], redirects: Sequence[_Redirect], depth: int, out: list[Command]) -> None:
    """Add a command, then whatever it runs in its turn."""
    if depth > _MAX_DEPTH:
        raise CommandParseError("the command is nested too deeply to check")
    if not words:
        return
    command = Command(tuple(words))
    out.append(command)
    program = command.program
    args = list(words[1:])
    if program is None:
        return
    if program in _SPECIAL:
        _SPECIAL[program](program, args, redirects, depth + 1, out)
    elif program in _WRAPPERS:
        _unwrap(program, args, depth + 1, out)


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


def _static_word(text: str) -> Word:
    return Word((Text(text),), text)


def _unwrap(program: str, args: list[Word], depth: int, out: list[Command]) -> None:
    """Add the command a wrapper runs, reading the wrapper's options by its `_Options`."""
    spec = _WRAPPERS[program]
    if spec.assignments:
        _declare(program, args, [], depth, out)
    split = _split_options(args, spec)
    if split is None:
        _add([_unknown(args)], [], depth, out)
        return
    options, wrapped = split
    if any(letter in options for letter in spec.no_command):
        return
    if program == "env" and ("S" in options or "split-string" in options):
        text = options.get("S", options.get("split-string"))
        if text is None:
            _add([_unknown(args)], [], depth, out)
            return
        wrapped = _words(text, depth) + wrapped
    elif program == "xargs":
        wrapped = _xargs_command(options, wrapped)
    elif program == "watch" and not ({"x", "exec"} & options.keys()):
        _run_string(program, wrapped, depth, out, joined=True)
        return
    _add(wrapped, [], depth, out)


def _xargs_command(options: dict[str, str | None], wrapped: list[Word]) -> list[Word]:
    """The command xargs runs, with the arguments it reads from its input as a hole."""
    wrapped = wrapped or [_static_word("echo")]
    given = [options[key] for key in ("I", "replace", "i") if key in options]
    if not given:
        return [*wrapped, Word((Expansion("<input>", may_vanish=True),), "<input>")]
    if given[0] is None:
        return [_unknown(wrapped)]
    replace = given[0] or "{}"
    return [_unknown([word]) if replace in (word.static or replace) else word for word in wrapped]


def _words(text: str, depth: int) -> list[Word]:
    """Split text into words as the shell would (for `env -S`), refusing anything but words."""
    parser = _Parser(text, depth, [])
    words: list[Word] = []
    while True:
        parser.skip_space()
        if not parser.peek():
            return words
        if parser.peek() in _METACHARS:
            raise CommandParseError("'env -S' is given more than words")
        words.append(parser.read_word())


def _run_string(program: str, words: Sequence[Word], depth: int, out: list[Command], *, joined: bool = False) -> None:
    """Add the commands of a command string a program runs (`eval`, `watch` join their words into one)."""
    texts = [word.static for word in (words if joined else words[:1])]
    if not texts:
        return
    if any(text is None for text in texts):
        raise CommandParseError(f"the command that '{program}' runs is only known when it runs")
    _commands(" ".join(text for text in texts if text is not None), depth, out)


_SCRIPT_FROM_INPUT = ("/dev/stdin", "/dev/fd/", "/proc/self/fd/", "/dev/tty")


def _check_script(program: str, word: Word) -> None:
    """A script file is not judged, but one fed from a substitution or from standard input cannot be allowed."""
    static = word.static or ""
    fed = word.source.startswith(("<(", ">(")) or static == "-" or static.startswith(_SCRIPT_FROM_INPUT)
    if fed:
        raise CommandParseError(f"'{program}' would run commands from {word.source}, which cannot be checked")


def _shell(program: str, args: list[Word], redirects: Sequence[_Redirect], depth: int, out: list[Command]) -> None:
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
                    command_string = _static_word(value)
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
        _run_string(program, [command_string or rest[0]], depth, out)
    elif rest and not from_input:
        _check_script(program, rest[0])
    else:
        _commands(_input_script(program, redirects), depth, out)


def _input_script(program: str, redirects: Sequence[_Redirect]) -> str:
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


def _declare(program: str, args: list[Word], redirects: Sequence[_Redirect], depth: int, out: list[Command]) -> None:
    """`export`, `declare`, `local`...: the values they store may be code bash runs later."""
    found: list[_Raw] = []
    for word in args:
        if word.assignment:
            _stored_code(word, depth, found)
    for raw in found:
        _add(raw.words, raw.redirects, depth, out)


def _eval(program: str, args: list[Word], redirects: Sequence[_Redirect], depth: int, out: list[Command]) -> None:
    _run_string(program, args, depth, out, joined=True)


def _source(program: str, args: list[Word], redirects: Sequence[_Redirect], depth: int, out: list[Command]) -> None:
    if args:
        _check_script(program, args[0])


def _alias(program: str, args: list[Word], redirects: Sequence[_Redirect], depth: int, out: list[Command]) -> None:
    """`alias name='cmd'`: what the alias would run is judged now."""
    for word in args:
        if word.static is None:
            raise CommandParseError("an alias only known at run time cannot be checked")
        _name, equals, value = word.static.partition("=")
        if equals:
            _commands(value, depth, out)


def _trap(program: str, args: list[Word], redirects: Sequence[_Redirect], depth: int, out: list[Command]) -> None:
    """`trap 'cmd' SIGNAL...`: the handler's commands are judged now."""
    rest = list(args)
    while rest and rest[0].static in ("-l", "-p", "--"):
        rest.pop(0)
    if len(rest) >= 2 and rest[0].static not in ("-", ""):
        _run_string(program, rest[:1], depth, out)


def _find(program: str, args: list[Word], redirects: Sequence[_Redirect], depth: int, out: list[Command]) -> None:
    """`find ... -exec cmd {} ;`: each command it executes, with `{}` as a hole."""
    index = 0
    while index < len(args):
        word = args[index]
        if word.static is None and not word.starts_plain:
            _add([_unknown(args[index:])], [], depth, out)  # could be `-exec` itself
            return
        index += 1
        if word.static in ("-exec", "-execdir", "-ok", "-okdir"):
            command: list[Word] = []
            while index < len(args) and args[index].static not in (";", "+"):
                word = args[index]
                command.append(_unknown([word]) if "{}" in (word.static or "{}") else word)
                index += 1
            index += 1
            _add(command, [], depth, out)


def _su(program: str, args: list[Word], redirects: Sequence[_Redirect], depth: int, out: list[Command]) -> None:
    """`su -c 'cmd' user` (and `flock FILE -c 'cmd'`): the command string, wherever it stands."""
    for index, word in enumerate(args):
        text = word.static or ""
        if text.startswith("--command=") or text.startswith("--session-command="):
            _run_string(program, [_static_word(text.partition("=")[2])], depth, out)
        elif text in ("--command", "--session-command") or re.fullmatch(r"-[a-zA-Z]*c", text):
            _run_string(program, args[index + 1 : index + 2], depth, out)
        elif re.fullmatch(r"-[a-zA-Z]*c.+", text) and program == "su":
            _run_string(program, [_static_word(text.split("c", 1)[1])], depth, out)
    if program == "flock" and not any(w.static in ("-c", "--command") for w in args):
        _unwrap(program, args, depth, out)


_Handler = Callable[[str, list[Word], Sequence[_Redirect], int, list[Command]], None]
_SPECIAL: dict[str, _Handler] = {
    **dict.fromkeys(("sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "rbash", "yash", "fish"), _shell),
    **dict.fromkeys(("declare", "typeset", "export", "local", "readonly"), _declare),
    "eval": _eval,
    "source": _source,
    ".": _source,
    "alias": _alias,
    "trap": _trap,
    "find": _find,
    "su": _su,
    "flock": _su,
}
