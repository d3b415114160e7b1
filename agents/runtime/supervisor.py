"""The supervisor: plans or follows a task's steps, runs them on workers, checks and integrates their work."""

from __future__ import annotations

import asyncio
import getpass
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic_ai.exceptions import AgentRunError

from interns import prompts
from interns.agents.checks.prose import CheckScope
from interns.agents.checks.runner import command_run
from interns.agents.gate.approval import Asker, NoOneToAsk
from interns.agents.runtime.opening import TaskSource, begin_run
from interns.agents.runtime.planner import make_plan, plan_event
from interns.agents.runtime.redaction import run_redactor
from interns.agents.runtime.resume import BASELINES_DIR, ResumePoint
from interns.agents.runtime.scheduler import run_dag
from interns.agents.runtime.starts import Fresh, RunStart
from interns.agents.runtime.step_runner import RunEnv, StepResult, StepRunner
from interns.agents.runtime.workspaces import FolderSpace, RepoSpace
from interns.agents.tracing.spans import end_span, redact_traces_with, run_span, traced_exec
from interns.agents.worker.models import ModelChoice
from interns.agents.worker.retries import recording_retries
from interns.errors import RunError
from interns.journal import (
    Event,
    FinalStatus,
    Journal,
    MergeResult,
    Notice,
    RunFinished,
    RunResumed,
    Usage,
    reopen_run,
)
from interns.sandbox import InputView, SandboxUnavailable, Workspace, open_sandbox
from interns.sandbox.git.repo import GitRunError
from interns.sandbox.git.resume import paused_message
from interns.sandbox.workspace.changes import list_changes, run_baseline
from interns.sandbox.workspace.git_trees import GitTreeError
from interns.sandbox.workspace.tree_scan import TreeTooLarge
from interns.tasks import Step, TaskSpec, topological_order

__all__ = ["RunResult", "Supervisor", "TaskSource"]

CONFLICT_CHECK = "! grep -nE '^(<<<<<<<|>>>>>>>)( |$)|^=======$' -- {files}"
"""A check that no conflict markers remain in the given files."""


@dataclass
class RunResult:
    """How a run ended, where its journal is, and where its work is."""

    run_id: str
    run_dir: Path
    status: FinalStatus
    reason: str = ""
    failed_step: str | None = None
    usage: Usage = field(default_factory=Usage)
    output: str = ""
    """Where the work is: the worked copy of a folder, or the run's branch of a repository."""


