"""The live status line follows a run's events."""

from interns.agents.cli.progress import RunProgress
from interns.journal import ModelResponse, PlanMade, StepFinished, StepStarted, Usage


def test_the_status_line_groups_steps_by_state_and_adds_up_usage() -> None:
    progress = RunProgress()
    progress.update(PlanMade(source="task", steps=[{"id": "a"}, {"id": "b"}, {"id": "c", "needs": ["a", "b"]}]))
    assert progress.render().plain.startswith("waiting: a, b, c")
    progress.update(StepStarted(step="a", attempt=1, instructions=""))
    progress.update(StepStarted(step="b", attempt=1, instructions=""))
    progress.update(ModelResponse(step="a", attempt=1, usage=Usage(input_tokens=100, output_tokens=20, cost_usd=0.5)))
    progress.update(StepStarted(step="b", attempt=2, instructions=""))
    progress.update(ModelResponse(step="b", attempt=2, usage=Usage(input_tokens=10, output_tokens=5, cost_usd=0.25)))
    progress.update(StepFinished(step="a", status="succeeded", attempts=1))
    line = progress.render().plain
    assert "retrying: b" in line and "waiting: c" in line and "succeeded: a" in line
    assert "135 tokens" in line and "$0.7500" in line
