"""Comparing the facts of a stage's input with its output: each is kept, lost, changed into another, or corrected.

A fact is kept when the output states it in any form the heuristics know (`8 billion` and `8B`, `Monday` and
`Mondays`, `three` and `3`, a name in other words around it). One that is not is looked for where it stood: the
words around it in the input are found in the output, and what stands between them there is its counterpart. A
counterpart that is another number, another name or another URL makes the fact *changed*; one that is a close
variant of a name (`Kowalsky` → `Kowalski`, `Cloud` → `Claude`, but not a name whose every word changed) makes it
*corrected*; no counterpart, *lost*. A number is counted as well: an output stating it fewer times than its input
states it of different things has lost one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Literal

from interns.agents.checks.facts import (
    Fact,
    Number,
    find_facts,
    identifier_key,
    is_common,
    name_key,
    numbers_of,
    parse_number,
    spelled_counts,
    spelled_numbers,
    stem,
    without_markers,
    words_of,
)

__all__ = ["FactChange", "FactStatus", "compare_facts", "fails"]

FactStatus = Literal["lost", "changed", "corrected", "added"]
"""What became of a fact the output does not state as it was; `added`: a name the output states and the input does
not, standing for none of its facts (its line is the output's)."""

_CONTEXT = 2
"""Words on each side of a fact that find its place in the other text."""
_SLACK = 4
"""How many more words than the fact had its counterpart may have."""
_NEAR = 0.1
"""How far apart (as a share of each text's length) a lost fact and a new one may stand to be one fact changed."""
_NEW_NAMES = 2
"""New names an output may hold (corrections, a changed name) and still be read as made from its input alone."""
_SIMILAR = 0.75
"""How alike (by letters, or by sound) two names must be for one to be a correction of the other."""
_URLS = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_CAPITAL_WORD = re.compile(r"\b[A-Z][\w'’-]*")
_CAPITALS = re.compile(r"\b\w*[A-Z][\w.'’-]*")
"""A word with a capital anywhere: `Mistral`, `vLLM`, `iPhone`."""


@dataclass(frozen=True)
class FactChange:
    """A fact of the input the output does not keep as it was, and what the output holds in its place."""

    fact: Fact
    status: FactStatus
    now: str = ""
    """The counterpart in the output, for a changed or corrected fact."""
    allowed: bool = False
    """Whether the check's settings let this go (`may_drop` for a loss, `may_correct` for a correction)."""
    stated: tuple[int, int] | None = None
    """For a number the output states fewer times than the input does of different things: both counts."""

    def describe(self, target: str) -> str:
        """`name 'Kowalsky' became 'Kowalski' in post.md`, `number '12%' is missing from post.md`."""
        what = f"{_KIND_NAMES[self.fact.kind]} {self.fact.text!r}"
        if self.status == "lost" and self.stated:
            return f"{what} is stated {_times(self.stated[0])} in the input but {_times(self.stated[1])} in {target}"
        if self.status == "lost":
            return f"{what} is missing from {target}"
        if self.status == "added":
            return f"{what} in {target} is not in the input"
        verb = "was corrected to" if self.status == "corrected" else "became"
        return f"{what} {verb} {self.now!r} in {target}"


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


_KIND_NAMES = {"numbers": "number", "names": "name", "urls": "URL", "quotes": "quote"}


def fails(change: FactChange) -> bool:
    """Whether a change fails the check: a change of one fact into another always does; the rest unless allowed."""
    return change.status == "changed" or not change.allowed


def compare_facts(
    source: str, result: str, may_drop: Sequence[str] = (), may_correct: bool = False, added: bool = True
) -> list[FactChange]:
    """Every fact of `source` that `result` does not keep, with what became of it and whether that is allowed; with
    `added`, also each name of `result` that `source` does not state and that stands for none of its facts."""
    allowed = {item.strip().lower() for item in may_drop}
    facts = find_facts(source)
    kept = _Index(result, facts)
    source_words = _Words(source)
    result_words = _Words(result)
    changes = []
    new = _new_facts(source, result)
    missing = [fact for fact in facts if not kept.holds(fact)]
    placed = {fact.start: _counterpart(fact, source_words, result_words, kept, one_sided=False) for fact in missing}
    # An output naming several things its input never did, past those standing in the place of one of its facts,
    # draws on more than this input (notes, other files): then only a fact's own place, found on both sides, says
    # what became of it, and a new name is no news.
    explained = {key(c.now) for c in placed.values() if c is not None for key in (name_key, identifier_key)}
    alone = sum(fact.kind == "names" and fact.key not in explained for fact in new) <= _NEW_NAMES
    for fact in missing:
        change = placed[fact.start]
        if change is not None and change.status == "lost" and alone:
            change = _counterpart(fact, source_words, result_words, kept)
        if change is None:
            continue  # kept, rounded
        if change.status == "lost" and alone and (other := _nearest(fact, len(source), new, len(result))):
            change = FactChange(fact, "changed", other.text)
        if change.status == "lost":
            dropped = {fact.kind, fact.text.lower(), fact.key.lower()} & allowed
            change = FactChange(fact, "lost", allowed=bool(dropped))
        elif change.status == "corrected" and not (may_correct and _is_slip(fact.text, change.now)):
            change = FactChange(fact, "changed", change.now)  # only the judge may let another name pass
        elif change.status == "corrected":
            change = FactChange(fact, "corrected", change.now, allowed=True)
        changes.append(change)
    for fact, stated, kept_times in _fewer_times(source, source_words, kept, [f for f in facts if f not in missing]):
        dropped = {fact.kind, fact.text.lower(), fact.key.lower()} & allowed
        changes.append(FactChange(fact, "lost", allowed=bool(dropped), stated=(stated, kept_times)))
    taken = {key(change.now) for change in changes for key in (name_key, identifier_key)}
    if added and alone:
        changes += [FactChange(fact, "added") for fact in new if fact.kind == "names" and fact.key not in taken]
    return changes


def _fewer_times(source: str, words: _Words, index: _Index, kept: list[Fact]) -> Iterator[tuple[Fact, int, int]]:
    """Each number the result keeps but states fewer times than the source states it of different things, with both
    counts. Mentions sharing the word before or after (`Postgres 16` twice, `24GB` twice) are of one thing: an
    output may say it once. `6 tokens per second` and `6 out of 10` are two, and losing either is a loss."""
    mentions: dict[tuple[str, Decimal], list[tuple[str, str]]] = {}
    for mention in numbers_of(source):
        first, after = words.around(mention.start, mention.end)
        suffix = re.search(r"[A-Za-z]+$", mention.text)
        before = words.keys[first - 1] if first > 0 else ""
        following = suffix.group(0).lower() if suffix else (words.keys[after] if after < len(words.keys) else "")
        mentions.setdefault((mention.unit, mention.value), []).append((before, following))
    for fact in kept:
        number = parse_number(fact) if fact.kind == "numbers" else None
        if number is None:
            continue
        things = _things(mentions.get((number.unit, number.value), []))
        if things > 1 and (times := index.times(number)) < things:
            yield fact, things, times


def _things(mentions: list[tuple[str, str]]) -> int:
    """How many different things a number's mentions are of: mentions sharing a neighbouring word are of one."""
    groups: list[tuple[set[str], set[str]]] = []
    for before, after in mentions:
        joined = [g for g in groups if (before and before in g[0]) or (after and after in g[1])]
        merged: tuple[set[str], set[str]] = ({before}, {after})
        for group in joined:
            merged[0].update(group[0])
            merged[1].update(group[1])
            groups.remove(group)
        groups.append(merged)
    return len(groups)


def _new_facts(source: str, result: str) -> list[Fact]:
    """The numbers and names the result states that the source does not: in a faithful stage, only replacements."""
    known = _Index(source, [])
    return [fact for fact in find_facts(result) if fact.kind in ("numbers", "names") and not known.holds(fact)]


def _nearest(fact: Fact, source_length: int, new: list[Fact], result_length: int) -> Fact | None:
    """The new fact of the same kind standing where the lost one stood (at about the same share of the text), taken
    from `new` so that it pairs with one fact only; None when there is none within a tenth of the text."""
    here = fact.start / max(1, source_length)
    number = parse_number(fact) if fact.kind == "numbers" else None
    near = [
        (abs(other.start / max(1, result_length) - here), index)
        for index, other in enumerate(new)
        if other.kind == fact.kind
        and abs(other.start / max(1, result_length) - here) <= _NEAR
        and not (number and (new_number := parse_number(other)) and _rounded(number.value, new_number.value))
    ]
    if not near:
        return None
    return new.pop(min(near)[1])


class _Words:
    """A text's words (lower case, possessives and plurals off) with their places, and where each pair stands."""

    def __init__(self, text: str) -> None:
        self.text = text
        found = words_of(text)
        self.keys = [stem(m.group(0)) for m in found]
        self.spans = [m.span() for m in found]
        self.starts = [start for start, _ in self.spans]
        self.places: dict[tuple[str, ...], list[int]] = {}
        for index, key in enumerate(self.keys):
            self.places.setdefault((key,), []).append(index)
            if index + 1 < len(self.keys):
                self.places.setdefault((key, self.keys[index + 1]), []).append(index)

    def around(self, start: int, end: int) -> tuple[int, int]:
        """The indexes of the first word at or after `start` and the first at or after `end`."""
        return bisect.bisect_left(self.starts, start), bisect.bisect_left(self.starts, end)

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
        prose = _URLS.sub(" ", result)  # a URL's words (`home-llm-bench`) name nothing
        words = [stem(m.group(0)) for m in words_of(prose)]
        self.words = f" {' '.join(words)} "
        self.word_set = set(words) | {unit.lower() for unit in re.findall(r"(?<=\d)[A-Za-z]+\b", prose)}  # `24GB`
        numbers = numbers_of(result)
        spelled = spelled_numbers(without_markers(result))
        self.values = {(n.unit, n.value) for n in numbers} | spelled
        self.digits = {(n.unit, n.digits) for n in numbers} | spelled
        self.unscaled = {(n.unit, n.value) for n in numbers if not n.scaled} | spelled
        self.identifiers = {fact.key for fact in facts if fact.kind == "names" and _has_digit(fact.key)}
        self.identifiers |= {identifier_key(m.group(0)) for m in re.finditer(r"[A-Za-z]+[ -]\d[\w.]*", result)}
        heads = "".join(word[0] for word in words)
        self.initials = {heads[i : i + n] for n in range(2, 6) for i in range(len(heads) - n + 1)}
        self.numbers = numbers
        self.spelled = spelled_counts(without_markers(result))
        self.source_values = {n.value for n in numbers_of(" ".join(f.text for f in source_facts))}
        self.source_names = {f.key for f in source_facts if f.kind == "names"}

    def times(self, number: Number) -> int:
        """How many times the result states a number, in digits (scale written or not) or spelt out."""
        forms = {number.value} | ({number.digits} if number.scaled else set())
        written = sum(n.unit == number.unit and (n.value in forms or n.digits in forms) for n in self.numbers)
        return written + self.spelled[(number.unit, number.value)]

    def holds(self, fact: Fact) -> bool:
        """Whether the result states the fact, in any form the heuristics know."""
        if (fact.kind, fact.key) in self.keys:
            return True
        if fact.kind == "urls":
            return fact.key in self.lower
        if fact.kind == "quotes":
            return f" {fact.key} " in self.words or _fuzzy_in(fact.key.split(), self.words.split(), 0.85)
        if fact.kind == "numbers":
            number = parse_number(fact)
            if number is None:  # a date, compared by its key alone
                return False
            if (number.unit, number.value) in self.values:
                return True
            if number.scaled:
                return (number.unit, number.digits) in self.unscaled
            return (number.unit, number.value) in self.digits
        if _has_digit(fact.key):
            return fact.key in self.identifiers
        if fact.text.rstrip("s").isupper() and fact.key.rstrip("s") in self.initials:
            return True  # `LLM` spelt out: large language model
        return f" {fact.key} " in self.words or all(word in self.word_set for word in fact.key.split())


def _counterpart(
    fact: Fact, source: _Words, result: _Words, index: _Index, one_sided: bool = True
) -> FactChange | None:
    """What stands in the result where the fact stood in the source: another fact, a variant of it, or nothing; None
    when it is the fact rounded (`1,183` → `about 1,200`)."""
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
    if (
        not candidates and one_sided
    ):  # one side alone: the fact's width of words after the left side, or before the right
        candidates += [result.text_of(p + len(left), p + len(left) + width) for p in lefts if left]
        candidates += [result.text_of(max(0, q - width), q) for q in rights if right]
    number = parse_number(fact) if fact.kind == "numbers" else None
    for now in candidates:
        if number is not None and any(_rounded(number.value, other.value) for other in numbers_of(now)):
            return None
        change = _judge(fact, now, index)
        if change is not None:
            return change
    return FactChange(fact, "lost")  # a close variant elsewhere proves nothing: `Ollama` is not `Llama`


def _judge(fact: Fact, now: str, index: _Index) -> FactChange | None:
    """The change `now` (the counterpart) makes to the fact, or None when it holds nothing that replaces it."""
    if not now.strip():
        return None
    if fact.kind == "numbers":
        number = parse_number(fact)
        others = [n for n in numbers_of(now) if n.value not in index.source_values]
        if number is not None and others:
            return FactChange(fact, "changed", others[0].text)
        return None
    if fact.kind == "urls":
        return FactChange(fact, "changed", now) if re.search(r"https?://|www\.|\w\.\w+/", now) else None
    if fact.kind == "quotes":
        return FactChange(fact, "changed", now) if _ratio(fact.key, name_key(now)) >= 0.5 else None
    if not _has_digit(fact.key) and _similar(fact.text, now, anchored=True):  # `GPT-4o` to `GPT-4` is no spelling
        return FactChange(fact, "corrected", now)
    names = [w for w in _CAPITALS.findall(now) if name_key(w) not in index.source_names and not is_common(w)]
    names = [w for w in names if len(w) > 1]
    if names or (_has_digit(fact.key) and _has_digit(now)):
        return FactChange(fact, "changed", now)
    return None


def _is_slip(written: str, now: str) -> bool:
    """Whether a name's correction mends one slip of the ear or the keys: a name of several words keeps all but one
    (`Anna Kowalsky` → `Anna Kowalski`); one whose every word changed (`Helen Marsh` → `Ellen March`) is another name,
    however alike it sounds."""
    mine, theirs = name_key(written).split(), set(name_key(now).split())
    return len(mine) < 2 or sum(word not in theirs for word in mine) <= 1


def _places(words: _Words, context: tuple[str, ...]) -> list[int]:
    """Where a run of one or two words stands in a text (at most 50 places: a common pair says little)."""
    return words.places.get(context, [])[:50] if context else []


def _similar(one: str, other: str, anchored: bool = False) -> bool:
    """Whether two names are close variants: alike letter by letter, or alike in sound (`Cloud` and `Claude`)."""
    mine, theirs = one.lower().split(), other.lower().split()
    shared = set(mine) & set(theirs)  # `Priya Raman` and `Priya Sharma` are compared by `Raman` and `Sharma`
    a = re.sub(r"\W", "", "".join(w for w in mine if w not in shared))
    b = re.sub(r"\W", "", "".join(w for w in theirs if w not in shared))
    if anchored and min(len(a), len(b)) >= 3 and (a in b or b in a) and a != b:
        return True  # `LLM` heard as `vLLM`, `Marsh` as `Marshall`
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
    """Whether one number is the other rounded (`1,183` → `1,200`): within 5%, with fewer significant digits, from at
    least three (`3.1` → `3` is another version, not a rounding)."""
    if exact == 0 or _significant(exact) < 3:
        return False
    close = abs(exact - rounded) <= abs(exact) * Decimal("0.05")
    return close and _significant(rounded) < _significant(exact)


def _significant(value: Decimal) -> int:
    return len(format(value.normalize(), "f").replace(".", "").replace("-", "").strip("0"))


def _digits(text: str) -> str:
    return "".join(re.findall(r"\d", text))


def _has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)