class _Failed(RunError):
    """Ends a run early with a status and a reason."""

    def __init__(self, status: FinalStatus, reason: str, step: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.step = status, reason, step


class Supervisor:
    """Runs one task file: setup, a plan, steps on sandboxed workers, integration and checks, all journaled."""

    def __init__(
        self,
        spec: TaskSpec,
        model: ModelChoice,
        source: TaskSource,
        *,
        runs_root: Path,
        start: RunStart | None = None,
        asker: Asker | None = None,
        on_event: Callable[[Event], None] | None = None,
        journal: Journal | None = None,
    ) -> None:
        """A run of `spec` on `model`, journaled under `runs_root`; `start` says whether it is new or goes on;
        `journal`, a new run's journal already begun (`opening.begin_run`)."""
        self.spec, self.source = spec, source
        self.model = replace(model, task_settings=spec.model_settings)
        self.runs_root = runs_root.absolute()
        self.start: RunStart = start or Fresh()
        self.asker = asker or NoOneToAsk()
        self.on_event = on_event
        self.journal: Journal | None = journal

    @property
    def usage(self) -> Usage:
        """What the run has spent so far: every model response journaled, the one source of every total shown."""
        return self.journal.usage if self.journal is not None else Usage()

    def record(self, event: Event) -> Event:
        """Journal an event and show it to whoever watches the run."""
        assert self.journal is not None
        recorded = self.journal.record(event)
        if self.on_event is not None:
            self.on_event(recorded)
        return recorded

    async def run(self) -> RunResult:
        """Run the task to its end; on cancellation the journal says `cancelled` and the cancellation goes on."""
        point = self.start.resumed
        journal = self._reopen(point) if point is not None else self.journal or self._open()
        spec = self.spec
        with run_span(
            journal.run_id,
            task=spec.name,
            model=self.model.name,
            sandbox=spec.guardrails.sandbox,
            resumed=point is not None,
        ) as span:
            try:
                with recording_retries(self.record):  # the plan's and the reviews'; a worker records its own
                    result = await self._run_journaled(journal)
            finally:
                await asyncio.shield(self.model.aclose())  # the providers' connections end with the run
            end_span(span, result.status, reason=result.reason)
        return result

    async def _run_journaled(self, journal: Journal) -> RunResult:
        """The run after its journal is open: the journal is always finished, whatever ends the run."""
        # Until the run says otherwise it has failed: an unexpected error must not leave "succeeded" behind.
        status: FinalStatus = "failed"
        reason, failed_step, output = "the run stopped on an unexpected error", None, ""
        space: FolderSpace | RepoSpace | None = None
        try:
            space = await asyncio.to_thread(self.start.open_space, self.spec, journal.run_id, journal.dir)
            reason = await self._run_in(space)
            status = "succeeded"
        except _Failed as exc:
            status, reason, failed_step = exc.status, exc.reason, exc.step
        except asyncio.CancelledError:
            status, reason = "cancelled", "cancelled by the user"
            raise
        except SandboxUnavailable as exc:
            reason = f"sandbox unavailable: {exc}"
        except GitRunError as exc:
            reason = f"git: {exc}"
        except AgentRunError as exc:  # the supervisor's own model (plan, review) failed: a reason, not a traceback
            reason = f"the supervisor's model failed: {exc}"
        except Exception as exc:
            reason = f"the run stopped on an unexpected error: {type(exc).__name__}: {exc}"
            raise
        finally:
            if space is not None:
                await self._close_space(space)
                output = space.output
            self.record(RunFinished(status=status, reason=reason, failed_step=failed_step, usage=self.usage))
            journal.finish(status, reason=reason, failed_step=failed_step)
        return RunResult(journal.run_id, journal.dir, status, reason, failed_step, self.usage, output)

    def _open(self) -> Journal:
        """A new run's journal, begun with what the run is and any warnings about it."""
        self.journal = begin_run(self.spec, self.model, self.source, self.runs_root, self.start, self.on_event)
        return self.journal

    def _reopen(self, point: ResumePoint) -> Journal:
        """The journal of the run being resumed, going on after its last event."""
        redactor = run_redactor(self.spec)
        redact_traces_with(redactor)
        self.journal = journal = reopen_run(self.runs_root, point.run_id, resume=True, redactor=redactor)
        after = point.header.status
        resumed = RunResumed(
            after=after,
            done=sorted(point.done),
            resumed=sorted(point.paused),
            from_step=point.from_step,
            by=point.by,
            user=getpass.getuser(),
            host=socket.gethostname(),
        )
        self.record(resumed)
        return journal

    async def _run_in(self, space: FolderSpace | RepoSpace) -> str:
        """Setup, plan, steps, integration and the task's checks; raises `_Failed` to end early."""
        journal = self.journal
        assert journal is not None
        runner = StepRunner(
            RunEnv(
                self.spec,
                self.model,
                self.asker,
                self.record,
                journal.save_messages,
                run_id=journal.run_id,
                feedback=self.start.feedback,
                baselines=journal.dir / BASELINES_DIR,
            )
        )
        await self._setup(space, runner)
        steps = await self._plan(space)
        if self.start.plan_only:
            return "planned only (--plan-only): no step was run"
        if self.start.approve_plan is not None and not await self.start.approve_plan(steps):
            raise _Failed("cancelled", "the plan was not approved")
        results = await self._run_steps(space, runner, steps)
        for step in steps:
            result = results[step.id]
            if result.status == "limit_exceeded" or result.status == "cancelled":
                raise _Failed(result.status, result.reason, step.id)
            if result.status not in ("succeeded", "awaiting_approval"):
                raise _Failed("failed", result.reason, step.id)
        if paused := [results[s.id] for s in steps if results[s.id].status == "awaiting_approval"]:
            first = paused[0]
            raise _Failed("awaiting_approval", f"step {first.step} {first.reason}", first.step)
        workspace = await self._integrate(space, runner, steps) if isinstance(space, RepoSpace) else space.copy
        await self._final_checks(runner, workspace)
        return ""

    async def _setup(self, space: FolderSpace | RepoSpace, runner: StepRunner) -> None:
        """Run `workspace.setup` once, with its network, before any model call; a failing command ends the run."""
        commands = self.spec.workspace.setup
        if not commands:
            return
        workspace = await asyncio.to_thread(space.setup_workspace)
        sandbox = await open_sandbox(runner.sandbox_spec(workspace, network=self.spec.workspace.network))
        for message in getattr(sandbox, "notices", ()):  # what the backend could not give, e.g. a network
            self.record(Notice(level="warning", message=message))
        try:
            for command in commands:
                argv = ["bash", "-c", command]
                result = await traced_exec(sandbox, argv, by="setup", timeout=self.spec.guardrails.limits.minutes * 60)
                self.record(command_run(argv, result, step=None, by="setup"))
                if not result.ok:
                    raise _Failed("failed", f"setup failed: `{command}` exited {result.exit_code}", "setup")
        finally:
            await sandbox.aclose()

    async def _plan(self, space: FolderSpace | RepoSpace) -> list[Step]:
        """The task's own steps, or a plan the supervisor model writes for a task without steps."""
        if (point := self.start.resumed) is not None:
            return list(point.plan)
        if self.spec.steps:
            steps = list(self.spec.steps)
            self.record(plan_event(steps, "task"))
            return steps
        workspace = await asyncio.to_thread(space.setup_workspace)
        inputs = workspace.source if isinstance(workspace, InputView) else None
        steps = await make_plan(self.spec, self.model, workspace.path, self.record, inputs)
        self.record(plan_event(steps, "supervisor"))
        return steps

    async def _run_steps(
        self, space: FolderSpace | RepoSpace, runner: StepRunner, steps: list[Step]
    ) -> dict[str, StepResult]:
        progress = self.start.progress()
        done, paused, cut_off = progress.done, progress.paused, progress.cut_off
        results: dict[str, StepResult] = dict(done)

        async def run_one(step: Step) -> StepResult:
            if step.id in done:
                return done[step.id]
            resumed = paused.pop(step.id, None)
            workspace, conflicts = await asyncio.to_thread(space.open_step, step.id, step.needs, paused=bool(resumed))
            result: StepResult | None = None
            try:
                while conflicts:
                    label = f"merge-for-{step.id}"
                    result = await self._resolve(runner, workspace, conflicts, label)
                    if result.status != "succeeded":
                        return result
                    workspace, conflicts = await asyncio.to_thread(space.resume_step, step.id, label)
                # A folder keeps what a cut-off step wrote: judged against where it first started, it stays its own.
                started_from = cut_off.get(step.id) if isinstance(space, FolderSpace) else None
                result = await runner.run(step, workspace, [results[n] for n in step.needs], resumed, started_from)
            finally:
                waits = result is not None and result.status == "awaiting_approval"
                message = paused_message(step.id) if waits else f"interns: step {step.id}"
                await asyncio.shield(asyncio.to_thread(space.close_step, step.id, workspace, message))
            results[step.id] = result
            return result

        def skip(step: Step, because: str) -> StepResult:
            """A step whose need waits for approval waits too, unjournaled; one whose need failed is skipped."""
            need = results.get(because)
            if need is not None and need.status == "awaiting_approval":
                return StepResult(step.id, "awaiting_approval", 0, f"waits for step {because}")
            return runner.skip(step, because)

        return await run_dag(topological_order(steps), self.spec.workers, run_one, skip)

    async def _resolve(self, runner: StepRunner, workspace: Workspace, files: list[str], label: str) -> StepResult:
        """A worker resolves conflict markers left by a merge, checked for leftover markers and the task's checks."""
        step = Step(
            id=label,
            instructions=prompts.render("resolve_conflicts", files=files),
            done_when=[CONFLICT_CHECK.format(files=" ".join(f"'{f}'" for f in files))],
        )
        result = await runner.run(step, workspace, [])
        return result

    async def _integrate(self, space: RepoSpace, runner: StepRunner, steps: list[Step]) -> Workspace:
        """Merge every step's branch into the run branch in dependency order; conflicts go to a worker."""
        # A step's branch holds the work of the steps it needs, conflicts already resolved: merging only the steps
        # nothing else needs brings in everything, without meeting a resolved conflict a second time.
        needed = {n for s in steps for n in s.needs}
        leaves = [s.id for s in topological_order(steps) if s.id not in needed]
        integration = await asyncio.to_thread(space.integrate, leaves)
        for branch in integration.merged:
            self.record(MergeResult(branch=branch, ok=True))
        while integration.conflict is not None:
            conflict = integration.conflict
            self.record(MergeResult(branch=conflict.branch, ok=False, conflicts=conflict.files))
            label = f"merge-{conflict.branch.rsplit('/', 1)[-1]}"
            result = await self._resolve(runner, integration.worktree, conflict.files, label)
            if result.status != "succeeded":
                raise _Failed("failed", f"the merge of {conflict.branch} could not be resolved: {result.reason}", label)
            before = len(integration.merged)
            integration = await asyncio.to_thread(space.resume_integration, label)
            for branch in integration.merged[before:]:
                self.record(MergeResult(branch=branch, ok=True))
        return integration.worktree

    async def _final_checks(self, runner: StepRunner, workspace: Workspace) -> None:
        """The task's own `done_when`, on the integrated result; built-in checks read what the whole run changed."""
        if not self.spec.done_when:
            return
        changed = []
        if any(not isinstance(check, str) for check in self.spec.done_when):
            try:
                changes = await asyncio.to_thread(lambda: list_changes(run_baseline(workspace), workspace))
            except (TreeTooLarge, GitTreeError, OSError) as error:
                raise _Failed("failed", f"what the run changed cannot be read for its checks: {error}") from None
            changed = [change.path for change in changes]
        scope = CheckScope(changed=changed, exemplars=self.spec.context.exemplars, model=self.model)
        checks = await runner.checks_on_a_copy(workspace, self.spec.done_when, None, scope)
        if failed := [c.command for c in checks if not c.passed]:
            raise _Failed("failed", "the task's checks failed: " + ", ".join(failed))

    async def _close_space(self, space: FolderSpace | RepoSpace) -> None:
        assert self.journal is not None
        try:
            self.journal.write_diff(await asyncio.to_thread(space.final_diff))
        except Exception as exc:  # the run's outcome is decided; a broken diff must not hide it
            self.record(Notice(level="error", message=f"could not save the run's diff: {exc}"))
        await asyncio.to_thread(space.close)
