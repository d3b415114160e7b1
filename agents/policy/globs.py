"""Glob patterns of two kinds: workspace paths (`**` spans folders) and command lines (fnmatch-style over argv).

Path globs: `**` as a whole segment matches any number of segments, none included (`src/**` matches `src`
and everything under it; `**/*.md` matches `a.md` and `x/y/a.md`); `*`, `?` and `[abc]` / `[!abc]` never
cross `/`. A leading `/` or `./` is ignored and a trailing `/` means "and everything under it".

Command patterns: `*` matches any text, spaces and slashes included; `?` one character; `[...]` a class.
They are matched against a command's argv joined by single spaces, the program named by its basename.
A pattern ending in ` *` also matches the command alone: `git push *` matches `git push`.
A command may hold parts only known when it runs (`git $X`); `Hole` stands for them, and a pattern
`could_match` such a command when some value of its holes matches, and `always_matches` when every one does.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Sequence

__all__ = ["Hole", "Subject", "always_matches", "compile_glob", "could_match", "matches", "normalize_command_pattern"]


def compile_glob(pattern: str) -> re.Pattern[str]:
    """Compile a workspace path glob into a regular expression that must match a whole normalized path."""
    return _compile_glob(pattern)


def matches(path: str, patterns: Iterable[str]) -> str | None:
    """The first of `patterns` that matches the normalized workspace-relative posix `path`, or None."""
    for pattern in patterns:
        if _compile_glob(pattern).match(path):
            return pattern
    return None


@functools.lru_cache(maxsize=512)
def _compile_glob(pattern: str) -> re.Pattern[str]:
    text = pattern.strip()
    while text.startswith("./"):
        text = text[2:]
    text = text.lstrip("/")
    if text.endswith("/"):
        text += "**"
    segments: list[str] = []
    for segment in text.split("/"):
        if segment in ("", ".") or (segment == "**" and segments[-1:] == ["**"]):
            continue
        segments.append(segment)
    out: list[str] = []
    separator_due = False
    for index, segment in enumerate(segments):
        if segment == "**":
            if index == len(segments) - 1:
                out.append("(?:/.*)?" if separator_due else ".*")
            else:
                out.append("/(?:.*/)?" if separator_due else "(?:.*/)?")
            separator_due = False
            continue
        if separator_due:
            out.append("/")
        out.append(_translate(segment, any_text="[^/]*", any_char="[^/]", class_guard="(?!/)"))
        separator_due = True
    return re.compile("(?s:" + "".join(out) + r")\Z")


def _translate(text: str, *, any_text: str, any_char: str, class_guard: str) -> str:
    """Regex source for glob text: `*`, `?`, `[...]`; everything else literal."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "*":
            while index + 1 < len(text) and text[index + 1] == "*":
                index += 1
            out.append(any_text)
        elif char == "?":
            out.append(any_char)
        elif char == "[" and (end := _class_end(text, index)) > 0:
            out.append(_class(text[index + 1 : end], class_guard))
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _class_end(text: str, start: int) -> int:
    """Index of the `]` closing the class opened at `start`, or -1 when it is not closed (then `[` is literal)."""
    index = start + 1
    if index < len(text) and text[index] in "!^":
        index += 1
    if index < len(text) and text[index] == "]":
        index += 1
    while index < len(text) and text[index] != "]":
        index += 1
    return index if index < len(text) else -1


def _class(body: str, guard: str) -> str:
    """Regex source for the inside of `[...]`; `guard` keeps a positive class from matching a separator."""
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    items: list[str] = []
    index = 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            low, high = body[index], body[index + 2]
            if low <= high:
                items.append(f"{re.escape(low)}-{re.escape(high)}")
            index += 3
        else:
            items.append(re.escape(body[index]))
            index += 1
    if negate:
        return "[^" + ("/" if guard else "") + "".join(items) + "]"
    return guard + "[" + "".join(items) + "]" if items else "(?!)"


# ---- command patterns ----------------------------------------------------------------------------------------


class Hole(enum.Enum):
    """A part of a command only known when it runs."""

    TEXT = "text"
    """Any text, spaces included (an expansion inside a word, or a word whose value is unknown)."""
    WORDS = "words"
    """Nothing at all, or a space followed by any text (an unquoted expansion that may split or vanish)."""


Subject = Sequence["str | Hole"]
"""A command as the matcher sees it: single characters, and holes where the text is only known at run time."""

_Token = str | re.Pattern[str] | None
"""A pattern position: a literal character, a one-character regex (`?`, `[...]`), or None for `*`."""


def normalize_command_pattern(pattern: str) -> str:
    """The pattern as matched: whitespace runs collapsed, the program part reduced to its basename."""
    words = pattern.split()
    if words and "/" in words[0]:
        words[0] = words[0].rsplit("/", 1)[1]
    return " ".join(words)


