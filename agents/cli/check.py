"""`interns check` and `interns schema`: task files validated with their plans, and the task-file JSON schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interns.agents.cli.common import (
    EXIT_BAD_INPUT,
    Params,
    err,
    fail,
    given_params,
    out,
)
from interns.agents.gate.visible import visible

if TYPE_CHECKING:
    from interns import tasks

__all__ = ["check", "schema"]


def check(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="Task files to validate.", show_default=False)],
    param: Params = None,
) -> None:
    """Validate task files and print each one's plan of steps; exit code 2 names every problem found.

    With `-p`, parameters are checked as a run would take them; without, one that has no default is checked with a
    stand-in value and the workspace is not looked for."""
    from interns import tasks
    from interns.agents.policy.rule_examples import example_problems
    from interns.agents.runtime.preflight import PreflightError, check_workspace

    bad = False
    for path in files:
        given = given_params(param) if param else None
        try:
            spec = tasks.load(path, given)
        except tasks.TaskFileError as exc:
            bad = True
            for problem in exc.problems:
                err.print(str(problem), markup=False)
            continue
        unset = [name for name, p in spec.params.items() if p.default is None and name not in (given or {})]
        try:
            if not unset:  # a stand-in path names no real folder
                check_workspace(spec)
        except PreflightError as exc:
            bad = True
            err.print(visible(exc.located(path)), markup=False)
            continue
        if misjudged := example_problems(spec):
            bad = True
            for line in misjudged:
                err.print(f"{path}: {line}", markup=False)
            continue
        out.print(f"{path}: ok — task '{spec.name}'", style="green", markup=False)
        _print_params(spec, unset)
        if not spec.steps:
            out.print("  no steps: the supervisor plans them when the run starts (see them with --plan-only)")
        _print_plan(spec.steps)
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


def _print_params(spec: tasks.TaskSpec, unset: list[str]) -> None:
    """Each parameter with its type, default and description; those without a value say a run must give one."""
    for name, param in spec.params.items():
        default = f" = {param.default}" if param.default is not None else f" (no default: a run gives -p {name}=...)"
        about = f" — {param.description}" if param.description else ""
        out.print(visible(f"  param {name}: {param.type}{default}{about}"), markup=False)
    if unset:
        out.print(f"  the workspace was not looked for: pass -p for {', '.join(unset)} to check it too")


def _print_plan(steps: list[tasks.Step]) -> None:
    """Print steps by level: those on one level may run at the same time."""
    from interns import tasks

    for number, level in enumerate(tasks.plan_levels(steps), start=1):
        for step in level:
            needs = f" (after {', '.join(step.needs)})" if step.needs else ""
            checks = f"  done when: {'; '.join(map(tasks.describe_check, step.done_when))}" if step.done_when else ""
            out.print(f"  {number}. {step.id}{needs}{checks}", markup=False)


def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write the JSON schema of task files, for editor completion (`# yaml-language-server: $schema=FILE`)."""
    from interns import tasks

    text = json.dumps(tasks.json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"--output: cannot write {output}: {exc.strerror}") from None
        err.print(f"wrote {output}", markup=False)
