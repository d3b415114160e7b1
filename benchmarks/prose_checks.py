"""How far the preservation check can be trusted: false alarms on faithful stage pairs, recall on planted losses.

The corpus (`tests/agents/checks/corpus/*.yaml`, or a folder of your own in the same format) holds dictated notes
taken through the stages of a pipeline with every output faithful, and hand-planted losses and changes. Besides
those, every fact an output repeats verbatim is planted twice mechanically: once deleted, once changed into another.
A plant is caught when the check fails on a fact it did not fail on for the faithful output.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.table import BenchResult, Row, at_least, at_most
from interns.agents.checks.facts import Fact, words_of
from interns.agents.checks.matching import compare_facts, fails

CORPUS = Path(__file__).parents[1] / "tests" / "agents" / "checks" / "corpus"
FALSE_ALARMS_TARGET = 1.0
"""False alarms per 1,000 words of input, at most."""
RECALL_TARGET = 0.95


@dataclass(frozen=True)
class StagePair:
    """One stage of a pipeline: its input, its faithful output, and the check's settings for it."""

    pipeline: str
    stage: str
    source: str
    output: str
    may_drop: tuple[str, ...] = ()
    may_correct: bool = False

    def failing(self, output: str | None = None) -> list[Fact]:
        """The facts the check fails on for this stage's output (or another output given)."""
        changes = compare_facts(self.source, self.output if output is None else output, self.may_drop, self.may_correct)
        return [change.fact for change in changes if fails(change)]


@dataclass(frozen=True)
class Plant:
    """A loss or change put into a faithful output."""

    pair: StagePair
    kind: str
    output: str
    how: str = "by hand"


@dataclass
class Corpus:
    """Every stage pair and plant of a corpus folder."""

    pairs: list[StagePair] = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)


def load(folder: Path = CORPUS) -> Corpus:
    """The stage pairs and hand plants of every `*.yaml` in a folder; a plant whose text is not there is an error."""
    corpus = Corpus()
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        stages = data["stages"]
        by_name = {}
        for before, stage in itertools.pairwise(stages):
            rules = stage.get("preserves") or {}
            pair = StagePair(
                path.stem,
                stage["name"],
                before["text"],
                stage["text"],
                tuple(rules.get("may_drop", ())),
                bool(rules.get("may_correct", False)),
            )
            corpus.pairs.append(pair)
            by_name[stage["name"]] = pair
        for plant in data.get("planted", []):
            pair = by_name[plant["stage"]]
            if plant["from"] not in pair.output:
                raise ValueError(f"{path.name}: planted text {plant['from']!r} is not in stage {plant['stage']}")
            corpus.plants.append(Plant(pair, plant["kind"], pair.output.replace(plant["from"], plant["to"])))
    return corpus


def mechanical_plants(pair: StagePair) -> Iterator[Plant]:
    """For each fact the output repeats verbatim: the output with it deleted (unless it may go) and changed."""
    from interns.agents.checks.facts import find_facts

    dropped = {item.lower() for item in pair.may_drop}
    for fact in find_facts(pair.source):
        if fact.text not in pair.output or not _mentions(fact).search(pair.output):
            continue
        mentions = _mentions(fact)
        if fact.kind not in dropped:
            yield Plant(pair, f"lost {fact.kind}", mentions.sub("", pair.output), "mechanical")
        changed = _changed(fact)
        if changed is not None and mentions.search(pair.output):
            yield Plant(pair, f"changed {fact.kind}", mentions.sub(changed, pair.output), "mechanical")


def _mentions(fact: Fact) -> re.Pattern[str]:
    """Every mention of a fact as written; for a name, in the singular, plural and possessive too (`Anna's`)."""
    if fact.kind != "names":
        return re.compile(re.escape(fact.text))
    stem = re.escape(fact.text).replace(r"\ ", r"\s+")
    stem = re.sub(r"(?:'s|’s|s)$", "", stem) if not fact.text.isupper() else stem
    return re.compile(rf"\b{stem}(?:'s|’s|s)?\b", re.IGNORECASE)


def _changed(fact: Fact) -> str | None:
    """The fact made into a different one of its kind: each digit moved on by 3, a name swapped, a URL's path."""
    if fact.kind == "numbers" or re.search(r"\d", fact.text):
        return re.sub(r"\d", lambda m: str((int(m.group(0)) + 3) % 10), fact.text)
    if fact.kind == "names":
        return "Bellweather" if " " not in fact.text else fact.text.split()[0] + " Bellweather"
    if fact.kind == "urls":
        return re.sub(r"[^/]+$", "elsewhere", fact.text.rstrip("/"))
    return None  # a quote changed in its words is a paraphrase: the hand plants cover it


def measure(folder: Path = CORPUS) -> BenchResult:
    """False alarms per 1,000 words on the faithful pairs, and recall on the hand and mechanical plants."""
    corpus = load(folder)
    words = sum(len(words_of(pair.source)) for pair in corpus.pairs)
    alarms: list[dict[str, Any]] = []
    for pair in corpus.pairs:
        alarms += [{"pair": f"{pair.pipeline}/{pair.stage}", "fact": f.text, "line": f.line} for f in pair.failing()]
    per_thousand = 1000 * len(alarms) / words if words else None
    rows = [
        Row(
            "prose · false alarms per 1,000 words",
            per_thousand,
            unit="",
            target=f"≤ {FALSE_ALARMS_TARGET:g}",
            met=at_most(per_thousand, FALSE_ALARMS_TARGET),
            note=f"{len(alarms)} in {words:,} words, {len(corpus.pairs)} faithful pairs",
        )
    ]
    raw: dict[str, Any] = {"words": words, "pairs": len(corpus.pairs), "false_alarms": alarms}
    mechanical = [plant for pair in corpus.pairs for plant in mechanical_plants(pair)]
    for label, plants in (("by hand", corpus.plants), ("mechanical", mechanical)):
        missed = [plant for plant in plants if not _caught(plant)]
        recall = 1 - len(missed) / len(plants) if plants else None
        rows.append(
            Row(
                f"prose · recall, plants {label}",
                None if recall is None else 100 * recall,
                unit="%",
                target=f"≥ {100 * RECALL_TARGET:g}%",
                met=at_least(recall, RECALL_TARGET),
                note=f"{len(plants) - len(missed)} of {len(plants)} caught",
            )
        )
        raw[f"missed_{label.replace(' ', '_')}"] = [f"{p.pair.pipeline}/{p.pair.stage}: {p.kind}" for p in missed]
        raw[f"plants_{label.replace(' ', '_')}"] = len(plants)
    return BenchResult("prose_checks", rows=rows, raw=raw)


def _caught(plant: Plant) -> bool:
    """Whether the check fails on a fact for the planted output that it does not fail on for the faithful one."""
    before = {(fact.kind, fact.key) for fact in _failing_faithful(plant.pair)}
    return any((fact.kind, fact.key) not in before for fact in plant.pair.failing(plant.output))


@functools.cache
def _failing_faithful(pair: StagePair) -> list[Fact]:
    return pair.failing()


if __name__ == "__main__":
    from rich.console import Console

    from benchmarks.table import render

    result = measure()
    render(result.rows, Console(), title="the preservation check on its corpus")
    for name, value in result.raw.items():
        print(name, value)
