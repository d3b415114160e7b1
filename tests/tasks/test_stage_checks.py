"""Staged pipelines in a task file: each output has one writer, and a stage needs the stage whose output it reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from interns import tasks

ProblemsOf = Callable[[Path], list[tuple[int | None, str, str]]]

HEAD = "version: 1\nname: demo\ngoal: Do the thing.\nworkspace: {folder: data}\nsteps:\n"
"""Valid required keys and `steps:` on lines 1-5; steps follow from line 6."""


def test_a_stage_reading_an_output_it_does_not_need_is_named(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    text = HEAD + (
        "  - {id: fix, instructions: Fix., input: raw.md, output: fixed.md}\n"  # 6
        "  - {id: smooth, instructions: Smooth., input: fixed.md, output: smooth.md}\n"  # 7
    )

    assert problems(write_task(text)) == [
        (7, "steps[1].input", "'fixed.md' is written by step 'fix': add it to this step's needs")
    ]


def test_two_stages_writing_one_output_is_an_error(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    text = HEAD + (
        "  - {id: a, instructions: A., output: out.md}\n"  # 6
        "  - {id: b, instructions: B., output: out.md, needs: [a]}\n"  # 7
    )

    assert problems(write_task(text)) == [(7, "steps[1].output", "step 'a' already writes 'out.md'")]


def test_a_pipeline_needing_its_stages_through_others_loads(write_task: Callable[..., Path]) -> None:
    text = HEAD + (
        "  - {id: fix, instructions: Fix., input: raw.md, output: fixed.md}\n"
        "  - {id: smooth, instructions: Smooth., input: fixed.md, output: smooth.md, needs: [fix]}\n"
        "  - {id: check, instructions: Check., input: fixed.md, output: report.md, needs: [smooth]}\n"
    )

    spec = tasks.load(write_task(text))
    smooth = spec.steps[1]
    assert spec.guardrails.for_step(smooth).write == ["smooth.md"], "a stage writes its own output and no more"
    assert spec.guardrails.for_step(spec.steps[0]).write == ["fixed.md"]
