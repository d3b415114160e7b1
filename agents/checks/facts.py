"""Reading prose for the built-in checks: unresolved markers, facts a text states, and runs of words it shares.

Facts are found by honest heuristics, not by understanding: numbers (with decimals, percentages, money, dates and
suffixes such as `8B` or `3.5x`), URLs, phrases in double quotes, and names (runs of capitalised words that do not
start a sentence or that open a table's cell, acronyms, and identifiers such as `GPT-4o`). Text inside a marker
(`[UNCLEAR: "Sonnet"?]`) states no fact, and neither do headings and title-case lines. Each fact keeps its place in
the text, so a comparison can look at what stands there in another text (see `matching.py`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from interns.tasks.checks import MARKER_KINDS, FactKind

__all__ = [
    "Fact",
    "Marker",
    "Number",
    "Overlap",
    "find_facts",
    "find_markers",
    "identifier_key",
    "is_common",
    "name_key",
    "number_value",
    "numbers_of",
    "parse_number",
    "shared_runs",
    "spelled_counts",
    "spelled_numbers",
    "stem",
    "without_markers",
    "words_of",
]

_ANY_MARKER = re.compile(r"\[[A-Z][A-Z _-]*\??\s*:[^\]\n]*\]")
"""Any marker a writer leaves (`[UNCLEAR: ...]`, `[TODO: ...]`, `[HOOK: ...]`): what is inside states no fact."""
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`\]\[]*[^\s<>\"'`\]\[.,;:!?)]", re.IGNORECASE)
"""A URL, without the punctuation that ends the sentence it stands in."""
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+\d{4}"
    r"|" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|" + _MONTH + r"\s+\d{4})\b"
)
_SCALES = {
    "k": 3, "thousand": 3, "m": 6, "mn": 6, "million": 6, "b": 9, "bn": 9, "billion": 9, "t": 12, "tn": 12,
    "trillion": 12,
}  # fmt: skip
_NUMBER = re.compile(
    r"(?<![\w.])(?:[$€£¥]\s?)?(?P<digits>\d+(?:,\d{3})*(?:\.\d+)?)"
    r"(?:\s?%|\s?(?P<word>thousand|million|billion|trillion|bn|mn)\b|(?P<suffix>[a-zA-Z]{1,3})\b)?(?![\w])",
)
_IDENTIFIER = re.compile(r"(?<![\w.-])[A-Za-z]+(?:[-.]?\d+(?:\.\d+)*[A-Za-z]*)+(?:-[A-Za-z0-9]+)*(?![\w-])")
"""A name with digits in it: `GPT-4o`, `Qwen2.5`, `H100`, `Q3`, `Llama-3.1-8B`."""
_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)
_QUOTE = re.compile(r"\"((?:[^\"\n]|\n(?![ \t]*\n)){3,300})\"|“((?:[^”\n]|\n(?![ \t]*\n)){3,300})”")
"""A phrase in double quotes, which may run over a line break but not over a blank line."""
_CAPITALISED = r"[A-Z][a-zA-Z]*(?:['’-][A-Za-z]+)*"
_NAME = re.compile(r"(?<![\w'’])" + _CAPITALISED + r"(?:[ \t]+" + _CAPITALISED + r")*")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9&]*[A-Z0-9]s?\b")
_HEADING = re.compile(r"^[ \t]*(?:#{1,6}[ \t].*|[A-Z][^\n.!?,;]{0,80}[^\n.!?,;:])[ \t]*$", re.MULTILINE)
_LINE_OPENING = re.compile(r"\s*(?:[-*+>#|]+\s*|\d+[.)]\s*|\*\*)*")
"""What may come before a line's first word without it ceasing to start a sentence: bullets, headings, quotes."""
_WORD = re.compile(r"[\w'’]+")
_VERSION = re.compile(r"[ \t]+\d[\w.]*")
"""A version or size after a word (`Mixtral 8x7B`, `Llama 3`): a word with one is a name even at a sentence start."""


def _listed(words: str) -> tuple[str, ...]:
    return tuple(words.split())


