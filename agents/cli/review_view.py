"""What `interns review` shows before a person decides: the outcome, each step, the checks, and the diff."""

from __future__ import annotations

from rich.console import Console
from rich.syntax import Syntax

from interns.agents.cli.timeline import STATUS_STYLE, usage_text
from interns.agents.gate.review import decision_of
from interns.agents.gate.visible import visible, visible_markup
from interns.journal import CheckResult, MergeResult, ReviewVerdict, RunHeader, RunStore, StepFinished

__all__ = ["show_review"]


def show_review(console: Console, store: RunStore, header: RunHeader, *, with_diff: bool = True) -> None:
    """Print the run's summary, its steps' outcomes, the checks, the supervisor's reviews and the final diff.

    What the run recorded is shown with its control characters made visible, and never read as markup.
    """
    style = STATUS_STYLE.get(header.status, "")
    console.print(f"run {header.run_id}: [{style}]{header.status}[/] {visible_markup(header.reason)}".rstrip())
    console.print(visible(f"  task {header.task} on {header.workspace}"), markup=False)
    scripted = " (scripted)" if header.scripted else ""
    console.print(visible(f"  {usage_text(header.usage)}; model {header.model}{scripted}"), markup=False)
    checks: list[CheckResult] = []
    for event in store.events(header.run_id):
        match event:
            case StepFinished():
                mark = "✓" if event.status == "succeeded" else "✗"
                tail = f": {event.reason}" if event.reason else ""
                shown = f"  {mark} step {event.step} {event.status} after {event.attempts} attempt(s){tail}"
                console.print(visible(shown), markup=False)
            case ReviewVerdict():
                shown = f"    review of {event.step}: {event.decision} {event.notes}".rstrip()
                console.print(visible(shown), markup=False)
            case MergeResult():
                outcome = "merged" if event.ok else f"conflicted in {', '.join(event.conflicts)}"
                console.print(visible(f"  {event.branch} {outcome}"), markup=False)
            case CheckResult():
                checks.append(event)
    latest: dict[tuple[str | None, str], CheckResult] = {(c.step, c.command): c for c in checks}
    for check in latest.values():
        mark = "[green]passed[/]" if check.passed else "[red]FAILED[/]"
        where = visible_markup(f"[{check.step or 'task'}] {check.command}")
        console.print(f"  check {mark} {where}", highlight=False)
    if (decision := decision_of(store.dir(header.run_id))) is not None:
        shown = f"  decided: {decision.decision} at {decision.at} {decision.note}".rstrip()
        console.print(visible(shown), markup=False)
    if not with_diff:
        return
    diff = store.dir(header.run_id) / "final.diff"
    text = diff.read_text(encoding="utf-8") if diff.exists() else ""
    console.print("\nfinal diff:" if text.strip() else "\nno changes", style="bold")
    if text.strip():
        shown = visible(text)
        console.print(Syntax(shown, "diff", theme="ansi_dark", background_color="default", word_wrap=True))
