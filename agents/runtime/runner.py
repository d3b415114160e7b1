"""The run as a library call: a task is checked and its run started the same way, new, retried or resumed.

The CLI, the viewer's retry and the tests all start runs through a `Runner`, so that a retry or a resume is checked
exactly as `interns run` checks a new run: the task file loads, its model can be used and its script covers it, its
rule examples hold, and the workspace and the sandbox backend are there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from interns import tasks
from interns.agents.policy.rule_examples import example_problems
from interns.agents.runtime.opening import TaskSource, abandon, begin_run
from interns.agents.runtime.preflight import PreflightError, preflight
from interns.agents.runtime.starts import ApprovePlan, Fresh, Resumed, RunStart
from interns.agents.worker.models import ModelChoice, select_model
from interns.journal import BatchLink, Event, Journal, RunStore
from interns.tasks.spec import SandboxKind

if TYPE_CHECKING:
    from interns.agents.gate.approval import Asker
    from interns.agents.runtime.supervisor import RunResult, Supervisor

# The supervisor (and with it pydantic-ai, the sandboxes and git) is imported once a new run's first events are
# journaled, and resuming's reader of the journal only when a run goes on.

__all__ = ["DEFAULT_RUNS_DIR", "Runner", "resume_run", "retry_run", "run_task", "scripted_agents"]

DEFAULT_RUNS_DIR = Path(".interns")
"""Where run journals live unless the caller says otherwise."""


@dataclass
class Runner:
    """Checks tasks and starts their runs under one journal root; `start`, `retry` and `resume` give a Supervisor."""

    runs_dir: Path = DEFAULT_RUNS_DIR
    """The journal root: runs go to `runs_dir/runs/<run-id>/`."""
    asker: Asker | None = None
    """Who is asked when a call needs a person's yes; None: no one, so such a step pauses."""
    on_event: Callable[[Event], None] | None = None
    """Called with every event as it is journaled."""
    warnings: list[str] = field(default_factory=list)
    """What the checks before the last run found worth a person's attention (a dirty checkout, no isolation)."""

    def start(
        self,
        task_file: Path,
        *,
        model: str | None = None,
        plan_only: bool = False,
        approve_plan: ApprovePlan | None = None,
        params: Mapping[str, str] | None = None,
        batch: BatchLink | None = None,
        sandbox: SandboxKind | None = None,
        replay_of: str | None = None,
    ) -> Supervisor:
        """A new run of the task file, checked; `model` overrides the task's own, `params` are `-p` values as given,
        `batch` links the run to the batch row it is, `sandbox` overrides its sandbox; with `replay_of`, the run
        plays that run's recorded turns again (its model is their script)."""
        given = dict(params or {})
        start = Fresh(plan_only=plan_only, approve_plan=approve_plan, batch=batch, replay_of=replay_of)
        return self._supervisor(task_file, model, start, given, sandbox)

    def retry(self, run_ref: str, note: str, *, model: str | None = None) -> Supervisor:
        """A new run of the task an earlier run ran, its workers told the person's note; checked as `start` is."""
        from interns.agents.gate.review import run_started  # the gate reads the journal; imported where it is used

        store = RunStore(self.runs_dir)
        header = store.load(run_ref)
        task_file = self._task_file(header.run_id, run_started(store, header.run_id).task_file)
        choice = model or (header.model if header.scripted else None)
        start = Fresh(feedback=note, retry_of=header.run_id, batch=header.batch)
        return self._supervisor(task_file, choice, start, given_as_text(header.params))

    def resume(
        self, run_ref: str, *, from_step: str | None = None, model: str | None = None, by: str = "terminal"
    ) -> Supervisor:
        """The run that stopped going on (from `from_step`, when given), asked for at `by`; checked as `start` is."""
        from interns.agents.runtime.resume import CannotResume, resume_point

        point = resume_point(RunStore(self.runs_dir), run_ref, from_step)
        point.by = by
        if point.waiting:
            listed = "\n  ".join(f"step {r.step}: {r.tool} {r.target}" for r in point.waiting)
            raise CannotResume(f"run {point.run_id} still waits for answers:\n  {listed}")
        task_file = self._task_file(point.run_id, point.started.task_file)
        given = given_as_text(point.header.params)
        return self._supervisor(task_file, model or point.header.model, Resumed(point), given)

    def check(
        self,
        task_file: Path,
        model: str | None = None,
        params: Mapping[str, str] | None = None,
        *,
        sandbox: SandboxKind | None = None,
        backend: bool = True,
    ) -> tuple[tasks.TaskSpec, ModelChoice]:
        """The task and its model, checked as a run needs them; raises the first problem, keeps the warnings.

        `sandbox` overrides the task's sandbox; `backend` False leaves the sandbox backend to the machine the run
        will run on (a cluster node)."""
        spec = tasks.load(task_file, params if params is not None else {})
        if sandbox is not None:
            spec = spec.model_copy(update={"guardrails": spec.guardrails.model_copy(update={"sandbox": sandbox})})
        choice = select_model(spec.model, model, supervisor=spec.supervisor_model, endpoints=spec.models)
        choice.check_script_covers(scripted_agents(spec))
        if problems := example_problems(spec):
            raise PreflightError(f"{task_file}: " + "\n".join(problems))
        try:
            self.warnings = preflight(spec, backend=backend)
        except PreflightError as exc:
            raise PreflightError(exc.located(task_file)) from None
        return spec, choice

    def _supervisor(
        self,
        task_file: Path,
        model: str | None,
        start: RunStart,
        params: dict[str, str],
        sandbox: SandboxKind | None = None,
    ) -> Supervisor:
        spec, choice = self.check(task_file, model, params, sandbox=sandbox)
        if isinstance(start, Fresh):
            start = replace(start, params=tasks.param_values(spec.params, params))
        source = TaskSource(task_file.read_text(encoding="utf-8"), task_file.resolve())
        begun: Journal | None = None
        if isinstance(start, Fresh):
            begun = begin_run(spec, choice, source, self.runs_dir.absolute(), start, self.on_event)
        try:
            from interns.agents.runtime.supervisor import Supervisor

            return Supervisor(
                spec,
                choice,
                source,
                runs_root=self.runs_dir,
                start=start,
                asker=self.asker,
                on_event=self.on_event,
                journal=begun,
            )
        except BaseException as exc:
            if begun is not None:  # the run is on record: its journal says how it ended before its work began
                if isinstance(exc, KeyboardInterrupt):
                    abandon(begun, "cancelled", "cancelled by the user", self.on_event)
                else:
                    abandon(begun, "failed", _load_failure(exc), self.on_event)
            raise

    @staticmethod
    def _task_file(run_id: str, recorded: str) -> Path:
        """The task file a run was started from, which must still be there to run it again."""
        from interns.agents.runtime.resume import CannotResume

        if not recorded or not Path(recorded).exists():
            raise CannotResume(f"the task file of run {run_id} is gone ({recorded or 'unknown'})")
        return Path(recorded)


