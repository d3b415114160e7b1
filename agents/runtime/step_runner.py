"""One step, start to finish: a worker in a sandbox, the step's checks, the size limit, the review, and retries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_ai import DeferredToolResults, ToolDenied
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter

from interns import prompts
from interns.agents.checks.prose import CheckScope
from interns.agents.checks.runner import CheckOutcome, output_check, run_checks
from interns.agents.gate.approval import Asker
from interns.agents.policy.changes import judge_changes
from interns.agents.policy.decisions import Policy
from interns.agents.policy.withheld import MODEL_KEY_VARIABLES, sandbox_env
from interns.agents.runtime.context import exemplar_files, workspace_files
from interns.agents.runtime.network import journal_connections, sandbox_network
from interns.agents.runtime.reviewer import DIFF_LIMIT, review_step
from interns.agents.tracing.spans import end_span, step_span
from interns.agents.worker.agent import Worker
from interns.agents.worker.mcp import McpServerError, McpServers
from interns.agents.worker.models import ModelChoice
from interns.agents.worker.tools import WorkerDeps
from interns.errors import RunError
from interns.journal import (
    ApprovalAnswered,
    ApprovalRequested,
    ContextCompacted,
    Event,
    Notice,
    PolicyDecision,
    StepFinished,
    StepRetry,
    StepStarted,
    StepStatus,
    Usage,
)
from interns.sandbox import InputView, Sandbox, SandboxSpec, Workspace, open_sandbox
from interns.sandbox.workspace.changes import Change, list_changes, total_lines
from interns.sandbox.workspace.git_trees import GitTreeError
from interns.sandbox.workspace.scratch import ScratchCopy, make_scratch_copy
from interns.sandbox.workspace.snapshot import Snapshot
from interns.sandbox.workspace.tree_diff import render_diff
from interns.sandbox.workspace.tree_scan import TreeTooLarge, shown
from interns.tasks import Check, NetworkRules, Step, TaskSpec, servers_for

__all__ = ["SNAPSHOT_BLOBS", "PausedStep", "RunEnv", "StepResult", "StepRunner", "snapshot_file"]
"""Host variables that never enter a sandbox, even when a task names them."""
REFUSALS_NAMED = 20
"""Paths outside the write rules a step's verdict names one by one."""
SNAPSHOT_BLOBS = "blobs"
"""The folder, among the snapshots, of the old contents they keep."""


def snapshot_file(baselines: Path, step_id: str) -> Path:
    """Where a step's starting snapshot is kept among a run's baselines."""
    return baselines / f"{step_id}.json"


class _Unjudgeable(RunError):
    """What the step changed cannot be read (too large, too deep, or git could not say): the step ends."""


@dataclass
class StepResult:
    """How one step ended."""

    step: str
    status: StepStatus
    attempts: int
    reason: str = ""
    usage: Usage = field(default_factory=Usage)
    summary: str = ""


@dataclass
class PausedStep:
    """A step that paused for approval, as the journal left it: where to go on, and the answers a person gave."""

    attempt: int
    messages: list[ModelMessage]
    answers: list[tuple[ApprovalRequested, ApprovalAnswered]]
    baseline: Snapshot | None
    """The workspace when the step first started, so the step is judged on all of its own work."""
    compacted: ContextCompacted | None = None
    """The latest summary of the step's older turns, which its model was sent in their place."""


@dataclass
class RunEnv:
    """What every step of a run shares: the task, the model, the person to ask, and the journal."""

    spec: TaskSpec
    model: ModelChoice
    asker: Asker
    record: Callable[[Event], Any]
    save_messages: Callable[[str, bytes], Any]
    run_id: str = ""
    """The run's id, which labels what the run leaves behind (containers)."""
    feedback: str = ""
    """A person's note on an earlier run of this task, shown to every worker."""
    baselines: Path | None = None
    """Where each step's starting snapshot is kept (with copies of old contents), for its judgement and a resume."""
    always: set[tuple[str, str]] = field(default_factory=set)
    """(tool, target) pairs a person approved for the rest of the run."""


