"""A live status line for a run: which steps run, wait, passed, failed or are being retried, and what it cost so far."""

from __future__ import annotations

from rich.text import Text

from interns.agents.cli.timeline import shown_event, usage_text
from interns.journal import Event, ModelResponse, PlanMade, StepFinished, StepStarted, UnknownEvent, Usage

__all__ = ["RunProgress"]

_ORDER = (
    "running",
    "retrying",
    "waiting",
    "awaiting_approval",
    "succeeded",
    "failed",
    "limit_exceeded",
    "skipped",
    "cancelled",
)
_STYLE = {"running": "cyan", "retrying": "yellow", "succeeded": "green", "failed": "red", "limit_exceeded": "yellow"}


class RunProgress:
    """Follows a run's events and renders where each step stands, with the tokens and cost spent so far."""

    def __init__(self) -> None:
        self.steps: dict[str, str] = {}
        self.usage = Usage()

    def update(self, event: Event | UnknownEvent) -> None:
        """Take one event into account."""
        event = shown_event(event)  # step ids in a plan the supervisor wrote are a model's text
        match event:
            case PlanMade():
                for step in event.steps:
                    self.steps.setdefault(str(step["id"]), "waiting")
            case StepStarted():
                self.steps[event.step or "?"] = "running" if event.attempt == 1 else "retrying"
            case StepFinished():
                self.steps[event.step or "?"] = event.status
            case ModelResponse():
                self.usage = self.usage + event.usage

    def render(self) -> Text:
        """One line: the steps grouped by state, then the usage."""
        line = Text()
        for state in _ORDER:
            names = [name for name, now in self.steps.items() if now == state]
            if names:
                line.append(f"{state}: ", style=_STYLE.get(state, "dim"))
                line.append(", ".join(names) + "   ")
        line.append(usage_text(self.usage), style="dim")
        return line
