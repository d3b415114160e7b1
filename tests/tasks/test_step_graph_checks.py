"""Checks across steps in a task file: duplicate ids, needs naming no step or the step itself, cycles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

ProblemsOf = Callable[[Path], list[tuple[int | None, str, str]]]

HEAD = "version: 1\nname: demo\ngoal: Do the thing.\nworkspace: {folder: data}\nsteps:\n"
"""Valid required keys and `steps:` on lines 1-5; steps follow from line 6."""


def test_a_need_naming_no_step_suggests_a_close_id(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    text = HEAD + (
        "  - id: build\n"  # 6
        "    instructions: Build.\n"
        "  - id: test\n"  # 8
        "    instructions: Test.\n"
        "    needs:\n"
        "      - build\n"  # 11
        "      - buld\n"  # 12
        "      - deploy\n"  # 13
    )

    assert problems(write_task(text)) == [
        (12, "steps[1].needs[1]", "step 'buld' does not exist (did you mean 'build'?)"),
        (13, "steps[1].needs[2]", "step 'deploy' does not exist"),
    ]


def test_a_step_needing_itself(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    text = HEAD + "  - id: a\n    instructions: A.\n    needs: [a]\n"

    assert problems(write_task(text)) == [(8, "steps[0].needs[0]", "step 'a' cannot need itself")]


def test_a_duplicate_step_id_points_back_at_the_first(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    text = HEAD + (
        "  - id: a\n"  # 6
        "    instructions: A.\n"
        "  - {id: b, instructions: B.}\n"  # 8
        "  - id: a\n"  # 9
        "    instructions: A again.\n"
    )

    assert problems(write_task(text)) == [(9, "steps[2].id", "duplicate step id 'a' (first used at line 6)")]


def test_a_cycle_is_named_in_full_at_its_first_steps_need(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    text = HEAD + (
        "  - id: plan\n"  # 6
        "    instructions: Plan.\n"
        "  - id: write\n"  # 8
        "    instructions: Write.\n"
        "    needs: [plan, check]\n"  # 10
        "  - id: check\n"  # 11
        "    instructions: Check.\n"
        "    needs: [edit]\n"  # 13
        "  - id: edit\n"  # 14
        "    instructions: Edit.\n"
        "    needs: [write]\n"  # 16
    )

    assert problems(write_task(text)) == [(10, "steps[1].needs[1]", "dependency cycle: write → check → edit → write")]


def test_two_separate_cycles_are_two_problems(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    text = HEAD + (
        "  - {id: a, instructions: A, needs: [b]}\n"  # 6
        "  - {id: b, instructions: B, needs: [a]}\n"  # 7
        "  - {id: c, instructions: C, needs: [d]}\n"  # 8
        "  - {id: d, instructions: D, needs: [c]}\n"  # 9
    )

    assert problems(write_task(text)) == [
        (6, "steps[0].needs[0]", "dependency cycle: a → b → a"),
        (8, "steps[2].needs[0]", "dependency cycle: c → d → c"),
    ]


def test_a_malformed_need_is_reported_once(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    text = HEAD + "  - id: a\n    instructions: A.\n    needs: [Build]\n"
    rule = "use up to 63 lowercase letters, digits, '-' and '_', starting with a letter or digit"

    assert problems(write_task(text)) == [(8, "steps[0].needs[0]", f"'Build' is not a valid step id: {rule}")]


def test_several_problems_in_one_file_each_at_its_own_line(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    text = (
        "version: 1\n"
        "name: demo\n"
        "goal: Do the thing.\n"
        "workspace: {repo: ../p, folder: ../q}\n"  # 4
        "steps:\n"
        "  - id: build\n"  # 6
        "    instructions: Build.\n"
        "    needs: [test]\n"  # 8
        "  - id: test\n"
        "    instructions: Test.\n"
        "    needs: [build, lint]\n"  # 11
        "    tools: [read, exec]\n"  # 12
        "  - id: build\n"  # 13
        "guardrails:\n"
        "  sandbox: bwrap\n"  # 15
        "  limits: {turns: lots}\n"  # 16
        "workers: 40\n"  # 17
        "review: {retries: 1}\n"
        "review: {human: false}\n"  # 19
    )

    assert problems(write_task(text)) == [
        (4, "workspace", "give either 'repo' (a git repository) or 'folder' (a plain folder), not both"),
        (8, "steps[0].needs[0]", "dependency cycle: build → test → build"),
        (11, "steps[1].needs[1]", "step 'lint' does not exist"),
        (12, "steps[1].tools[1]", "must be one of 'read', 'write', 'edit', 'list', 'search', 'run'; got 'exec'"),
        (13, "steps[2].id", "duplicate step id 'build' (first used at line 6)"),
        (13, "steps[2].instructions", "required key 'instructions' is missing"),
        (
            15,
            "guardrails.sandbox",
            "must be one of 'bubblewrap', 'docker', 'local'; got 'bwrap' (did you mean 'bubblewrap'?)",
        ),
        (16, "guardrails.limits.turns", "expected an integer, got 'lots'"),
        (17, "workers", "must be at most 32, got 40"),
        (19, "review", "duplicate key 'review' (first at line 18); only the last one would count"),
    ]
