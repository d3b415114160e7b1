"""Typed run events: one discriminated union, one JSON object per line of `events.jsonl`."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from interns.journal.usage import FinalStatus as FinalStatus  # the statuses and usage live with the header
from interns.journal.usage import RunStatus as RunStatus
from interns.journal.usage import Usage as Usage

StepStatus = Literal["succeeded", "failed", "limit_exceeded", "cancelled", "skipped", "awaiting_approval", "stuck"]
Verdict = Literal["allow", "ask", "deny"]


def now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class _Event(BaseModel):
    """Fields every event carries; unknown fields (from a newer version) are ignored when read."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    seq: int = 0
    """Position in the run's journal, from 1; set by the journal when recorded."""
    ts: datetime = Field(default_factory=now)
    step: str | None = None
    """The step this event belongs to; None for run-level events."""


class RunStarted(_Event):
    """The run began: what it is for, on which model and workspace, and the steps known so far."""

    type: Literal["run_started"] = "run_started"
    task: str
    goal: str
    model: str
    workspace: str
    steps: list[str]
    task_file: str = ""
    """The task file the run was started from, so a retry can run it again."""
    base_branch: str | None = None
    """For a repository: the branch the run's work lands on when a person accepts it."""
    sandbox: str = ""
    """The sandbox backend the run's commands ran in."""
    retry_of: str | None = None
    """The run a person sent back with a note, when this run is its retry."""
    replay_of: str | None = None
    """The run whose recorded model turns this run plays again (`interns replay`), when it is a replay."""
    outputs_to: str | None = None
    """For a folder whose outputs go elsewhere: the folder accepted outputs are copied to."""
    outputs_files: list[str] = []
    """The globs that say which of the run's new or changed files are outputs."""
    supervisor_model: str | None = None
    """The model of the supervisor's own work (plan, reviews, rubric), when it is not `model`."""
    model_settings: dict[str, Any] = {}
    """The task's model settings, sent with every request (a step may override them)."""


class StepStarted(_Event):
    """A worker began an attempt at a step."""

    type: Literal["step_started"] = "step_started"
    attempt: int
    instructions: str
    prompt: str = ""
    """The message the worker was sent for this attempt: the rendered step prompt, or the feedback of a retry."""
    resumed: bool = False
    """Whether this continues an attempt that paused for approval, with its conversation as it was."""


class ModelResponse(_Event):
    """One model turn: what it said and which tools it called, with the usage of that request."""

    type: Literal["model_response"] = "model_response"
    attempt: int
    text: str = ""
    tool_calls: list[dict[str, Any]] = []
    usage: Usage = Usage()
    stop_reason: str | None = None
    """Why the model stopped, as its provider said (`end_turn`, `max_tokens`, `refusal`...); None in older runs."""


class ContextCompacted(_Event):
    """A worker's older turns were replaced, in what its model is sent, by a summary the model wrote of them.

    The full conversation stays in `messages/` and in this journal; only the model's view of it is shorter.
    """

    type: Literal["context_compacted"] = "context_compacted"
    attempt: int
    summary: str
    """The note that stands for the older turns: what was tried, what was learned, what remains."""
    upto: int
    """How many messages of the full conversation the note covers (all but the first, the step's prompt)."""
    turns: int
    """Model turns the note covers, counted from the step's start."""
    tokens_before: int
    """Estimated tokens of the context before the summary."""
    tokens_after: int
    """Estimated tokens of the context after it."""
    budget: int
    """The context budget, in tokens, that the summary keeps the conversation within."""
    usage: Usage = Usage()
    """What writing the summary cost."""


class ModelRetried(_Event):
    """The model's API answered with an error its SDK retries (overloaded, rate limited, a server error), unless it
    has run out of tries."""

    type: Literal["model_retry"] = "model_retry"
    status: int
    """The HTTP status: 429, 529, 5xx."""
    attempt: int
    """Which retry this answer leads to: 1 for the first."""
    wait_seconds: float | None = None
    """How long the API asked to wait before the retry, when it said."""


class PolicyDecision(_Event):
    """The policy's verdict on one tool call, with the rule that made it."""

    type: Literal["policy_decision"] = "policy_decision"
    tool: str
    target: str
    verdict: Verdict
    rule: str
    reason: str
    asked: bool = False


class ApprovalRequested(_Event):
    """A tool call that needs a person's yes, met with no one at a terminal: the step pauses until it is answered."""

    type: Literal["approval_requested"] = "approval_requested"
    attempt: int
    call_id: str
    """The model's id for the tool call, which `interns approve` answers."""
    tool: str
    target: str
    rule: str
    reason: str


class ApprovalAnswered(_Event):
    """A person's answer to an approval request, given with `interns approve` while the run waited."""

    type: Literal["approval_answered"] = "approval_answered"
    call_id: str
    approved: bool
    reason: str = ""
    """Why not, when the answer is no; the worker is told."""
    by: str = ""
    """Where the answer was given: `terminal` or `viewer` (empty in older runs)."""
    user: str = ""
    """Who gave it: the user name of the process that recorded it."""
    host: str = ""
    """On which machine."""


class RunResumed(_Event):
    """The run went on after it paused for approval, was interrupted or was cancelled."""

    type: Literal["run_resumed"] = "run_resumed"
    after: str
    """The status the run had before: awaiting_approval, interrupted or cancelled."""
    done: list[str] = []
    """Steps already finished, which are not run again."""
    resumed: list[str] = []
    """Steps that continue their paused conversation."""
    from_step: str | None = None
    """The step a person went on from (`interns resume --from`): its output kept, the steps after it run again."""
    by: str = ""
    """Where a person asked for it: `terminal` or `viewer` (empty in older runs)."""
    user: str = ""
    """Who asked: the user name of the process that went on."""
    host: str = ""
    """On which machine."""


