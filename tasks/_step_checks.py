"""Checks across steps that no single field can make: unique ids, needs that exist, no cycles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from interns.tasks._validation import suggestion
from interns.tasks._yaml_lines import PathKey, YamlDocument
from interns.tasks.errors import Problem, field_path
from interns.tasks.graph import find_cycle


@dataclass(frozen=True)
class _RawStep:
    """A step as the file wrote it, before validation: where it is, its id, and each need with its index."""

    index: int
    id: str
    needs_at: tuple[tuple[int, str], ...]

    @property
    def needs(self) -> Sequence[str]:
        return [need for _, need in self.needs_at]


def step_problems(doc: YamlDocument, file: Path) -> list[Problem]:
    """Duplicate step ids, needs naming no step or the step itself, and dependency cycles, each at its line."""
    steps = _raw_steps(doc.data)
    problems: list[Problem] = []

    def report(path: PathKey, message: str) -> None:
        problems.append(Problem(file, doc.line_of(path), field_path(path), message))

    first_index: dict[str, int] = {}
    for step in steps:
        if step.id in first_index:
            first_line = doc.line_of(("steps", first_index[step.id], "id"))
            report(("steps", step.index, "id"), f"duplicate step id '{step.id}' (first used at line {first_line})")
        else:
            first_index[step.id] = step.index
    graph: list[_RawStep] = []
    for step in steps:
        kept: list[tuple[int, str]] = []
        for position, need in step.needs_at:
            path = ("steps", step.index, "needs", position)
            if need == step.id:
                report(path, f"step '{need}' cannot need itself")
            elif need not in first_index:
                report(path, f"step '{need}' does not exist{suggestion(need, first_index)}")
            else:
                kept.append((position, need))
        if first_index[step.id] == step.index:
            graph.append(_RawStep(step.index, step.id, tuple(kept)))
    cycles = _cycles(graph)
    for cycle_step, position, cycle in cycles:
        report(("steps", cycle_step.index, "needs", position), f"dependency cycle: {' → '.join(cycle)}")
    if not cycles:
        problems += _stage_problems(doc, file, graph)
    return problems


def _stage_problems(doc: YamlDocument, file: Path, graph: list[_RawStep]) -> list[Problem]:
    """In a staged pipeline: one writer per output, and a stage needs (at least indirectly) the stage it reads from."""
    steps = doc.data.get("steps") if isinstance(doc.data, Mapping) else None
    if not isinstance(steps, list):
        return []
    by_id = {step.id: step for step in graph}
    writer: dict[str, _RawStep] = {}
    problems: list[Problem] = []
    for step in graph:
        output = steps[step.index].get("output")
        if not isinstance(output, str):
            continue
        if output in writer:
            at = ("steps", step.index, "output")
            first = writer[output].id
            problems.append(Problem(file, doc.line_of(at), field_path(at), f"step '{first}' already writes '{output}'"))
        else:
            writer[output] = step
    for step in graph:
        source = steps[step.index].get("input")
        if not isinstance(source, str) or source not in writer or writer[source].id == step.id:
            continue
        if writer[source].id not in _upstream(step, by_id):
            at = ("steps", step.index, "input")
            message = f"'{source}' is written by step '{writer[source].id}': add it to this step's needs"
            problems.append(Problem(file, doc.line_of(at), field_path(at), message))
    return problems


def _upstream(step: _RawStep, by_id: Mapping[str, _RawStep]) -> set[str]:
    """Every step `step` needs, directly or through others (the graph has no cycles here)."""
    seen: set[str] = set()
    todo = list(step.needs)
    while todo:
        need = todo.pop()
        if need not in seen and need in by_id:
            seen.add(need)
            todo += by_id[need].needs
    return seen


def _raw_steps(data: object) -> list[_RawStep]:
    """The steps whose id is a string; needs entries that are not strings are left to validation."""
    steps = data.get("steps") if isinstance(data, Mapping) else None
    if not isinstance(steps, list):
        return []
    found = []
    for index, item in enumerate(steps):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            continue
        needs = item.get("needs")
        needs = needs if isinstance(needs, list) else []
        needs_at = [(position, need) for position, need in enumerate(needs) if isinstance(need, str)]
        found.append(_RawStep(index, item["id"], tuple(needs_at)))
    return found


def _cycles(graph: list[_RawStep]) -> list[tuple[_RawStep, int, list[str]]]:
    """Every cycle, found one at a time: each is reported at its first step's need, and that edge is then dropped."""
    found = []
    while (cycle := find_cycle(graph)) is not None:
        at = next(i for i, step in enumerate(graph) if step.id == cycle[0])
        position = next(p for p, need in graph[at].needs_at if need == cycle[1])
        found.append((graph[at], position, cycle))
        kept = tuple((p, need) for p, need in graph[at].needs_at if need != cycle[1])
        graph = [*graph[:at], _RawStep(graph[at].index, graph[at].id, kept), *graph[at + 1 :]]
    return found