def _load_failure(exc: BaseException) -> str:
    """Why a begun run stopped before its work: its runtime could not be loaded or made."""
    return f"the run stopped on an unexpected error: {type(exc).__name__}: {exc}"


def given_as_text(values: Mapping[str, object]) -> dict[str, str]:
    """Parameter values a run recorded, written back as `-p` would give them, so a retry or resume loads the same."""
    return {name: ("true" if v else "false") if isinstance(v, bool) else str(v) for name, v in values.items()}


def scripted_agents(spec: tasks.TaskSpec) -> list[str]:
    """The agents a script must give turns to: the planner, or each step and, when reviews are on, its review;
    and the judge of each rubric check (`<step>.rubric`, or `rubric` for the task's own)."""
    rubric = [] if not any(isinstance(c, tasks.RubricCheck) for c in spec.done_when) else ["rubric"]
    if not spec.steps:
        return ["plan", *rubric]
    reviews = [f"{s.id}.review" for s in spec.steps] if spec.review.supervisor else []
    judges = [f"{s.id}.rubric" for s in spec.steps if any(isinstance(c, tasks.RubricCheck) for c in s.done_when)]
    return [s.id for s in spec.steps] + reviews + judges + rubric


def run_task(
    task_file: Path | str,
    *,
    model: str | None = None,
    runs_dir: Path | str = DEFAULT_RUNS_DIR,
    params: Mapping[str, str] | None = None,
) -> RunResult:
    """Run a task file to its end with no one to ask (a call that needs a person's yes pauses the run);
    `params` are the task's parameter values as `-p` gives them."""
    import asyncio

    return asyncio.run(Runner(Path(runs_dir)).start(Path(task_file), model=model, params=params).run())


def retry_run(
    run_ref: str, note: str, *, model: str | None = None, runs_dir: Path | str = DEFAULT_RUNS_DIR
) -> RunResult:
    """Run an earlier run's task again with a person's note to its workers."""
    import asyncio

    return asyncio.run(Runner(Path(runs_dir)).retry(run_ref, note, model=model).run())


def resume_run(
    run_ref: str, *, from_step: str | None = None, model: str | None = None, runs_dir: Path | str = DEFAULT_RUNS_DIR
) -> RunResult:
    """Go on with a run that paused, was interrupted or was cancelled (or from `from_step`)."""
    import asyncio

    return asyncio.run(Runner(Path(runs_dir)).resume(run_ref, from_step=from_step, model=model).run())