class ToolCall(_Event):
    """A tool call the worker made and what it got back."""

    type: Literal["tool_call"] = "tool_call"
    tool: str
    args: dict[str, Any]
    ok: bool
    result: str
    line: int | None = None
    """For an edit that went through: the line of the file where the snippet it replaced began."""


class CommandRun(_Event):
    """A command run in the sandbox, by a worker or by the supervisor's checks."""

    type: Literal["command_run"] = "command_run"
    argv: list[str]
    exit_code: int
    duration: float
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    truncated: bool = False
    by: Literal["worker", "check", "setup"] = "worker"


class NetworkConnection(_Event):
    """A connection a sandbox asked the network proxy for: the host, whether it was allowed and why, bytes each way."""

    type: Literal["network_connection"] = "network_connection"
    host: str
    port: int
    method: str
    """`CONNECT` for an HTTPS tunnel, else the plain HTTP request's method."""
    allowed: bool
    rule: str = ""
    """The allow or deny pattern that decided; "" when none matched."""
    reason: str = ""
    address: str = ""
    """The address the proxy connected to."""
    sent: int = 0
    """Bytes from the sandbox to the host."""
    received: int = 0
    """Bytes from the host to the sandbox."""
    credential: bool = False
    """Whether the proxy added a credential header."""


class CheckResult(_Event):
    """One `done_when` check and whether it passed: a command, or a built-in check with what it found."""

    type: Literal["check_result"] = "check_result"
    command: str
    """The command as written, or a built-in check in a few words."""
    passed: bool
    exit_code: int
    """The command's exit code; for a built-in check, 0 when it passed and 1 when it did not."""
    output: str = ""
    """The command's output (its tail); a built-in check's summary, or a rubric's reasoning."""
    kind: str = "command"
    """`command`, or the built-in check's key: `file`, `no_markers`, `preserves`, `not_copied`, `rubric`."""
    findings: list[str] = []
    """What a built-in check found wrong, one item each: a marker, a missing number, a copied passage."""
    notes: list[str] = []
    """What a built-in check noted without failing: a correction a stage may make, a fact the judge found kept, with
    the judge's reason."""


class StepRetry(_Event):
    """A step sent back to its worker with feedback."""

    type: Literal["step_retry"] = "step_retry"
    attempt: int
    feedback: str


class StepFinished(_Event):
    """A step ended, with its status, how many attempts it took and what it spent."""

    type: Literal["step_finished"] = "step_finished"
    status: StepStatus
    attempts: int
    reason: str = ""
    summary: str = ""
    usage: Usage = Usage()


class Notice(_Event):
    """Something a reviewer should know that is not an action: a warning, a skipped item."""

    type: Literal["notice"] = "notice"
    level: Literal["info", "warning", "error"] = "info"
    message: str


class RunFinished(_Event):
    """The run ended, with its final status and total usage."""

    type: Literal["run_finished"] = "run_finished"
    status: RunStatus
    reason: str = ""
    failed_step: str | None = None
    usage: Usage = Usage()


class PlanMade(_Event):
    """The steps the run will take: the task file's own, or a plan the supervisor wrote."""

    type: Literal["plan_made"] = "plan_made"
    source: Literal["task", "supervisor"]
    steps: list[dict[str, Any]]
    """Each step as the task file would write it: id, instructions, needs, tools, done_when."""


class ReviewVerdict(_Event):
    """The supervisor's review of a step's diff, after its checks passed."""

    type: Literal["review_verdict"] = "review_verdict"
    attempt: int
    decision: Literal["accept", "revise"]
    notes: str = ""


class MergeResult(_Event):
    """A step's branch merged into the run's branch, or the files that conflicted."""

    type: Literal["merge_result"] = "merge_result"
    branch: str
    ok: bool
    conflicts: list[str] = []


Event = Annotated[
    RunStarted
    | PlanMade
    | ReviewVerdict
    | MergeResult
    | StepStarted
    | ModelResponse
    | ContextCompacted
    | ModelRetried
    | PolicyDecision
    | ApprovalRequested
    | ApprovalAnswered
    | RunResumed
    | ToolCall
    | CommandRun
    | NetworkConnection
    | CheckResult
    | StepRetry
    | StepFinished
    | Notice
    | RunFinished,
    Field(discriminator="type"),
]

EventAdapter: TypeAdapter[Event] = TypeAdapter(Event, config=ConfigDict(defer_build=True))


class UnknownEvent(_Event):
    """A journal line this version cannot read as an `Event`: a type from a newer version, or a malformed line.

    Readers yield it instead of failing, so a newer or damaged journal still shows everything else.
    """

    type: str
    data: dict[str, Any] = {}
    """The line as it was parsed (empty when it was not even JSON)."""
    error: str = ""
    """Why it could not be read as a known event."""


def parse_event(data: dict[str, Any]) -> Event | UnknownEvent:
    """Validate one decoded journal line as an `Event`, or wrap it as an `UnknownEvent`."""
    try:
        return EventAdapter.validate_python(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        error = f"{where}: {first['msg']}" if where else first["msg"]
    known = {key: data[key] for key in ("seq", "ts", "step") if key in data}
    unknown = {"type": str(data.get("type", "")), "data": data, "error": error}
    try:
        return UnknownEvent.model_validate(known | unknown)
    except ValidationError:  # even seq, ts or step is malformed: keep the line, drop those
        return UnknownEvent.model_validate(unknown)