_NOT_NAMES = {kind.rstrip("?").lower() for kind in MARKER_KINDS} | set(
    _listed(
        """i i'm i'd i've i'll ok okay um uh uhm er erm hmm mm mhm yeah yep yes no oh ah so well like right anyway
    hey hi thanks sorry please basically actually honestly alright"""
    )
)
"""Capitalised words that are no name: fillers of dictation, and `I` with its contractions."""
_OPENERS = frozenset(
    _listed(
        """a an the this that these those there here it its we our us you your they their he his she her i my me
    in on at of for from with by to into onto over under after before during since until about as if when while
    and but or so then next last first finally also still yet now today yesterday tomorrow maybe perhaps
    what who why how where which each every all some most many more no not one two three other such
    big small great good bad new old main key overall thanks thank please note see read try let"""
    )
)
"""Common words that open a sentence with a capital and are no name (`In March`, `The Brightwater proposal`)."""
_SMALL = frozenset(_listed("a an and as at but by for from in into of on or the to vs with"))
_CARDINALS = _listed(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"
)
_AND_A_HALF = re.compile(r"[ \t]+and[ \t]+a[ \t]+half\b", re.IGNORECASE)
_ORDINAL_WORDS = _listed("first second third fourth fifth sixth seventh eighth ninth tenth")
_ORDINALS = frozenset(_ORDINAL_WORDS)
_SPELLED = {
    **{word: (value if value < 20 else 10 * (value - 18)) for value, word in enumerate(_CARDINALS)},
    **{word: value for value, word in enumerate(_ORDINAL_WORDS, 1)},
    "dozen": 12,
}
"""Numbers spelt out, up to ninety (`twenty-five` is read in two parts)."""


@dataclass(frozen=True)
class Marker:
    """An unresolved marker such as `[UNCLEAR: who signed?]`, with its 1-based line."""

    line: int
    text: str


@dataclass(frozen=True)
class Fact:
    """A fact a text states: its kind, how it was written, the key it is compared by, its line and its place."""

    kind: FactKind
    text: str
    key: str
    line: int
    start: int = 0
    """Where it starts in the text (a character offset)."""
    end: int = 0
    """Where it ends in the text."""


@dataclass(frozen=True)
class Number:
    """A number as written, its value (scale applied: `8B` is 8e9), its digits alone, whether a scale was written."""

    text: str
    value: Decimal
    digits: Decimal
    scaled: bool
    start: int
    end: int
    unit: str = ""
    """`money` (`$380`, `380 dollars`), `percent` (`38%`, `38 percent`), or empty: only the same unit keeps it."""


@dataclass(frozen=True)
class Overlap:
    """A run of words a text shares with another, with its 1-based line in the first text."""

    line: int
    words: int
    text: str


def find_markers(text: str, kinds: Sequence[str] = ()) -> list[Marker]:
    """Every `[UNCLEAR: ...]`, `[MISSING?: ...]`, `[ASSUMED: ...]` and marker of the `kinds` given, in order."""
    every = [*MARKER_KINDS, *(kind for kind in kinds if kind not in MARKER_KINDS)]
    pattern = re.compile(r"\[(" + "|".join(re.escape(kind) for kind in every) + r")\s*:[^\]\n]*\]")
    return [Marker(_line_at(text, m.start()), m.group(0)) for m in pattern.finditer(text)]


def find_facts(text: str) -> list[Fact]:
    """The numbers, URLs, quoted phrases and names a text states, each once, in order of first appearance."""
    found: list[Fact] = []
    rest = _blank(_ANY_MARKER, text)  # each kind is blanked out once found, so a URL's digits are not read again

    def take(kind: FactKind, pattern: re.Pattern[str], key: Callable[[re.Match[str]], str]) -> None:
        nonlocal rest
        for match in pattern.finditer(rest):
            group = next((i for i, g in enumerate(match.groups(), 1) if g), 0) if kind == "quotes" else 0
            written = match.group(group).strip()
            start = match.start(group)
            found.append(Fact(kind, written, key(match), _line_at(text, start), start, match.end(group)))
        rest = _blank(pattern, rest)

    take("urls", _URL, lambda m: _url_key(m.group(0)))
    take("quotes", _QUOTE, lambda m: name_key(next(g for g in m.groups() if g)))
    take("numbers", _DATE, lambda m: _date_key(m.group(0)))
    rest = _blank(_LIST_MARKER, rest)
    take("names", _IDENTIFIER, lambda m: identifier_key(m.group(0)))
    take("numbers", _NUMBER, lambda m: _number_key(m))
    found += _names(text, rest)
    unique: dict[tuple[str, str], Fact] = {}
    for fact in sorted(found, key=lambda f: f.start):
        unique.setdefault((fact.kind, fact.key), fact)
    return list(unique.values())


def number_value(match: re.Match[str]) -> tuple[Decimal, bool]:
    """A number's value with its scale applied (`8B`, `8 billion`: 8e9), and whether a scale was written."""
    digits = Decimal(match.group("digits").replace(",", ""))
    if _AND_A_HALF.match(match.string, match.end()):  # `2 and a half hours` is 2.5
        digits += Decimal("0.5")
    scale = (match.group("word") or match.group("suffix") or "").lower()
    if scale in _SCALES:
        return digits.scaleb(_SCALES[scale]), True
    return digits, False


