"""Comparing the facts of a stage's input with its output: each is kept, lost, changed into another, or corrected.

A fact is kept when the output states it in any form the heuristics know (`8 billion` and `8B`, `Monday` and
`Mondays`, `three` and `3`, a name in other words around it). One that is not is looked for where it stood: the
words around it in the input are found in the output, and what stands between them there is its counterpart. A
counterpart that is another number, another name or another URL makes the fact *changed*; one that is a close
variant of a name (`Kowalsky` → `Kowalski`, `Cloud` → `Claude`) makes it *corrected*; no counterpart, *lost*.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Literal

from interns.agents.checks.facts import (
    Fact,
    find_facts,
    identifier_key,
    name_key,
    numbers_of,
    parse_number,
    spelled_numbers,
    without_markers,
    words_of,
)

__all__ = ["FactChange", "FactStatus", "compare_facts", "fails"]

FactStatus = Literal["lost", "changed", "corrected"]
"""What became of a fact the output does not state as it was."""

_CONTEXT = 2
"""Words on each side of a fact that find its place in the other text."""
_SLACK = 4
"""How many more words than the fact had its counterpart may have."""
_SIMILAR = 0.75
"""How alike (by letters, or by sound) two names must be for one to be a correction of the other."""
_CAPITAL_WORD = re.compile(r"\b[A-Z][\w'’-]*")
_CAPITAL_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)*")


@dataclass(frozen=True)
class FactChange:
    """A fact of the input the output does not keep as it was, and what the output holds in its place."""

    fact: Fact
    status: FactStatus
    now: str = ""
    """The counterpart in the output, for a changed or corrected fact."""
    allowed: bool = False
    """Whether the check's settings let this go (`may_drop` for a loss, `may_correct` for a correction)."""

    def describe(self, target: str) -> str:
        """`name 'Kowalsky' became 'Kowalski' in post.md`, `number '12%' is missing from post.md`."""
        what = f"{_KIND_NAMES[self.fact.kind]} {self.fact.text!r}"
        if self.status == "lost":
            return f"{what} is missing from {target}"
        verb = "was corrected to" if self.status == "corrected" else "became"
        return f"{what} {verb} {self.now!r} in {target}"


_KIND_NAMES = {"numbers": "number", "names": "name", "urls": "URL", "quotes": "quote"}


def fails(change: FactChange) -> bool:
    """Whether a change fails the check: a change of one fact into another always does; the rest unless allowed."""
    return change.status == "changed" or not change.allowed


def compare_facts(
    source: str, result: str, may_drop: Sequence[str] = (), may_correct: bool = False
) -> list[FactChange]:
    """Every fact of `source` that `result` does not keep, with what became of it and whether that is allowed."""
    allowed = {item.strip().lower() for item in may_drop}
    facts = find_facts(source)
    kept = _Index(result, facts)
    source_words = _Words(source)
    result_words = _Words(result)
    changes = []
    for fact in facts:
        if kept.holds(fact):
            continue
        change = _counterpart(fact, source_words, result_words, kept)
        if change.status == "lost":
            dropped = {fact.kind, fact.text.lower(), fact.key.lower()} & allowed
            change = FactChange(fact, "lost", allowed=bool(dropped))
        elif change.status == "corrected":
            change = FactChange(fact, "corrected", change.now, allowed=may_correct)
        changes.append(change)
    return changes


class _Words:
    """A text's words (lower case, possessives and plurals off) with their places, and where each pair stands."""

    def __init__(self, text: str) -> None:
        self.text = text
        found = words_of(text)
        self.keys = [name_key(m.group(0)) for m in found]
        self.spans = [m.span() for m in found]
        self.pairs: dict[tuple[str, str], list[int]] = {}
        for index in range(len(self.keys) - 1):
            self.pairs.setdefault((self.keys[index], self.keys[index + 1]), []).append(index)

    def around(self, start: int, end: int) -> tuple[int, int]:
        """The indexes of the first word at or after `start` and the first at or after `end`."""
        first = next((i for i, (s, _) in enumerate(self.spans) if s >= start), len(self.spans))
        after = next((i for i in range(first, len(self.spans)) if self.spans[i][0] >= end), len(self.spans))
        return first, after

    def text_of(self, first: int, after: int) -> str:
        """The text from word `first` up to (not including) word `after`."""
        after = min(after, len(self.spans))
        if first >= after:
            return ""
        return self.text[self.spans[first][0] : self.spans[after - 1][1]]


