"""The supervisor: runs a task's steps in dependency order on workers, checks their work itself, sends it back."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import git
from pydantic_ai.messages import ModelMessagesTypeAdapter

import prompts
from agents.approval import Asker, NoOneToAsk
from agents.checks import CheckOutcome, run_checks
from agents.context import exemplar_files, workspace_files
from agents.models import ModelChoice
from agents.policy import Policy
from agents.tools import WorkerDeps
from agents.worker import Worker
from journal import (
    Event,
    FinalStatus,
    Journal,
    Notice,
    RunFinished,
    RunStarted,
    StepFinished,
    StepRetry,
    StepStarted,
    Usage,
    open_run,
)
from sandbox import FolderCopy, GitWorktree, SandboxSpec, SandboxUnavailable, Workspace, open_sandbox
from tasks import FolderWorkspace, Step, TaskSpec, topological_order

__all__ = ["RunResult", "StepResult", "Supervisor"]

MODEL_KEY_VARIABLES = frozenset({"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"})
"""Host variables that never enter a sandbox, even when a task names them."""


@dataclass
class StepResult:
    """How one step ended."""

    step: str
    status: FinalStatus
    attempts: int
    reason: str = ""
    usage: Usage = field(default_factory=Usage)
    summary: str = ""


@dataclass
class RunResult:
    """How a run ended, and where its journal is."""

    run_id: str
    run_dir: Path
    status: FinalStatus
    reason: str = ""
    failed_step: str | None = None
    usage: Usage = field(default_factory=Usage)

    @property
    def output(self) -> str:
        """Where the work is: the worked copy of a folder, or the run's branch of a repository."""
        if (self.run_dir / "workspace").is_dir():
            return str(self.run_dir / "workspace")
        return f"branch interns/{self.run_id}"