def spelled_numbers(text: str) -> set[tuple[str, Decimal]]:
    """The numbers a text spells out (`three`, `twenty-five`, `a dozen`, `second`), each with its unit: `ordinal` or
    none."""
    return set().union(*_spelled(text))


def spelled_counts(text: str) -> Counter[tuple[str, Decimal]]:
    """How many times a text spells out each number (`three` twice: 2)."""
    counts: Counter[tuple[str, Decimal]] = Counter()
    for values in _spelled(text):
        counts.update(values)
    return counts


def _spelled(text: str) -> Iterator[set[tuple[str, Decimal]]]:
    """For each word of a text that spells a number, the values it may stand for (`twenty-five`: 25, 20 and 5)."""
    for match in re.finditer(r"[A-Za-z]+(?:-[A-Za-z]+)?", text):
        values: set[tuple[str, Decimal]] = set()
        parts = match.group(0).lower().split("-")
        if len(parts) == 1 and parts[0] in _SPELLED and _AND_A_HALF.match(text, match.end()):
            values.add(("", Decimal(_SPELLED[parts[0]]) + Decimal("0.5")))
        unit = "ordinal" if parts[-1] in _ORDINALS else ""
        if all(part in _SPELLED for part in parts) and len(parts) <= 2:
            values.add((unit, Decimal(sum(_SPELLED[part] for part in parts))))
        values |= {("ordinal" if p in _ORDINALS else "", Decimal(_SPELLED[p])) for p in parts if p in _SPELLED}
        if values:
            yield values


def numbers_of(text: str) -> list[Number]:
    """Every number a text writes in digits (dates, URLs and identifiers aside), with its value and place."""
    rest = _blank(_LIST_MARKER, _blank(_IDENTIFIER, _blank(_DATE, _blank(_URL, _blank(_ANY_MARKER, text)))))
    found = []
    for match in _NUMBER.finditer(rest):
        try:
            value, scaled = number_value(match)
            digits = Decimal(match.group("digits").replace(",", ""))
        except InvalidOperation:
            continue
        found.append(
            Number(match.group(0), value.normalize(), digits.normalize(), scaled, *match.span(), unit=_unit(match))
        )
    return found


def parse_number(fact: Fact) -> Number | None:
    """A number fact's value and unit, read back from how it was written and its key; None for a date."""
    found = numbers_of(fact.text)
    if len(found) != 1:
        return None
    unit = fact.key.split()[0] if " " in fact.key else ""
    return Number(**{**found[0].__dict__, "unit": unit})


def is_common(word: str) -> bool:
    """Whether a capitalised word is a common one (`In`, `The`, `Okay`) rather than a name."""
    return _word(word) in _OPENERS or _word(word) in _NOT_NAMES


def without_markers(text: str) -> str:
    """The text with every marker (`[UNCLEAR: ...]`, `[TODO: ...]`) blanked out, its length kept."""
    return _blank(_ANY_MARKER, text)


def words_of(text: str) -> list[re.Match[str]]:
    """The words of a text, with their places."""
    return list(_WORD.finditer(text))


def name_key(text: str) -> str:
    """A name or phrase compared loosely: lower case, possessives and plurals off (`Monday's`, `Mondays`: `monday`)."""
    return " ".join(stem(m.group(0)) for m in _WORD.finditer(text))


def identifier_key(text: str) -> str:
    """An identifier compared without case or joining marks: `GPT-4o`, `gpt 4o` and `GPT4o` are one."""
    return re.sub(r"[-\s]", "", text.lower())


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
    """Runs of capitalised words not at a sentence start (a run that starts one loses its first word), and acronyms.

    Headings and title-case lines are left out: their capitals mark a title, not a name.
    """
    rest = _blank(_HEADING, rest, keep=lambda line: not _is_title(line))
    found = []
    runs = []
    for match in _NAME.finditer(rest):
        words = [(m.group(0), match.start() + m.start()) for m in re.finditer(r"\S+", match.group(0))]
        runs.append((words, _starts_sentence(rest, match.start())))
    named = {_word(word) for words, opens in runs for word, _ in words[opens:]}
    for words, opens in runs:
        if opens and not _name_at_opening(words, named, text):
            words = words[1:]
        for run in _split_at_fillers(words):
            if len(run) == 1 and _ACRONYM.fullmatch(run[0][0]):
                continue
            if any(len(w) > 1 for w, _ in run):
                name, start = " ".join(w for w, _ in run), run[0][1]
                found.append(
                    Fact("names", name, name_key(name), _line_at(text, start), start, run[-1][1] + len(run[-1][0]))
                )
    for match in _ACRONYM.finditer(rest):
        if match.group(0).rstrip("s").lower() not in _NOT_NAMES:
            written = match.group(0)
            found.append(Fact("names", written, name_key(written), _line_at(text, match.start()), *match.span()))
    return found


