"""Runs journaled the way the supervisor journals them, for the viewer's tests: a plan, turns, denials, checks."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

from interns.journal import (
    CheckResult,
    CommandRun,
    Journal,
    ModelResponse,
    PlanMade,
    PolicyDecision,
    ReviewVerdict,
    RunFinished,
    RunStarted,
    StepFinished,
    StepRetry,
    StepStarted,
    ToolCall,
    Usage,
)

StartRun = Callable[..., Journal]

HOSTILE_TEXT = '<img src=x onerror="document.title=\'owned\'"><script>document.title="owned"</script> & done'
"""Model text a page must show as text, never run."""
LONG_OUTPUT = "\n".join(f"collected line {n}" for n in range(1, 61))
FINAL_DIFF = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n import sys\n-VALUE = 1\n+VALUE = 2\n"
)


def turn(step: str, attempt: int, text: str, calls: list[dict[str, object]], tokens: int = 100) -> ModelResponse:
    """A model turn that cost `tokens` input tokens, 10 output tokens and a tenth of a cent."""
    usage = Usage(requests=1, input_tokens=tokens, output_tokens=10, cost_usd=0.001)
    return ModelResponse(step=step, attempt=attempt, text=text, tool_calls=calls, usage=usage)


def record_demo_run(journal: Journal, *, finish: bool = True) -> Journal:
    """Journal a two-step run: `explore` runs a long command; `fix` is refused an edit, fails a check, then passes."""
    record = journal.record
    record(RunStarted(task="demo", goal="Set VALUE to 2.", model="test:model", workspace="/somewhere",
                      steps=["explore", "fix"], sandbox="local"))  # fmt: skip
    plan = [
        {"id": "explore", "instructions": "Look around.", "needs": [], "done_when": []},
        {"id": "fix", "instructions": "Set VALUE to 2.", "needs": ["explore"], "done_when": ["grep -q 2 app.py"]},
    ]
    record(PlanMade(source="task", steps=plan))
    record(StepStarted(step="explore", attempt=1, instructions="Look around.", prompt="Look around, please."))
    record(turn("explore", 1, HOSTILE_TEXT, [{"tool": "run", "args": {"command": "ls -R"}}]))
    record(PolicyDecision(step="explore", tool="run", target="ls -R", verdict="allow", rule="allow[0]", reason="ok"))
    record(CommandRun(step="explore", argv=["bash", "-c", "ls -R"], exit_code=0, duration=0.1, stdout=LONG_OUTPUT))
    record(ToolCall(step="explore", tool="run", args={"command": "ls -R"}, ok=True, result=LONG_OUTPUT))
    record(StepFinished(step="explore", status="succeeded", attempts=1, summary="Found app.py."))
    record(StepStarted(step="fix", attempt=1, instructions="Set VALUE to 2."))
    record(turn("fix", 1, "Editing the test is quickest.", [{"tool": "edit", "args": {"path": "test_app.py"}}]))
    record(PolicyDecision(step="fix", tool="edit", target="test_app.py", verdict="deny", rule="guardrails.write",
                          reason="'test_app.py' matches none of the paths workers may write"))  # fmt: skip
    record(ToolCall(step="fix", tool="edit", args={"path": "test_app.py"}, ok=False, result="Refused by policy"))
    record(turn("fix", 1, "Then app.py.", [{"tool": "edit", "args": {"path": "app.py"}}]))
    edit = {"path": "app.py", "old": "VALUE = 1\n", "new": "VALUE = 2\n"}
    record(ToolCall(step="fix", tool="edit", args=edit, ok=True, result="Edited app.py."))
    record(CommandRun(step="fix", argv=["bash", "-c", "grep -q 2 app.py"], exit_code=1, duration=0.01, by="check"))
    record(CheckResult(step="fix", command="grep -q 2 app.py", passed=False, exit_code=1))
    record(StepRetry(step="fix", attempt=2, feedback="The check failed."))
    record(StepStarted(step="fix", attempt=2, instructions="Set VALUE to 2."))
    record(turn("fix", 2, "Installing a helper.", [{"tool": "run", "args": {"command": "pip install six"}}]))
    record(PolicyDecision(step="fix", tool="run", target="pip install six", verdict="allow", rule="ask[0]",
                          reason="approved by a person at the terminal", asked=True))  # fmt: skip
    record(CommandRun(step="fix", argv=["bash", "-c", "grep -q 2 app.py"], exit_code=0, duration=0.01, by="check"))
    record(CheckResult(step="fix", command="grep -q 2 app.py", passed=True, exit_code=0))
    record(ReviewVerdict(step="fix", attempt=2, decision="accept", notes="Good."))
    record(StepFinished(step="fix", status="succeeded", attempts=2, summary="VALUE is 2."))
    if finish:
        record(RunFinished(status="succeeded", usage=journal.usage))
        journal.write_diff(FINAL_DIFF)
        journal.finish("succeeded")
    return journal


def demo_run(start_run: StartRun, **overrides: object) -> Journal:
    """A finished demo run (see `record_demo_run`)."""
    return record_demo_run(start_run(**overrides))


def failed_run(start_run: StartRun, task: str = "other", reason: str = "checks still failing") -> Journal:
    """A short run that failed at its only step."""
    journal = start_run(task=task, goal="Something else entirely.")
    journal.record(RunStarted(task=task, goal="Something else.", model="test:model", workspace="/w", steps=["only"]))
    journal.record(StepStarted(step="only", attempt=1, instructions="Try."))
    journal.record(StepFinished(step="only", status="failed", attempts=1, reason=reason))
    journal.record(RunFinished(status="failed", reason=reason, failed_step="only"))
    journal.finish("failed", reason, failed_step="only")
    return journal


def events_path(journal: Journal) -> Path:
    """The run's `events.jsonl`."""
    return journal.dir / "events.jsonl"


