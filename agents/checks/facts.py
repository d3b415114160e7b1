"""Reading prose for the built-in checks: unresolved markers, facts a text states, and runs of words it shares.

Facts are found by honest heuristics, not by understanding: numbers (with decimals, percentages, money and
dates), URLs, phrases in double quotes, and names (runs of capitalised words that do not start a sentence, and
all-caps acronyms). A fact counts as kept when the other text holds the same one, compared loosely: a number by
its value (`$1,200` and `1200` state the same figure), a name or a quote where its words appear in a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from interns.tasks.checks import MARKER_KINDS, FactKind

__all__ = ["Fact", "Marker", "Overlap", "find_facts", "find_markers", "missing_facts", "shared_runs"]

_MARKER = re.compile(r"\[(" + "|".join(re.escape(kind) for kind in MARKER_KINDS) + r")\s*:[^\]\n]*\]")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`\]\[]+", re.IGNORECASE)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+\d{4}"
    r"|" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|" + _MONTH + r"\s+\d{4})\b"
)
_NUMBER = re.compile(
    r"(?<![\w.])(?:[$€£¥]\s?)?\d+(?:,\d{3})*(?:\.\d+)?(?:\s?%|\s?(?:k|m|bn|million|billion|thousand)\b)?(?![\w])",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)
_QUOTE = re.compile(r"\"([^\"\n]{3,300})\"|“([^”\n]{3,300})”")
_CAPITALISED = r"[A-Z][a-zA-Z]*(?:['’-][A-Za-z]+)*"
_NAME = re.compile(_CAPITALISED + r"(?:[ \t]+" + _CAPITALISED + r")*")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9&]*[A-Z0-9]s?\b")
_LINE_OPENING = re.compile(r"\s*(?:[-*+>#|]+\s*|\d+[.)]\s*)*")
"""What may come before a line's first word without it ceasing to start a sentence: bullets, headings, quotes."""
_WORD = re.compile(r"[\w'’]+")
_SKIP_ACRONYMS = {kind.rstrip("?") for kind in MARKER_KINDS}


@dataclass(frozen=True)
class Marker:
    """An unresolved marker such as `[UNCLEAR: who signed?]`, with its 1-based line."""

    line: int
    text: str


@dataclass(frozen=True)
class Fact:
    """A fact a text states: its kind, how it was written, the key it is compared by, and its 1-based line."""

    kind: FactKind
    text: str
    key: str
    line: int


@dataclass(frozen=True)
class Overlap:
    """A run of words a text shares with another, with its 1-based line in the first text."""

    line: int
    words: int
    text: str


def find_markers(text: str) -> list[Marker]:
    """Every `[UNCLEAR: ...]`, `[MISSING?: ...]` and `[ASSUMED: ...]` in the text, in order."""
    return [Marker(_line_at(text, m.start()), m.group(0)) for m in _MARKER.finditer(text)]


def find_facts(text: str) -> list[Fact]:
    """The numbers, URLs, quoted phrases and names a text states, each once, in order of first appearance."""
    found: list[Fact] = []
    rest = text  # each kind is blanked out once found, so a URL's digits or a date's month are not read again

    def take(kind: FactKind, pattern: re.Pattern[str], key: Callable[[str], str]) -> None:
        nonlocal rest
        for match in pattern.finditer(rest):
            written = next((g for g in match.groups() if g), match.group(0)).strip()
            found.append(Fact(kind, written, key(written), _line_at(text, match.start())))
        rest = pattern.sub(lambda m: " " * len(m.group(0)), rest)

    take("urls", _URL, _url_key)
    take("quotes", _QUOTE, _words_key)
    take("numbers", _DATE, _date_key)
    rest = _LIST_MARKER.sub(lambda m: " " * len(m.group(0)), rest)
    take("numbers", _NUMBER, _number_key)
    found += _names(text, rest)
    unique: dict[tuple[str, str], Fact] = {}
    for fact in sorted(found, key=lambda f: f.line):
        unique.setdefault((fact.kind, fact.key), fact)
    return list(unique.values())