class _Index:
    """What a result states, ready for asking whether it keeps a fact of the source."""

    def __init__(self, result: str, source_facts: list[Fact]) -> None:
        facts = find_facts(result)
        self.keys = {(fact.kind, fact.key) for fact in facts}
        self.lower = result.lower()
        words = [name_key(m.group(0)) for m in words_of(result)]
        self.words, self.word_set = f" {' '.join(words)} ", set(words)
        numbers = numbers_of(result)
        spelled = spelled_numbers(without_markers(result))
        self.values = {n.value for n in numbers} | spelled
        self.digits = {n.digits for n in numbers} | spelled
        self.unscaled = {n.value for n in numbers if not n.scaled} | spelled
        self.identifiers = {fact.key for fact in facts if fact.kind == "names" and _has_digit(fact.key)}
        self.identifiers |= {identifier_key(m.group(0)) for m in re.finditer(r"[A-Za-z]+[ -]\d[\w.]*", result)}
        self.source_values = {n.value for n in numbers_of(" ".join(f.text for f in source_facts))}
        self.source_names = {f.key for f in source_facts if f.kind == "names"}

    def holds(self, fact: Fact) -> bool:
        """Whether the result states the fact, in any form the heuristics know."""
        if (fact.kind, fact.key) in self.keys:
            return True
        if fact.kind == "urls":
            return fact.key in self.lower
        if fact.kind == "quotes":
            return f" {fact.key} " in self.words or _fuzzy_in(fact.key.split(), self.words.split(), 0.85)
        if fact.kind == "numbers":
            number = parse_number(fact.text)
            if number is None:  # a date, compared by its key alone
                return False
            if number.value in self.values:
                return True
            return number.digits in self.unscaled if number.scaled else number.value in self.digits
        if _has_digit(fact.key):
            return fact.key in self.identifiers
        return f" {fact.key} " in self.words or all(word in self.word_set for word in fact.key.split())


def _counterpart(fact: Fact, source: _Words, result: _Words, index: _Index) -> FactChange:
    """What stands in the result where the fact stood in the source: another fact, a variant of it, or nothing."""
    first, after = source.around(fact.start, fact.end)
    width = max(1, after - first)
    left = tuple(source.keys[max(0, first - _CONTEXT) : first])
    right = tuple(source.keys[after : after + _CONTEXT])
    candidates = []
    lefts = _places(result, left)
    rights = _places(result, right)
    for start in (p + len(left) for p in lefts):
        ends = [q for q in rights if start <= q <= start + width + _SLACK]
        if ends:
            candidates.append(result.text_of(start, min(ends, key=lambda q: abs(q - start - width))))
    if "" in candidates and left and right:
        return FactChange(fact, "lost")  # the words on both sides stand together: the fact was taken from between
    if not candidates:  # one side alone: the fact's own width of words after the left side, or before the right
        candidates += [result.text_of(p + len(left), p + len(left) + width) for p in lefts if left]
        candidates += [result.text_of(max(0, q - width), q) for q in rights if right]
    for now in candidates:
        change = _judge(fact, now, index)
        if change is not None:
            return change
    if fact.kind == "names" and not _has_digit(fact.key):  # nowhere to look: a close variant anywhere will do
        runs = (m.group(0) for m in _CAPITAL_RUN.finditer(result.text))
        close = next((run for run in runs if name_key(run) not in index.source_names and _similar(fact.text, run)), None)
        if close is not None:
            return FactChange(fact, "corrected", close)
    return FactChange(fact, "lost")


