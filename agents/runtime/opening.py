"""A new run's journal, begun: what the run is and any warnings about it, journaled before the worker is loaded.

`interns run` writes these first events before it imports pydantic-ai and the sandboxes, so a run is on record (and
`interns show --follow` and the viewer see it) a fraction of a second after it is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from interns.agents.policy.withheld import withheld_names
from interns.agents.runtime.redaction import run_redactor
from interns.agents.runtime.starts import RunStart
from interns.agents.tracing.spans import redact_traces_with
from interns.agents.worker.models import ModelChoice
from interns.journal import Event, Journal, Notice, RunFinished, RunStarted, open_run
from interns.journal.events import FinalStatus
from interns.tasks import FolderWorkspace, TaskSpec

__all__ = ["TaskSource", "abandon", "begin_run"]


@dataclass(frozen=True)
class TaskSource:
    """The task file a run was started from: its text as journaled, and its path when it came from a file."""

    text: str
    path: Path | None = None


def begin_run(
    spec: TaskSpec,
    model: ModelChoice,
    source: TaskSource,
    runs_root: Path,
    start: RunStart,
    on_event: Callable[[Event], None] | None = None,
) -> Journal:
    """A new run's journal under `runs_root`, begun with `run_started` and the notices about the run, each shown to
    `on_event` as it is journaled."""
    redactor = run_redactor(spec)
    redact_traces_with(redactor)  # traces leave redacted like the journal, passed values included
    journal = open_run(
        runs_root,
        task=spec.name,
        goal=spec.goal,
        task_text=source.text,
        model=model.name,
        workspace=str(source_of(spec)),
        git_commit=_base_commit(spec),
        manual_minutes=spec.manual_minutes,
        redactor=redactor,
        params=start.params,
        batch=start.batch,
    )
    started = RunStarted(
        task=spec.name,
        goal=spec.goal,
        model=model.name,
        workspace=str(source_of(spec)),
        steps=[s.id for s in spec.steps],
        task_file=str(source.path or ""),
        base_branch=_base_branch(spec),
        sandbox=spec.guardrails.sandbox,
        retry_of=start.retry_of,
        replay_of=start.replay_of,
        supervisor_model=model.supervisor.name if model.supervisor else None,
        model_settings=spec.model_settings.sent(),
        **_outputs_of(spec),
    )
    events: list[Event] = [started, *_notices(spec, model)]
    for event in events:
        _record(journal, event, on_event)
    return journal


def abandon(
    journal: Journal, status: FinalStatus, reason: str, on_event: Callable[[Event], None] | None = None
) -> None:
    """End a begun run that never got to its work (cancelled, or its runtime failed to load), so its journal says so."""
    _record(journal, RunFinished(status=status, reason=reason, usage=journal.usage), on_event)
    journal.finish(status, reason=reason)


def _record(journal: Journal, event: Event, on_event: Callable[[Event], None] | None) -> None:
    recorded = journal.record(event)
    if on_event is not None:
        on_event(recorded)


def source_of(spec: TaskSpec) -> Path:
    """The folder or repository the run works on."""
    ws = spec.workspace
    return ws.folder if isinstance(ws, FolderWorkspace) else ws.repo


def _notices(spec: TaskSpec, model: ModelChoice) -> list[Notice]:
    """What a person reading the run should know from its start: a scripted model, a full copy, a withheld key."""
    notices = []
    if model.scripted:
        notices.append(Notice(message="the model is scripted: its turns come from a file, not from a real model"))
    ws = spec.workspace
    if isinstance(ws, FolderWorkspace) and ws.outputs is not None:
        from interns.agents.runtime.workspaces import views_inputs

        if not views_inputs(spec):
            message = f"the {spec.guardrails.sandbox} sandbox cannot show the folder read-only: workers get a full copy"
            notices.append(Notice(message=message))
    for name in withheld_names(spec.guardrails.env):
        message = f"guardrails.env names {name}, a model key, which never enters a sandbox: it was left out"
        notices.append(Notice(level="warning", message=message))
    return notices


def _outputs_of(spec: TaskSpec) -> dict[str, object]:
    """Where a folder run's outputs go on accept, when the task sends them somewhere of their own."""
    ws = spec.workspace
    if not isinstance(ws, FolderWorkspace) or ws.outputs is None:
        return {}
    return {"outputs_to": str(ws.outputs.to), "outputs_files": list(ws.outputs.files)}


def _base_branch(spec: TaskSpec) -> str | None:
    """The branch a repository run's work lands on: `base` when it names a branch, HEAD's branch for `HEAD`."""
    ws = spec.workspace
    if isinstance(ws, FolderWorkspace):
        return None
    import git

    from interns.sandbox.git.host_git import HostGit

    try:
        repo = HostGit.of_repository(ws.repo)
        if ws.base == "HEAD":
            return repo.out("symbolic-ref", "--short", "-q", "HEAD")
        repo.run("show-ref", "--verify", "--quiet", f"refs/heads/{ws.base}")
    except git.GitCommandError:
        return None
    return ws.base


def _base_commit(spec: TaskSpec) -> str | None:
    """The commit a repository run starts from."""
    ws = spec.workspace
    if isinstance(ws, FolderWorkspace):
        return None
    import git

    from interns.sandbox.git.host_git import HostGit

    try:
        return HostGit.of_repository(ws.repo).out("rev-parse", "--verify", f"{ws.base}^{{commit}}")
    except git.GitError:
        return None
