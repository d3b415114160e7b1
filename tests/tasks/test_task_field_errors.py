"""Fields that fail validation: each pydantic error becomes one readable problem at its own line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ProblemsOf = Callable[[Path], list[tuple[int | None, str, str]]]

HEAD = "version: 1\nname: demo\ngoal: Do the thing.\nworkspace: {folder: data}\n"
"""The four required keys, valid, on lines 1-4; tests add lines from line 5 on."""


def test_an_unknown_key_suggests_the_close_one(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    path = write_task(HEAD + "guardrail:\n  network: true\n")

    assert problems(path) == [(5, "guardrail", "unknown key 'guardrail' (did you mean 'guardrails'?)")]


def test_an_unknown_nested_key_suggests_among_that_models_keys(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    path = write_task(HEAD + "guardrails:\n  limits:\n    turns: 3\n    minuets: 4\n    colour: red\n")

    assert problems(path) == [
        (8, "guardrails.limits.minuets", "unknown key 'minuets' (did you mean 'minutes'?)"),
        (9, "guardrails.limits.colour", "unknown key 'colour'"),
    ]


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("workers: many", "workers", "expected an integer, got 'many'"),
        ("workers: 2.5", "workers", "expected an integer, got 2.5"),
        ("workers: yes", "workers", "expected an integer, got true"),
        ("workers: '3'", "workers", "expected an integer, got '3'"),
        ("review: {retries: no}", "review.retries", "expected an integer, got false"),
        ("guardrails: {limits: {minutes: soon}}", "guardrails.limits.minutes", "expected a number, got 'soon'"),
        ("guardrails: {network: maybe}", "guardrails.network", "expected true or false, got 'maybe'"),
        ("context: {notes: [a, b]}", "context.notes", "expected a string, got a list"),
        ("context: {files: 'src/*.py'}", "context.files", "expected a list, got 'src/*.py'"),
        ("context: [a]", "context", "expected a mapping, got a list"),
        ("model: 42", "model", "expected a string, got 42"),
        ("done_when:", "done_when", "expected a list, got an empty value"),
    ],
)
def test_a_wrong_type_says_what_was_expected_and_what_it_got(
    line: str, field: str, message: str, write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    assert problems(write_task(HEAD + line + "\n")) == [(5, field, message)]


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("workers: 0", "workers", "must be at least 1, got 0"),
        ("workers: 33", "workers", "must be at most 32, got 33"),
        ("guardrails: {limits: {cost_usd: 0}}", "guardrails.limits.cost_usd", "must be more than 0, got 0"),
        ("review: {retries: -1}", "review.retries", "must be at least 0, got -1"),
    ],
)
def test_a_number_out_of_bounds_names_the_bound(
    line: str, field: str, message: str, write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    assert problems(write_task(HEAD + line + "\n")) == [(5, field, message)]


def test_missing_required_keys_are_named_at_their_parents_line(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    text = "# a comment first\nversion: 1\nname: demo\nworkspace: {folder: data}\nsteps:\n  - id: a\n    needs: []\n"

    assert problems(write_task(text)) == [
        (2, "goal", "required key 'goal' is missing"),
        (6, "steps[0].instructions", "required key 'instructions' is missing"),
    ]


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        (
            "guardrails: {sandbox: bwrap}",
            "guardrails.sandbox",
            "must be one of 'bubblewrap', 'docker', 'local'; got 'bwrap' (did you mean 'bubblewrap'?)",
        ),
        (
            "guardrails: {sandbox: podman}",
            "guardrails.sandbox",
            "must be one of 'bubblewrap', 'docker', 'local'; got 'podman'",
        ),
        (
            "steps: [{id: a, instructions: x, tools: [read, exec]}]",
            "steps[0].tools[1]",
            "must be one of 'read', 'write', 'edit', 'list', 'search', 'run'; got 'exec'",
        ),
    ],
)
def test_a_bad_literal_lists_the_allowed_values(
    line: str, field: str, message: str, write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    assert problems(write_task(HEAD + line + "\n")) == [(5, field, message)]


@pytest.mark.parametrize("version", ["2", "'1'"])
def test_an_unsupported_version(version: str, write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    path = write_task(HEAD.replace("version: 1", f"version: {version}"))
    shown = version.replace("'", "") if version.isdigit() else version

    assert problems(path) == [
        (1, "version", f"unsupported format version {shown}; this interns reads version 1 (write `version: 1`)")
    ]


def test_a_bad_step_id_and_task_name_say_what_an_id_may_hold(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    rule = "use up to 63 lowercase letters, digits, '-' and '_', starting with a letter or digit"
    text = HEAD.replace("name: demo", "name: My Task") + "steps:\n  - id: Build\n    instructions: x\n"

    assert problems(write_task(text)) == [
        (2, "name", f"'My Task' is not a valid task name: {rule}"),
        (6, "steps[0].id", f"'Build' is not a valid step id: {rule}"),
    ]


def test_a_key_that_is_not_a_string(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    assert problems(write_task(HEAD + "guardrails:\n  1: one\n")) == [(6, "guardrails", "keys must be strings, got 1")]


@pytest.mark.parametrize(
    ("workspace", "messages"),
    [
        (
            "workspace: {repo: ../p, folder: ../q}",
            [(4, "workspace", "give either 'repo' (a git repository) or 'folder' (a plain folder), not both")],
        ),
        (
            "workspace: {base: main}",
            [(4, "workspace", "needs 'repo' (a git repository) or 'folder' (a plain folder)")],
        ),
        (
            "workspace:\n  repository: ../p",
            [
                (4, "workspace", "needs 'repo' (a git repository) or 'folder' (a plain folder)"),
                (5, "workspace.repository", "unknown key 'repository' (did you mean 'repo'?)"),
            ],
        ),
        (
            "workspace: ../p",
            [
                (
                    4,
                    "workspace",
                    "expected a mapping with 'repo' (a git repository) or 'folder' (a plain folder), got '../p'",
                )
            ],
        ),
        (
            "workspace:\n  folder: ../q\n  base: main",
            [(6, "workspace.base", "unknown key 'base': a base commit only goes with 'repo', a folder has none")],
        ),
        (
            "workspace:\n  repo: ../p\n  bases: main",
            [(6, "workspace.bases", "unknown key 'bases' (did you mean 'base'?)")],
        ),
        ("workspace: {repo: 7}", [(4, "workspace.repo", "expected a path (a string), got 7")]),
    ],
)
def test_the_workspace_needs_exactly_one_of_repo_or_folder(
    workspace: str,
    messages: list[tuple[int, str, str]],
    write_task: Callable[..., Path],
    problems: ProblemsOf,
) -> None:
    text = HEAD.replace("workspace: {folder: data}", workspace)

    assert problems(write_task(text)) == messages


def test_a_missing_workspace_is_one_problem(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    text = HEAD.replace("workspace: {folder: data}\n", "")

    assert problems(write_task(text)) == [(1, "workspace", "required key 'workspace' is missing")]