def _judge(fact: Fact, now: str, index: _Index) -> FactChange | None:
    """The change `now` (the counterpart) makes to the fact, or None when it holds nothing that replaces it."""
    if not now.strip():
        return None
    if fact.kind == "numbers":
        number = parse_number(fact.text)
        others = [n for n in numbers_of(now) if n.value not in index.source_values]
        if number is not None and others and not _rounded(number.value, others[0].value):
            return FactChange(fact, "changed", others[0].text)
        return None
    if fact.kind == "urls":
        return FactChange(fact, "changed", now) if re.search(r"https?://|www\.|\w\.\w+/", now) else None
    if fact.kind == "quotes":
        return FactChange(fact, "changed", now) if _ratio(fact.key, name_key(now)) >= 0.5 else None
    if _similar(fact.text, now) and _digits(fact.text) == _digits(now):
        return FactChange(fact, "corrected", now)
    names = [w for w in _CAPITAL_WORD.findall(now) if name_key(w) not in index.source_names and len(w) > 1]
    if names or (_has_digit(fact.key) and _has_digit(now)):
        return FactChange(fact, "changed", now)
    return None


def _places(words: _Words, context: tuple[str, ...]) -> list[int]:
    """Where a run of one or two words stands in a text."""
    if len(context) == 2:
        return words.pairs.get((context[0], context[1]), [])
    if len(context) == 1:
        return [i for i, key in enumerate(words.keys) if key == context[0]]
    return []


def _similar(one: str, other: str) -> bool:
    """Whether two names are close variants: alike letter by letter, or alike in sound (`Cloud` and `Claude`)."""
    mine, theirs = one.lower().split(), other.lower().split()
    shared = set(mine) & set(theirs)  # `Priya Raman` and `Priya Sharma` are compared by `Raman` and `Sharma`
    a = re.sub(r"\W", "", "".join(w for w in mine if w not in shared))
    b = re.sub(r"\W", "", "".join(w for w in theirs if w not in shared))
    if len(a) < 4 or len(b) < 4 or a == b:  # `ORM` and `OR`, `SRE` and `SR`: too short to tell a misspelling
        return False
    return _ratio(a, b) >= _SIMILAR or (len(a) > 3 and _ratio(_sound(a), _sound(b)) >= 0.8)


def _sound(word: str) -> str:
    """A rough key of how a word sounds: like consonants merged, vowels after the first letter dropped."""
    for spelt, said in (("ph", "f"), ("ck", "k"), ("c", "k"), ("q", "k"), ("z", "s"), ("v", "f"), ("w", ""), ("h", "")):
        word = word[0] + word[1:].replace(spelt, said)
    head, tail = word[0], re.sub(r"[aeiouy]", "", word[1:])
    return head + re.sub(r"(.)\1+", r"\1", tail)


def _ratio(one: str, other: str) -> float:
    return SequenceMatcher(None, one, other, autojunk=False).ratio()


def _fuzzy_in(quote: list[str], words: list[str], threshold: float) -> bool:
    """Whether a run of words close to `quote` (a word fixed here and there) stands anywhere in `words`."""
    size = len(quote)
    for start in (i for i, word in enumerate(words) if word in quote[:3]):
        if SequenceMatcher(None, quote, words[start : start + size + 2], autojunk=False).ratio() >= threshold:
            return True
    return False


def _rounded(exact: Decimal, rounded: Decimal) -> bool:
    """Whether one number is the other rounded (`1,183` → `1,200`): within 5%, with fewer significant digits."""
    if exact == 0:
        return False
    close = abs(exact - rounded) <= abs(exact) * Decimal("0.05")
    return close and len(str(rounded.normalize()).strip("0.-")) < len(str(exact.normalize()).strip("0.-"))


def _digits(text: str) -> str:
    return "".join(re.findall(r"\d", text))


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)