def missing_facts(source: str, result: str, may_drop: Sequence[str] = ()) -> list[Fact]:
    """The facts of `source` that `result` no longer states, less those `may_drop` lets go (items or kinds)."""
    allowed = {item.strip().lower() for item in may_drop}
    kept = {(fact.kind, fact.key) for fact in find_facts(result)}
    result_words = f" {_words_key(result)} "
    missing = []
    for fact in find_facts(source):
        if fact.kind in allowed or fact.text.lower() in allowed or fact.key.lower() in allowed:
            continue
        if (fact.kind, fact.key) in kept:
            continue
        if fact.kind in ("names", "quotes") and f" {fact.key} " in result_words:
            continue  # a name inside a longer name, a quote no longer in quotes: still there
        missing.append(fact)
    return missing


def shared_runs(text: str, other: str, min_words: int) -> list[Overlap]:
    """Every longest run of at least `min_words` consecutive words (case and punctuation ignored) in both texts."""
    found = list(_WORD.finditer(text))
    mine = [_word(m.group(0)) for m in found]
    theirs = [_word(m.group(0)) for m in _WORD.finditer(other)]
    if len(mine) < min_words or len(theirs) < min_words:
        return []
    grams = {tuple(theirs[i : i + min_words]) for i in range(len(theirs) - min_words + 1)}
    starts = [i for i in range(len(mine) - min_words + 1) if tuple(mine[i : i + min_words]) in grams]
    runs: list[Overlap] = []
    index = 0
    while index < len(starts):
        first = last = starts[index]
        while index + 1 < len(starts) and starts[index + 1] == last + 1:
            index, last = index + 1, starts[index + 1]
        index += 1
        span = mine[first : last + min_words]
        shown = " ".join(span[:20]) + (" …" if len(span) > 20 else "")
        runs.append(Overlap(_line_at(text, found[first].start()), len(span), shown))
    return runs


def _names(text: str, rest: str) -> list[Fact]:
    """Runs of capitalised words not at a sentence start (a run that starts one loses its first word), and acronyms."""
    found = []
    for match in _NAME.finditer(rest):
        words = match.group(0).split()
        if _starts_sentence(rest, match.start()):
            words = words[1:]
            while words and not words[0][0].isupper():
                words = words[1:]
        words = [w for w in words if not _ACRONYM.fullmatch(w)] if len(words) == 1 else words
        if words and any(len(w) > 1 for w in words):
            name = " ".join(words)
            found.append(Fact("names", name, _words_key(name), _line_at(text, match.start())))
    for match in _ACRONYM.finditer(rest):
        if match.group(0).rstrip("s") not in _SKIP_ACRONYMS:
            found.append(Fact("names", match.group(0), _words_key(match.group(0)), _line_at(text, match.start())))
    return found


def _starts_sentence(text: str, start: int) -> bool:
    """Whether a word at `start` opens a sentence: first on its line (after any bullet), or after `.`, `!`, `?`, `:`."""
    window = text[max(0, start - 200) : start]  # bounded: a long text must not be copied once per name
    before = window.rstrip(" \t")
    line_start = before.rfind("\n")
    if (line_start >= 0 or start <= 200) and _LINE_OPENING.fullmatch(before[line_start + 1 :]):
        return True
    return before[-1:] in (".", "!", "?", ":", ";", '"', "“")


def _word(word: str) -> str:
    return word.lower().replace("’", "'")


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _url_key(url: str) -> str:
    url = url.rstrip(".,;:!?")
    if url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1]
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower()).rstrip("/")


def _words_key(text: str) -> str:
    return " ".join(_word(m.group(0)) for m in _WORD.finditer(text))


def _date_key(date: str) -> str:
    return " ".join(re.sub(r"(?<=\d)(st|nd|rd|th)\b|[.,]", "", date.lower()).split())


def _number_key(number: str) -> str:
    """The number's value alone: `$1,200` and `1200 dollars` state the same figure, `1.50` and `1.5` too."""
    digits = re.search(r"\d+(?:\.\d+)?", number.replace(",", ""))
    assert digits is not None
    try:
        return format(Decimal(digits.group(0)).normalize(), "f")
    except InvalidOperation:
        return digits.group(0)