PYTEST_OUTPUT = "\n".join(
    [f"collected noise line {n}" for n in range(1, 41)]
    + ["    def test_value():", ">       assert VALUE == 2", "E       assert 1 == 2", "FAILED test_app.py::test_value"]
)
"""A test runner's output whose telling lines come after much noise."""
MISSING_FACTS = ["the fact 'Paris is the capital' is missing", "the number 42 is missing"]


def failed_check_run(start_run: StartRun) -> Journal:
    """A run that failed at step `fix`: a built-in check found facts missing, then the test command failed."""
    journal = start_run(task="checks", goal="Make the tests pass.")
    record = journal.record
    record(RunStarted(task="checks", goal="Make the tests pass.", model="test:model", workspace="/w", steps=["fix"]))
    record(StepStarted(step="fix", attempt=1, instructions="Fix it."))
    record(CheckResult(step="fix", command="preserves: notes.md", passed=False, exit_code=1, kind="preserves",
                       output="2 fact(s) missing", findings=MISSING_FACTS))  # fmt: skip
    record(CommandRun(step="fix", argv=["bash", "-c", "pytest -q"], exit_code=1, duration=0.5, by="check",
                      stdout=PYTEST_OUTPUT))  # fmt: skip
    record(CheckResult(step="fix", command="pytest -q", passed=False, exit_code=1, output=PYTEST_OUTPUT))
    reason = "the checks still fail: pytest -q"
    record(StepFinished(step="fix", status="failed", attempts=1, reason=reason))
    record(RunFinished(status="failed", reason=reason, failed_step="fix"))
    journal.finish("failed", reason, failed_step="fix")
    return journal


def refusing_run(start_run: StartRun, refusals: int = 30) -> Journal:
    """A run whose worker is refused the same edit `refusals` times between its turns, then gives up."""
    journal = start_run(task="stubborn", goal="Edit the tests.")
    record = journal.record
    record(RunStarted(task="stubborn", goal="Edit the tests.", model="test:model", workspace="/w", steps=["fix"]))
    record(StepStarted(step="fix", attempt=1, instructions="Fix it."))
    for n in range(refusals):
        record(turn("fix", 1, f"Trying again, time {n}.", [{"tool": "edit", "args": {"path": "test_app.py"}}]))
        record(PolicyDecision(step="fix", tool="edit", target="test_app.py", verdict="deny", rule="guardrails.write",
                              reason="not a path workers may write"))  # fmt: skip
    record(StepFinished(step="fix", status="failed", attempts=1, reason="gave up"))
    record(RunFinished(status="failed", reason="gave up", failed_step="fix"))
    journal.finish("failed", "gave up", failed_step="fix")
    return journal


OLD_LINES = [HOSTILE_TEXT if n == 5 else f"line {n}" for n in range(1, 61)]
NEW_LINES = [*OLD_LINES[:10], "inserted", *OLD_LINES[10:29], "line thirty", *OLD_LINES[30:]]
"""A folder run's `app.py` before and after: a line inserted after line 10 and line 30 changed (new line 31); line 5,
out of both hunks, is markup a page must show as text."""


def folder_run(start_run: StartRun) -> Journal:
    """A finished demo run of a folder workspace: its worked copy holds `app.py` as NEW_LINES, its diff two hunks."""
    journal = record_demo_run(start_run())
    body = difflib.unified_diff([f"{x}\n" for x in OLD_LINES], [f"{x}\n" for x in NEW_LINES], "a/app.py", "b/app.py")
    run_dir = journal.write_diff("diff --git a/app.py b/app.py\n" + "".join(body)).parent
    (run_dir / "workspace").mkdir()
    (run_dir / "workspace" / "app.py").write_text("".join(f"{x}\n" for x in NEW_LINES))
    return journal