class Supervisor:
    """Runs one task file: a workspace, a sandbox and a worker per step, checks after each, a journal throughout."""

    def __init__(
        self,
        spec: TaskSpec,
        model: ModelChoice,
        *,
        runs_root: Path,
        task_text: str,
        asker: Asker | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.spec = spec
        self.model = model
        self.runs_root = runs_root
        self.task_text = task_text
        self.asker = asker or NoOneToAsk()
        self.on_event = on_event
        self.journal: Journal | None = None

    def record(self, event: Event) -> Event:
        """Journal an event and show it to whoever watches the run."""
        assert self.journal is not None
        recorded = self.journal.record(event)
        if self.on_event is not None:
            self.on_event(recorded)
        return recorded

    async def run(self) -> RunResult:
        """Run the task to the end: succeeded, failed, limit_exceeded, or cancelled (re-raised after journaling)."""
        spec = self.spec
        steps = topological_order(spec.effective_steps())
        self.journal = journal = open_run(
            self.runs_root,
            task=spec.name,
            goal=spec.goal,
            task_text=self.task_text,
            model=self.model.name,
            workspace=str(_source_of(spec)),
            git_commit=_base_commit(spec),
        )
        self.record(
            RunStarted(
                task=spec.name,
                goal=spec.goal,
                model=self.model.name,
                workspace=str(_source_of(spec)),
                steps=[s.id for s in steps],
            )
        )
        if self.model.scripted:
            self.record(Notice(message="the model is scripted: its turns come from a file, not from a real model"))
        if spec.workers > 1:
            self.record(
                Notice(level="warning", message="steps run one at a time in this version; `workers` is ignored")
            )
        status: FinalStatus = "failed"
        reason, failed_step, usage = "", None, Usage()
        workspace: Workspace | None = None
        try:
            workspace = self._make_workspace(journal.run_id, journal.dir)
            done: list[StepResult] = []
            for step in steps:
                result = await self._run_step(step, workspace, done)
                usage = usage + result.usage
                if result.status != "succeeded":
                    status, reason, failed_step = result.status, result.reason, step.id
                    break
                done.append(result)
            else:
                status, reason = await self._final_checks(workspace)
        except asyncio.CancelledError:
            status, reason = "cancelled", "cancelled by the user"
            raise
        except SandboxUnavailable as exc:
            status, reason = "failed", f"sandbox unavailable: {exc}"
        finally:
            if workspace is not None:
                self._close_workspace(workspace, status)
            self.record(RunFinished(status=status, reason=reason, failed_step=failed_step, usage=usage))
            journal.finish(status, reason=reason, failed_step=failed_step)
        return RunResult(journal.run_id, journal.dir, status, reason, failed_step, usage)

    def _make_workspace(self, run_id: str, run_dir: Path) -> Workspace:
        ws = self.spec.workspace
        if isinstance(ws, FolderWorkspace):
            return FolderCopy.create(ws.folder, run_dir / "workspace")
        return GitWorktree.create(ws.repo, run_dir / "worktree", branch=f"interns/{run_id}", base=ws.base)

    def _close_workspace(self, workspace: Workspace, status: FinalStatus) -> None:
        assert self.journal is not None
        try:
            self.journal.write_diff(workspace.diff())
            if isinstance(workspace, GitWorktree):
                workspace.commit(f"interns: {self.spec.name} ({status})\n\nInterns-Run: {self.journal.run_id}")
                workspace.remove()
        except Exception as exc:  # the run's outcome is already decided; a broken diff must not hide it
            self.record(Notice(level="error", message=f"could not save the workspace's diff: {exc}"))

    def _sandbox_spec(self, workspace: Workspace) -> SandboxSpec:
        guardrails = self.spec.guardrails
        env = {
            name: os.environ[name] for name in guardrails.env if name in os.environ and name not in MODEL_KEY_VARIABLES
        }
        return SandboxSpec(
            backend=guardrails.sandbox,
            workspace=workspace.path,
            network=guardrails.network,
            env=env,
            timeout=guardrails.limits.command_seconds,
        )

    async def _run_step(self, step: Step, workspace: Workspace, done: list[StepResult]) -> StepResult:
        assert self.journal is not None
        spec, limits = self.spec, self.spec.guardrails.limits
        worker = Worker(step.id, list(step.tools), self.model, limits)
        policy = Policy(spec.guardrails, step.tools, workspace.path)
        max_attempts = spec.review.retries + 1
        prompt = self._step_prompt(step, workspace, done)
        usage = Usage()
        sandbox = await open_sandbox(self._sandbox_spec(workspace))
        try:
            for attempt in range(1, max_attempts + 1):
                self.record(StepStarted(step=step.id, attempt=attempt, instructions=step.instructions, prompt=prompt))
                deps = WorkerDeps(step.id, attempt, sandbox, policy, self.asker, self.record, limits.command_seconds)
                try:
                    outcome = await worker.attempt(prompt, deps)
                finally:
                    self.journal.save_messages(step.id, ModelMessagesTypeAdapter.dump_json(worker.messages))
                usage = usage + outcome.usage
                if outcome.status != "done":
                    return self._finish_step(step, outcome.status, attempt, outcome.reason, usage)
                checks = await run_checks(sandbox, step.done_when, step=step.id, record=self.record)
                failed = [c for c in checks if not c.passed]
                if not failed:
                    return self._finish_step(step, "succeeded", attempt, "", usage, outcome.summary)
                if attempt == max_attempts:
                    why = f"checks still failing after {attempt} attempts: " + ", ".join(c.command for c in failed)
                    return self._finish_step(step, "failed", attempt, why, usage, outcome.summary)
                prompt = prompts.render(
                    "worker_retry", step=step, attempt=attempt + 1, max_attempts=max_attempts, failed=failed, notes=""
                )
                self.record(StepRetry(step=step.id, attempt=attempt + 1, feedback=prompt))
        except asyncio.CancelledError:
            self._finish_step(step, "cancelled", 0, "cancelled by the user", usage)
            raise
        finally:
            await sandbox.aclose()
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _finish_step(
        self, step: Step, status: FinalStatus, attempts: int, reason: str, usage: Usage, summary: str = ""
    ) -> StepResult:
        self.record(
            StepFinished(step=step.id, status=status, attempts=attempts, reason=reason, summary=summary, usage=usage)
        )
        return StepResult(step.id, status, attempts, reason, usage, summary)

    def _step_prompt(self, step: Step, workspace: Workspace, done: list[StepResult]) -> str:
        context = self.spec.context
        files, unmatched = workspace_files(workspace.path, context.files)
        for pattern in unmatched:
            self.record(
                Notice(step=step.id, level="warning", message=f"context.files pattern {pattern!r} matched no file")
            )
        return prompts.render(
            "worker_step",
            task=self.spec,
            step=step,
            context=context,
            done_before=done,
            checks=step.done_when,
            write=[] if self.spec.guardrails.write == ["**"] else self.spec.guardrails.write,
            files=files,
            exemplars=exemplar_files(context.exemplars),
        )

    async def _final_checks(self, workspace: Workspace) -> tuple[FinalStatus, str]:
        if not self.spec.steps or not self.spec.done_when:
            return "succeeded", ""
        sandbox = await open_sandbox(self._sandbox_spec(workspace))
        try:
            checks: list[CheckOutcome] = await run_checks(sandbox, self.spec.done_when, step=None, record=self.record)
        finally:
            await sandbox.aclose()
        failed = [c.command for c in checks if not c.passed]
        return ("failed", "the task's checks failed: " + ", ".join(failed)) if failed else ("succeeded", "")


def _source_of(spec: TaskSpec) -> Path:
    ws = spec.workspace
    return ws.folder if isinstance(ws, FolderWorkspace) else ws.repo


def _base_commit(spec: TaskSpec) -> str | None:
    ws = spec.workspace
    if isinstance(ws, FolderWorkspace):
        return None

    try:
        return str(git.Repo(ws.repo).commit(ws.base).hexsha)
    except (git.GitError, ValueError):
        return None