def _name_at_opening(words: list[tuple[str, int]], named: set[str], text: str) -> bool:
    """Whether the first word of a run that opens a sentence is a name: not a common opener, and either the first of
    several capitalised words (`Anna Kowalski wrote`), written with odd capitals (`vLLM`), capitalised elsewhere in
    the middle of a sentence, followed by a version or size (`Mixtral 8x7B`), or the start of a table's cell."""
    first, start = words[0]
    if _word(first) in _OPENERS or _word(first) in _NOT_NAMES:
        return False
    if len(words) > 1 or _word(first) in named or any(char.isupper() for char in first[1:]):
        return True
    before = text[text.rfind("\n", 0, start) + 1 : start]
    in_cell = before.lstrip().startswith("|") and before.rstrip().endswith("|")  # a cell holds a label, no sentence
    return in_cell or _VERSION.match(text, start + len(first)) is not None


def _split_at_fillers(words: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """A run of capitalised words cut where a filler (`Um`, `Okay`, `I'm`) stands: the filler is no part of a name."""
    runs: list[list[tuple[str, int]]] = [[]]
    for word, start in words:
        if _word(word) in _NOT_NAMES:
            runs.append([])
        else:
            runs[-1].append((word, start))
    return [run for run in runs if run]


def _is_title(line: str) -> bool:
    """Whether a line is a heading: a Markdown `#` line, or a short line whose longer words are mostly capitalised."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return True
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", stripped) if w.lower() not in _SMALL]
    if len(words) < 2 or len(words) > 12:
        return False
    return sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _starts_sentence(text: str, start: int) -> bool:
    """Whether a word at `start` opens a sentence: first on its line (after any bullet), or after `.`, `!`, `?`, `:`."""
    window = text[max(0, start - 200) : start]  # bounded: a long text must not be copied once per name
    before = window.rstrip(" \t")
    line_start = before.rfind("\n")
    if (line_start >= 0 or start <= 200) and _LINE_OPENING.fullmatch(before[line_start + 1 :]):
        return True
    return before[-1:] in (".", "!", "?", ":", ";", '"', "“", "—", "(") or before.endswith(("--", " -", "…"))


def _blank(pattern: re.Pattern[str], text: str, keep: Callable[[str], bool] = lambda _: False) -> str:
    """The text with each match of `pattern` turned to spaces (newlines kept), so offsets stay the same."""
    return pattern.sub(lambda m: m.group(0) if keep(m.group(0)) else re.sub(r"[^\n]", " ", m.group(0)), text)


def _word(word: str) -> str:
    return word.lower().replace("’", "'")


def stem(word: str) -> str:
    """One word compared loosely: lower case, possessive and plural off."""
    word = _word(word)
    if word.endswith("'s") or word.endswith("s'"):
        word = word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _url_key(url: str) -> str:
    url = url.rstrip(".,;:!?")
    if url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1]
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower()).rstrip("/")


def _date_key(date: str) -> str:
    return " ".join(re.sub(r"(?<=\d)(st|nd|rd|th)\b|[.,]", "", date.lower()).split())


def _number_key(match: re.Match[str]) -> str:
    """The number's unit and value: `$1,200` and `1200 dollars` state the same figure, `1.2 million` and `1,200,000`
    too, but `$3.50` and `3.5x` do not."""
    try:
        value, _ = number_value(match)
    except InvalidOperation:
        return match.group("digits")
    return f"{_unit(match)} {format(value.normalize(), 'f')}".strip()


_UNIT_WORD = re.compile(r"[ \t]*(?:(percent|per[ \t]+cent)|(dollars?|euros?|pounds?|usd|eur|gbp|bucks))\b", re.I)


def _unit(match: re.Match[str]) -> str:
    """`money`, `percent` or empty, from the sign before a number or the word after it."""
    written = match.group(0)
    if (match.group("suffix") or "").lower() in ("st", "nd", "rd", "th"):
        return "ordinal"
    if written[:1] in "$€£¥":
        return "money"
    if written.endswith("%"):
        return "percent"
    after = _UNIT_WORD.match(match.string, match.end())
    if after is None:
        return ""
    return "percent" if after.group(1) else "money"
