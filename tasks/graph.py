"""The steps as a dependency graph: the order to run them in, what can run together, and cycles."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from typing import Protocol, TypeVar


class StepLike(Protocol):
    """Anything with an id and the ids it needs: a `Step`, or a step of a plan the supervisor wrote."""

    @property
    def id(self) -> str: ...

    @property
    def needs(self) -> Sequence[str]: ...


StepT = TypeVar("StepT", bound=StepLike)


def find_cycle(steps: Sequence[StepLike]) -> list[str] | None:
    """One dependency cycle, closed (`["a", "b", "a"]`: a needs b, b needs a), starting at its earliest step.

    None when there is no cycle. Needs naming no step are ignored; a step needing itself is `["a", "a"]`.
    """
    needs = _needs_by_id(steps)
    visiting: set[str] = set()
    done: set[str] = set()
    for start in needs:
        if start in done:
            continue
        path = [start]
        pending: list[Iterator[str]] = [iter(needs[start])]
        visiting.add(start)
        while pending:
            needed = next(pending[-1], None)
            if needed is None:
                finished = path.pop()
                pending.pop()
                visiting.discard(finished)
                done.add(finished)
            elif needed in visiting:
                return _closed_from_earliest(path[path.index(needed) :], list(needs))
            elif needed in needs and needed not in done:
                path.append(needed)
                pending.append(iter(needs[needed]))
                visiting.add(needed)
    return None


def topological_order(steps: Sequence[StepT]) -> list[StepT]:
    """The steps in an order where each comes after all it needs; among steps ready together, file order wins.

    Raises ValueError for a duplicate id, a need naming no step, or a cycle.
    """
    _check_runnable(steps)
    waiting_on = [len(set(step.needs)) for step in steps]
    needed_by: dict[str, list[int]] = {step.id: [] for step in steps}
    for index, step in enumerate(steps):
        for need in set(step.needs):
            needed_by[need].append(index)
    ready = [index for index, count in enumerate(waiting_on) if count == 0]
    heapq.heapify(ready)  # the smallest index is the earliest ready step in the file
    order: list[StepT] = []
    while ready:
        step = steps[heapq.heappop(ready)]
        order.append(step)
        for dependent in needed_by[step.id]:
            waiting_on[dependent] -= 1
            if waiting_on[dependent] == 0:
                heapq.heappush(ready, dependent)
    return order


def plan_levels(steps: Sequence[StepT]) -> list[list[StepT]]:
    """The steps grouped by level: level 0 needs nothing, level n needs something of level n-1; file order within.

    Steps of one level can run at the same time. Raises ValueError like `topological_order`.
    """
    level_of: dict[str, int] = {}
    for step in topological_order(steps):
        level_of[step.id] = 1 + max((level_of[need] for need in step.needs), default=-1)
    levels: list[list[StepT]] = [[] for _ in range(max(level_of.values(), default=-1) + 1)]
    for step in steps:
        levels[level_of[step.id]].append(step)
    return levels


def _check_runnable(steps: Sequence[StepLike]) -> None:
    seen: set[str] = set()
    for step in steps:
        if step.id in seen:
            raise ValueError(f"duplicate step id '{step.id}'")
        seen.add(step.id)
    for step in steps:
        for need in step.needs:
            if need not in seen:
                raise ValueError(f"step '{step.id}' needs '{need}', which is not a step")
    cycle = find_cycle(steps)
    if cycle is not None:
        raise ValueError(f"dependency cycle: {' → '.join(cycle)}")


def _needs_by_id(steps: Sequence[StepLike]) -> dict[str, Sequence[str]]:
    needs: dict[str, Sequence[str]] = {}
    for step in steps:
        needs.setdefault(step.id, step.needs)  # with duplicate ids, the first one counts
    return needs


def _closed_from_earliest(cycle: list[str], file_order: list[str]) -> list[str]:
    """Rotate a cycle so it starts at the step earliest in the file, and repeat that step at the end."""
    start = min(range(len(cycle)), key=lambda i: file_order.index(cycle[i]))
    rotated = cycle[start:] + cycle[:start]
    return [*rotated, rotated[0]]
