"""The step graph: run order, levels of steps that can run together, and cycles."""

from __future__ import annotations

import pytest

from interns import tasks
from interns.tasks import Step


def steps(*specs: str) -> list[Step]:
    """Steps from `"id: need need"` strings."""
    made = []
    for spec in specs:
        step_id, _, needs = spec.partition(":")
        made.append(Step(id=step_id.strip(), instructions=f"do {step_id}", needs=needs.split()))
    return made


def ids(found: list[Step]) -> list[str]:
    return [step.id for step in found]


def test_topological_order_puts_needs_first() -> None:
    order = tasks.topological_order(steps("report: test build", "test: build", "build:"))

    assert ids(order) == ["build", "test", "report"]


def test_topological_order_keeps_file_order_among_ready_steps() -> None:
    order = tasks.topological_order(steps("docs:", "b: a", "a:", "c:", "d: b c"))

    assert ids(order) == ["docs", "a", "b", "c", "d"]


def test_topological_order_of_no_steps_is_empty() -> None:
    assert tasks.topological_order([]) == []


@pytest.mark.parametrize(
    ("graph", "error"),
    [
        (("a: b", "b: a"), "dependency cycle: a → b → a"),
        (("a: a",), "dependency cycle: a → a"),
        (("a: ghost",), "step 'a' needs 'ghost', which is not a step"),
        (("a:", "a:"), "duplicate step id 'a'"),
    ],
)
def test_topological_order_refuses_a_graph_that_cannot_run(graph: tuple[str, ...], error: str) -> None:
    with pytest.raises(ValueError) as caught:
        tasks.topological_order(steps(*graph))

    assert str(caught.value) == error


def test_plan_levels_groups_steps_that_can_run_together() -> None:
    levels = tasks.plan_levels(steps("lint:", "build:", "test: build", "docs: lint", "ship: test docs"))

    assert [ids(level) for level in levels] == [["lint", "build"], ["test", "docs"], ["ship"]]


def test_a_step_sits_one_level_after_its_latest_need() -> None:
    levels = tasks.plan_levels(steps("a:", "b: a", "c: b", "d: a c"))

    assert [ids(level) for level in levels] == [["a"], ["b"], ["c"], ["d"]]


def test_plan_levels_of_no_steps_is_empty() -> None:
    assert tasks.plan_levels([]) == []


def test_find_cycle_is_none_for_a_dag() -> None:
    assert tasks.find_cycle(steps("a:", "b: a", "c: a b")) is None


def test_find_cycle_starts_at_the_earliest_step_in_the_file() -> None:
    assert tasks.find_cycle(steps("x:", "a: c", "b: a", "c: b x")) == ["a", "c", "b", "a"]


def test_find_cycle_ignores_needs_naming_no_step() -> None:
    assert tasks.find_cycle(steps("a: ghost", "b: a")) is None


def test_find_cycle_sees_a_step_needing_itself() -> None:
    assert tasks.find_cycle(steps("a:", "b: b")) == ["b", "b"]


def test_find_cycle_handles_a_long_chain_without_recursion_limits() -> None:
    chain = steps("s0:", *(f"s{i}: s{i - 1}" for i in range(1, 3000)))

    assert tasks.find_cycle(chain) is None
    assert ids(tasks.topological_order(list(reversed(chain)))[:2]) == ["s0", "s1"]
