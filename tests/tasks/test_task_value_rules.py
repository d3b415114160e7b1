"""Values of the right type that could mean nothing (an empty goal, a glob outside the workspace), and numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from interns import tasks

ProblemsOf = Callable[[Path], list[tuple[int | None, str, str]]]

HEAD = "version: 1\nname: demo\ngoal: Do the thing.\nworkspace: {folder: data}\n"
"""The four required keys, valid, on lines 1-4; tests add lines from line 5 on."""


def not_a_glob(pattern: str) -> str:
    """What the loader says of a write or context glob that points outside the workspace."""
    rule = "globs are relative to the workspace root, so they cannot start with '/' or '~' or have a '..' part"
    return f"'{pattern}' is not a workspace glob: {rule}"


def not_an_env_name(name: str) -> str:
    """What the loader says of a bad `guardrails.env` name."""
    return f"'{name}' is not a valid environment variable name: use letters, digits and '_', not starting with a digit"


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ('model: ""', "model", "must not be empty; name a model or leave the key out"),
        ("steps: [{id: a, instructions: ''}]", "steps[0].instructions", "must not be empty"),
        ("steps: [{id: a, instructions: '   '}]", "steps[0].instructions", "must not be empty"),
        ("done_when: ['make', '']", "done_when[1]", "must not be empty"),
        ("steps: [{id: a, instructions: x, done_when: [' ']}]", "steps[0].done_when[0]", "must not be empty"),
        ("guardrails: {env: ['*']}", "guardrails.env[0]", not_an_env_name("*")),
        ("guardrails: {env: [HOME, 1X]}", "guardrails.env[1]", not_an_env_name("1X")),
        ("guardrails: {env: [MY-VAR]}", "guardrails.env[0]", not_an_env_name("MY-VAR")),
        ("review: {retries: 1000000}", "review.retries", "must be at most 10, got 1000000"),
        ("guardrails: {write: ['../outside/*']}", "guardrails.write[0]", not_a_glob("../outside/*")),
        ("guardrails: {write: [src/**, /etc/*]}", "guardrails.write[1]", not_a_glob("/etc/*")),
        ("guardrails: {write: ['~/notes/*']}", "guardrails.write[0]", not_a_glob("~/notes/*")),
        ("guardrails: {write: ['src/../../x']}", "guardrails.write[0]", not_a_glob("src/../../x")),
        ("guardrails: {write: ['']}", "guardrails.write[0]", "must not be empty"),
        ("context: {files: [/etc/passwd]}", "context.files[0]", not_a_glob("/etc/passwd")),
        ("guardrails: {limits: {minutes: .inf}}", "guardrails.limits.minutes", "must be a finite number, got .inf"),
        ("guardrails: {limits: {cost_usd: .nan}}", "guardrails.limits.cost_usd", "must be a finite number, got .nan"),
        (
            "guardrails: {limits: {tokens: 2e5}}",
            "guardrails.limits.tokens",
            "expected an integer, got 200000.0; write it as 200000",
        ),
    ],
)
def test_a_value_that_could_mean_nothing_is_refused(
    line: str, field: str, message: str, write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    assert problems(write_task(HEAD + line + "\n")) == [(5, field, message)]


@pytest.mark.parametrize("goal", ['""', "'  '"])
def test_an_empty_goal_is_refused_at_its_line(goal: str, write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    path = write_task(HEAD.replace("goal: Do the thing.", f"goal: {goal}"))

    assert problems(path) == [(3, "goal", "must not be empty")]


def test_globs_and_env_names_that_stay_inside_the_rules_load(write_task: Callable[..., Path]) -> None:
    text = (
        HEAD + "guardrails: {write: [./src/**, 'a..b/*', docs/], env: [HOME, _X1, lang]}\ncontext: {files: ['*.md']}\n"
    )

    spec = tasks.load(write_task(text))

    assert spec.guardrails.write == ["./src/**", "a..b/*", "docs/"]
    assert spec.guardrails.env == ["HOME", "_X1", "lang"]
    assert spec.context.files == ["*.md"]


def test_numbers_with_an_exponent_are_numbers_as_in_yaml_1_2(write_task: Callable[..., Path]) -> None:
    limits = "{minutes: 1e9, cost_usd: 2.5E-1, command_seconds: 1.5e+2, tokens: 1_000}"

    spec = tasks.load(write_task(HEAD + f"guardrails: {{limits: {limits}}}\n"))

    assert spec.guardrails.limits.minutes == 1e9
    assert spec.guardrails.limits.cost_usd == 0.25
    assert spec.guardrails.limits.command_seconds == 150.0
    assert spec.guardrails.limits.tokens == 1000


def test_exponent_numbers_do_not_change_how_pyyaml_reads_other_files() -> None:
    assert yaml.safe_load("minutes: 1e9") == {"minutes": "1e9"}, "only the task loader reads YAML 1.2 numbers"