@functools.lru_cache(maxsize=512)
def _command_pattern(pattern: str) -> tuple[tuple[_Token, ...], ...]:
    """The pattern's alternatives as token sequences: itself, and without its trailing ` *`."""
    text = normalize_command_pattern(pattern)
    alternatives = [text]
    if text.endswith(" *"):
        alternatives.append(text[:-2])
    return tuple(_tokens(alternative) for alternative in alternatives)


def _tokens(text: str) -> tuple[_Token, ...]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "*":
            if not tokens or tokens[-1] is not None:
                tokens.append(None)
        elif char == "?":
            tokens.append(re.compile(".", re.DOTALL))
        elif char == "[" and (end := _class_end(text, index)) > 0:
            tokens.append(re.compile(_class(text[index + 1 : end], ""), re.DOTALL))
            index = end
        else:
            tokens.append(char)
        index += 1
    return tuple(tokens)


def _accepts(token: _Token, char: str) -> bool:
    if isinstance(token, str):
        return token == char
    return token is not None and token.fullmatch(char) is not None


def could_match(pattern: str, subject: Subject) -> bool:
    """Whether some run-time value of the subject's holes makes the command match the pattern."""
    return any(_could_match(alternative, subject) for alternative in _command_pattern(pattern))


def _could_match(tokens: tuple[_Token, ...], subject: Subject) -> bool:
    """Search the product of the pattern's and the subject's automata for a common string.

    A state is (pattern position, subject position, inside): `inside` is set once a `Hole.WORDS` has taken its
    leading space and now stands for any text.
    """
    end_p, end_s = len(tokens), len(subject)
    todo: list[tuple[int, int, bool]] = [(0, 0, False)]
    seen: set[tuple[int, int, bool]] = set()
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        p, s, inside = state
        if p == end_p and s == end_s:
            return True
        token = tokens[p] if p < end_p else ""
        if p < end_p and token is None:
            todo.append((p + 1, s, inside))
        if s == end_s:
            continue
        item = subject[s]
        if isinstance(item, Hole):
            todo.append((p, s + 1, False))  # the hole ends here (or vanishes)
            if p == end_p:
                continue
            if item is Hole.TEXT or inside:
                if token is not None:  # one more character of the hole, taken by this pattern position
                    todo.append((p + 1, s, inside))
            elif token is None:  # a vanishing hole takes its leading space
                todo.append((p, s, True))
            elif _accepts(token, " "):
                todo.append((p + 1, s, True))
        elif p < end_p:
            if token is None:
                todo.append((p, s + 1, False))
            elif _accepts(token, item):
                todo.append((p + 1, s + 1, False))
    return False


def always_matches(pattern: str, subject: Subject) -> bool:
    """Whether the command matches the pattern whatever its holes turn out to be (exact when it has none).

    Runs the pattern's automaton on sets of states. A hole of any text keeps only the `*` states, which survive
    any text; a hole that may vanish must work both ways. This can only err towards "no", never towards "yes".
    """
    alternatives = _command_pattern(pattern)

    def closure(states: Iterable[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        result: set[tuple[int, int]] = set()
        for a, p in states:
            result.add((a, p))
            while p < len(alternatives[a]) and alternatives[a][p] is None:
                p += 1
                result.add((a, p))
        return frozenset(result)

    def step(states: frozenset[tuple[int, int]], char: str) -> frozenset[tuple[int, int]]:
        moved: list[tuple[int, int]] = []
        for a, p in states:
            if p < len(alternatives[a]):
                token = alternatives[a][p]
                if token is None:
                    moved.append((a, p))
                elif _accepts(token, char):
                    moved.append((a, p + 1))
        return closure(moved)

    def stars(states: frozenset[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        return closure((a, p) for a, p in states if p < len(alternatives[a]) and alternatives[a][p] is None)

    # Every way through the subject must end in an accepting state; a worklist, not recursion, since a command
    # line can be as long as a model makes it.
    todo = [(closure((a, 0) for a in range(len(alternatives))), 0)]
    seen: set[tuple[frozenset[tuple[int, int]], int]] = set()
    while todo:
        states, s = todo.pop()
        if (states, s) in seen:
            continue
        seen.add((states, s))
        if not states:
            return False
        if s == len(subject):
            if not any(p == len(alternatives[a]) for a, p in states):
                return False
            continue
        item = subject[s]
        if item is Hole.TEXT:
            todo.append((stars(states), s + 1))
        elif item is Hole.WORDS:
            todo += [(states, s + 1), (stars(step(states, " ")), s + 1)]
        else:
            todo.append((step(states, item), s + 1))
    return True
