"""Running `done_when` checks in the sandbox: the supervisor's own test of a worker's work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from interns.agents.checks.no_tests import ran_no_test
from interns.agents.checks.prose import CheckScope, run_builtin
from interns.agents.policy.globs import matches
from interns.agents.tracing.spans import traced_exec
from interns.journal import CheckResult, CommandRun, Event, Usage
from interns.sandbox import ExecResult, Sandbox
from interns.tasks import Check, check_kind, describe_check

__all__ = ["CheckOutcome", "command_run", "output_check", "run_checks"]

FEEDBACK_LIMIT = 6_000
"""Characters of a failing check's output sent back to the worker (the tail, where the error usually is)."""


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result, with the output a worker needs to fix a failure."""

    command: str
    passed: bool
    exit_code: int
    timed_out: bool
    output: str
    kind: str = "command"
    """`command`, or the built-in check's key (`no_markers`, `preserves`, ...)."""
    findings: tuple[str, ...] = ()
    """What a built-in check found wrong: each marker, missing fact or copied passage, for the worker to fix."""
    usage: Usage = field(default_factory=Usage)
    """What a rubric's judge spent."""


def output_check(
    output: str | None, written: Sequence[str], *, step: str | None, record: Callable[[Event], Any]
) -> CheckOutcome | None:
    """Whether a step wrote the `output` it declares (a path or glob among the paths it added or changed), journaled
    as a check of its own; None for a step that declares none. A step that did not write it does not succeed."""
    if output is None:
        return None
    passed = any(matches(path, [output]) is not None for path in written)
    described, findings = f"{output} written", [] if passed else [f"{output}: not written"]
    summary = f"{output} was written" if passed else f"the step declares the output {output} and did not write it"
    record(
        CheckResult(
            step=step,
            command=described,
            passed=passed,
            exit_code=0 if passed else 1,
            output=summary,
            kind="output",
            findings=findings,
        )
    )
    return CheckOutcome(described, passed, 0 if passed else 1, False, summary, "output", tuple(findings))


def command_run(
    argv: list[str], result: ExecResult, *, step: str | None, by: Literal["worker", "check", "setup"]
) -> CommandRun:
    """The journal's record of a command run in a sandbox."""
    return CommandRun(
        step=step,
        argv=argv,
        exit_code=result.exit_code,
        duration=result.duration,
        stdout=result.stdout,
        stderr=result.stderr,
        timed_out=result.timed_out,
        truncated=result.truncated,
        by=by,
    )


async def run_checks(
    sandbox: Sandbox,
    checks: Sequence[Check],
    *,
    step: str | None,
    record: Callable[[Event], Any],
    scope: CheckScope | None = None,
) -> list[CheckOutcome]:
    """Run every check, journaling each; all run even after one fails.

    A command runs with bash in the sandbox; a built-in check reads files through it, looking where `scope` says.
    """
    outcomes = []
    for command in checks:
        if not isinstance(command, str):
            found = await run_builtin(command, sandbox, scope or CheckScope(step=step), record)
            described, kind, exit_code = describe_check(command), check_kind(command), 0 if found.passed else 1
            outcome = CheckOutcome(
                described, found.passed, exit_code, False, found.output, kind, tuple(found.findings), found.usage
            )
            record(
                CheckResult(
                    step=step,
                    command=described,
                    passed=found.passed,
                    exit_code=exit_code,
                    output=found.output,
                    kind=kind,
                    findings=found.findings,
                    notes=found.notes,
                )
            )
            outcomes.append(outcome)
            continue
        argv = ["bash", "-c", command]
        result = await traced_exec(sandbox, argv, by="check")
        record(command_run(argv, result, step=step, by="check"))
        output = (result.stdout + ("\n" + result.stderr if result.stderr else "")).strip()
        passed = result.ok
        if passed and (summary := ran_no_test(output)):
            passed = False
            output += f"\n[interns: the command ran no test ('{summary}'), so it checks nothing: not a pass]"
        if len(output) > FEEDBACK_LIMIT:
            output = "[... earlier output left out ...]\n" + output[-FEEDBACK_LIMIT:]
        outcome = CheckOutcome(command, passed, result.exit_code, result.timed_out, output)
        record(
            CheckResult(step=step, command=command, passed=outcome.passed, exit_code=result.exit_code, output=output)
        )
        outcomes.append(outcome)
    return outcomes