class StepRunner:
    """Runs steps for one run: a fresh worker and sandbox per step, checked by the supervisor itself."""

    def __init__(self, env: RunEnv) -> None:
        self.env = env

    def sandbox_spec(
        self,
        workspace: Workspace | ScratchCopy,
        *,
        step: Step | None = None,
        network: bool | NetworkRules | None = None,
    ) -> SandboxSpec:
        """The sandbox a step's commands run in, under the step's guardrails; `network` overrides theirs."""
        guardrails = self.env.spec.guardrails if step is None else self.env.spec.guardrails.for_step(step)
        env = sandbox_env(guardrails.env)
        setting = guardrails.network if network is None else network
        return SandboxSpec(
            backend=guardrails.sandbox,
            workspace=workspace.path,
            network=sandbox_network(setting, guardrails.credentials, guardrails.sandbox),
            on_connection=journal_connections(self.env.record, None if step is None else step.id),
            env=env,
            timeout=guardrails.limits.command_seconds,
            run_id=self.env.run_id,
            image=guardrails.image,
            processes=guardrails.limits.processes,
            file_size_mb=guardrails.limits.file_size_mb,
            memory_mb=guardrails.limits.memory_mb,
            read_only=workspace.read_only() if isinstance(workspace, InputView | ScratchCopy) else (),
        )

    async def checks_on_a_copy(
        self, workspace: Workspace, checks: Sequence[Check], step: Step | None, scope: CheckScope
    ) -> list[CheckOutcome]:
        """Run `checks` in a sandbox over a throwaway copy of the workspace, so that nothing a check writes lands."""
        if not checks:
            return []
        view = workspace if isinstance(workspace, InputView) else None
        copy = await asyncio.to_thread(make_scratch_copy, workspace.path, view)
        try:
            sandbox = await open_sandbox(self.sandbox_spec(copy, step=step))
            try:
                return await run_checks(
                    sandbox, checks, step=step.id if step else None, record=self.env.record, scope=scope
                )
            finally:
                await sandbox.aclose()
        finally:
            await asyncio.shield(asyncio.to_thread(copy.remove))

    def skip(self, step: Step, because: str) -> StepResult:
        """Journal a step that never started because a step it needs did not succeed."""
        return self._finish(step, "skipped", 0, f"step '{because}', which it needs, did not succeed", Usage())

    async def run(
        self,
        step: Step,
        workspace: Workspace,
        done_before: list[StepResult],
        paused: PausedStep | None = None,
        baseline: Snapshot | None = None,
    ) -> StepResult:
        """Work on the step until its checks pass and the review accepts it, or its attempts or limits run out.

        With `paused`, the step goes on from the attempt that paused for approval, with its conversation and the
        answers a person gave; otherwise it starts afresh, judged against `baseline` when given (the snapshot it first
        started from, for a step a stopped run cut off), else against the workspace as it is now.
        """
        with step_span(step.id) as span:
            result = await self._run(step, workspace, done_before, paused, baseline)
            end_span(span, result.status, result.attempts, result.reason)
        return result

    async def _run(
        self,
        step: Step,
        workspace: Workspace,
        done_before: list[StepResult],
        paused: PausedStep | None,
        baseline: Snapshot | None,
    ) -> StepResult:
        env, spec = self.env, self.env.spec
        limits = spec.guardrails.limits
        tools = spec.guardrails.tools_for(step)
        servers = McpServers(servers_for(spec.mcp, step.mcp), withheld=MODEL_KEY_VARIABLES)
        worker = Worker(step.id, tools, env.model, limits, servers.toolsets, step.model_settings, step.context_tokens)
        view = workspace if isinstance(workspace, InputView) else None
        policy = Policy(spec.guardrails.for_step(step), tools, workspace.path, view)
        max_attempts = spec.review.retries + 1
        prompt: str | None
        if paused is None:
            prompt, first = self._prompt(step, workspace, done_before), 1
        else:
            prompt, first, baseline = None, paused.attempt, paused.baseline
            worker.restore(paused.messages, paused.compacted)
        if baseline is None:
            # A folder's copy already holds earlier steps' changes: judge only what this step adds to them.
            try:
                baseline = await asyncio.to_thread(self._snapshot, step, workspace)
            except _Unjudgeable as error:
                return self._finish(step, "failed", 0, str(error), Usage())
        usage = Usage()
        sandbox = await open_sandbox(self.sandbox_spec(workspace, step=step))
        for message in getattr(sandbox, "notices", ()):  # what the backend could not give, e.g. a network
            env.record(Notice(step=step.id, level="warning", message=message))
        attempt = 0
        try:
            await servers.start()
            for attempt in range(first, max_attempts + 1):
                started = StepStarted(
                    step=step.id,
                    attempt=attempt,
                    instructions=step.instructions,
                    prompt=prompt or "",
                    resumed=paused is not None,
                )
                env.record(started)
                answers = self._answers(step, paused) if paused is not None else None
                deps = WorkerDeps(
                    step.id, attempt, sandbox, policy, env.asker, env.record, limits.command_seconds, env.always
                )
                try:
                    outcome = await worker.attempt(prompt, deps, answers)
                finally:
                    env.save_messages(step.id, ModelMessagesTypeAdapter.dump_json(worker.messages))
                paused = None
                usage = usage + outcome.usage
                if outcome.status != "done":
                    return self._finish(step, outcome.status, attempt, outcome.reason, usage)
                try:
                    failed, notes, review_usage = await self._judge(
                        step, workspace, baseline, sandbox, policy, attempt, outcome.summary
                    )
                except _Unjudgeable as error:
                    return self._finish(step, "failed", attempt, str(error), usage)
                usage = usage + review_usage
                if not failed and not notes:
                    return self._finish(step, "succeeded", attempt, "", usage, outcome.summary)
                if attempt == max_attempts:
                    if failed:
                        why = f"checks still failing after {attempt} attempts: " + ", ".join(c.command for c in failed)
                    else:
                        why = f"the supervisor still asks for changes after {attempt} attempts: {notes}"
                    return self._finish(step, "failed", attempt, why, usage)
                prompt = prompts.render(
                    "worker_retry",
                    step=step,
                    attempt=attempt + 1,
                    max_attempts=max_attempts,
                    failed=failed,
                    notes=notes,
                )
                env.record(StepRetry(step=step.id, attempt=attempt + 1, feedback=prompt))
        except McpServerError as error:
            return self._finish(step, "failed", attempt, str(error), usage)
        except asyncio.CancelledError:
            self._finish(step, "cancelled", attempt, "cancelled by the user", usage)
            raise
        finally:
            try:
                await servers.aclose()
            finally:
                await sandbox.aclose()
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _answers(self, step: Step, paused: PausedStep) -> DeferredToolResults:
        """The answers a person gave while the run waited, for pydantic-ai; each "no" journaled as a refusal."""
        results = DeferredToolResults()
        for request, answer in paused.answers:
            if answer.approved:
                results.approvals[request.call_id] = True
                continue
            reason = f"{request.reason}; a person said no" + (f": {answer.reason}" if answer.reason else "")
            decision = PolicyDecision(
                step=step.id,
                tool=request.tool,
                target=request.target,
                verdict="deny",
                rule=request.rule,
                reason=reason,
                asked=True,
            )
            self.env.record(decision)
            results.approvals[request.call_id] = ToolDenied(f"Refused by policy ({request.rule}): {reason}")
        return results

    def _snapshot(self, step: Step, workspace: Workspace) -> Snapshot:
        """The workspace as the step starts, kept among the run's baselines when there are any."""
        baselines = self.env.baselines
        try:
            snapshot = Snapshot.take(workspace, baselines / SNAPSHOT_BLOBS if baselines else None)
        except (TreeTooLarge, GitTreeError, OSError) as error:
            raise _Unjudgeable(f"the workspace cannot be read as the step starts: {shown(str(error))}") from None
        if baselines is not None:
            snapshot.save(snapshot_file(baselines, step.id))
        return snapshot

    @staticmethod
    def _changes(workspace: Workspace, baseline: Snapshot) -> list[Change]:
        """What the step changed, read from the file system; _Unjudgeable when it cannot be read."""
        try:
            return list_changes(baseline, workspace)
        except (TreeTooLarge, GitTreeError, OSError) as error:
            raise _Unjudgeable(f"what the step changed cannot be judged: {shown(str(error))}") from None

    async def _judge(
        self,
        step: Step,
        workspace: Workspace,
        baseline: Snapshot,
        sandbox: Sandbox,
        policy: Policy,
        attempt: int,
        summary: str,
    ) -> tuple[list[CheckOutcome], str, Usage]:
        """The supervisor's own verdict: failing checks, or notes from the write paths, size limit or review."""
        spec = self.env.spec
        changes = await asyncio.to_thread(self._changes, workspace, baseline)
        if outside := self._writes_outside(step, policy, changes):
            where = ", ".join(policy.guardrails.write)
            return (
                [],
                f"You changed {', '.join(outside)}, outside the paths you may change ({where}). Undo that.",
                Usage(),
            )
        scope = CheckScope(
            step=step.id,
            attempt=attempt,
            input=step.input,
            output=step.output,
            changed=[change.path for change in changes],
            exemplars=spec.context.exemplars,
            model=self.env.model,
        )
        checks = await self.checks_on_a_copy(workspace, step.done_when, step, scope)
        written = [change.path for change in changes if change.kind != "deleted"]
        if (output := output_check(step.output, written, step=step.id, record=self.env.record)) is not None:
            checks = [output, *checks]
        checks_usage = sum((c.usage for c in checks), Usage())  # a rubric's judge is a model too
        failed = [c for c in checks if not c.passed]
        if failed:
            return failed, "", checks_usage
        limit = spec.guardrails.limits.changed_lines
        if limit is not None and (changed := total_lines(changes)) > limit:
            why = f"The change is {changed} lines; a step may change at most {limit}. Make it smaller."
            return [], why, checks_usage
        if not spec.review.supervisor:
            return [], "", checks_usage
        # Shown in full up to what the reviewer reads; files past that are named, not copied in.
        diff = await asyncio.to_thread(render_diff, changes, baseline, workspace.path, DIFF_LIMIT)
        verdict, usage = await review_step(
            self.env.model,
            step,
            attempt=attempt,
            diff=diff,
            summary=summary,
            do_not=[*spec.context.do_not, *step.do_not],
            record=self.env.record,
        )
        notes = (verdict.notes or "Revise the change.") if verdict.decision == "revise" else ""
        return [], notes, checks_usage + usage

    def _writes_outside(self, step: Step, policy: Policy, changes: list[Change]) -> list[str]:
        """Paths a worker changed, by a command or otherwise, that the write rules do not allow.

        The first REFUSALS_NAMED are journaled one by one and named; past them, one refusal says how many more.
        """
        refused = judge_changes(policy, changes)
        outside = []
        for change, decision in refused[:REFUSALS_NAMED]:
            outside.append(shown(change.path))
            reason = f"{change.kind.replace('_', ' ')} outside the paths workers may write (found on disk)"
            self._refusal(step, shown(change.path), decision.rule, reason)
        if (more := len(refused) - REFUSALS_NAMED) > 0:
            outside.append(f"{more} more")
            self._refusal(step, f"{more} more paths", "guardrails.write", "changed outside the paths workers may write")
        return outside

    def _refusal(self, step: Step, target: str, rule: str, reason: str) -> None:
        decision = PolicyDecision(step=step.id, tool="run", target=target, verdict="deny", rule=rule, reason=reason)
        self.env.record(decision)

    def _finish(
        self, step: Step, status: StepStatus, attempts: int, reason: str, usage: Usage, summary: str = ""
    ) -> StepResult:
        self.env.record(
            StepFinished(step=step.id, status=status, attempts=attempts, reason=reason, summary=summary, usage=usage)
        )
        return StepResult(step.id, status, attempts, reason, usage, summary)

    def _prompt(self, step: Step, workspace: Workspace, done_before: list[StepResult]) -> str:
        spec, context = self.env.spec, self.env.spec.context
        view = workspace if isinstance(workspace, InputView) else None
        files, unmatched = workspace_files(workspace.path, context.files, view)
        for pattern in unmatched:
            message = f"context.files pattern {pattern!r} matched no file"
            self.env.record(Notice(step=step.id, level="warning", message=message))
        return prompts.render(
            "worker_step",
            task=spec,
            step=step,
            context=context,
            done_before=done_before,
            checks=step.done_when,
            write=[] if spec.guardrails.write == ["**"] else spec.guardrails.write,
            files=files,
            exemplars=exemplar_files(context.exemplars),
            feedback=self.env.feedback,
        )
