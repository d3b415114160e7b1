"""The task file, format version 1, as pydantic models: the source of truth for its schema."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from interns.tasks._types import Text, WorkspaceGlob
from interns.tasks.checks import Check
from interns.tasks.mcp import McpServer, ServerName
from interns.tasks.network import CredentialRule, Network, NetworkRules, allows
from interns.tasks.params import Param, ParamName

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
"""What a step id or a task name may be: lowercase letters, digits, '-' and '_', at most 63."""
StepId = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
"""The name of an environment variable."""
ToolName = Literal["read", "write", "edit", "list", "search", "run"]
SandboxKind = Literal["bubblewrap", "docker", "local"]

ALL_TOOLS: tuple[ToolName, ...] = ("read", "write", "edit", "list", "search", "run")

LOCAL_CANNOT_ALLOWLIST = (
    "a `local` sandbox cannot hold its commands to named hosts (they share this machine's network): "
    "use `sandbox: bubblewrap` or `docker`, or set the network to true or false"
)
"""Why a task with `sandbox: local` may not have a network allowlist anywhere."""

MAX_RETRIES = 10
"""The most times `review.retries` may send a step back."""


class _Model(BaseModel):
    """Strict base: unknown keys are errors, and field docstrings become schema descriptions."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RepoWorkspace(_Model):
    """A git repository: workers get a worktree on a branch of its own; the checkout is never touched."""

    repo: Path
    """Path to the repository, relative to the task file."""
    base: str = "HEAD"
    """The commit, branch or tag work starts from."""
    setup: list[str] = []
    """Commands run once per run, with network, before any worker starts (e.g. `uv sync`); what they make is reused."""
    network: Network = True
    """The network `setup` commands get: `true` (default), `false`, or `{allow: [...]}` hosts only."""


class Outputs(_Model):
    """Where the files a run makes go once a person accepts it, instead of back into the input folder."""

    to: Path
    """The folder accepted outputs are copied to, relative to the task file; an existing different file is kept."""
    files: list[WorkspaceGlob] = ["**"]
    """Which of the files the run added or changed are outputs (globs relative to the workspace)."""


class FolderWorkspace(_Model):
    """A plain folder: workers get a copy of it; the original is never touched."""

    folder: Path
    """Path to the folder, relative to the task file."""
    setup: list[str] = []
    """Commands run once per run, with network, before any worker starts; what they make is reused."""
    network: Network = True
    """The network `setup` commands get: `true` (default), `false`, or `{allow: [...]}` hosts only."""
    outputs: Outputs | None = None
    """Copy the run's outputs to a folder of their own on accept; without it, accept applies the diff to `folder`."""


class Context(_Model):
    """What an intern would need to know, rendered into every worker's prompt."""

    files: list[WorkspaceGlob] = []
    """Glob patterns of workspace files whose contents the worker is shown up front."""
    notes: str = ""
    """Free-form background: conventions, constraints, who the work is for."""
    exemplars: list[str] = []
    """Paths of good outputs to match in feel, not in phrasing."""
    do_not: list[str] = []
    """Things the worker must not do, stated plainly."""


class ModelSettingsSpec(_Model):
    """Settings sent with every model request; those left unset are the provider's defaults."""

    max_tokens: int | None = Field(None, ge=1, strict=True)
    """The most tokens one reply may take; a final answer cut off there fails its step."""
    temperature: float | None = Field(None, ge=0, le=2, strict=True, allow_inf_nan=False)
    """Randomness of the replies, from 0 (the most likely words) to 2."""
    top_p: float | None = Field(None, gt=0, le=1, strict=True, allow_inf_nan=False)
    """Nucleus sampling: only words within this share of probability are considered."""
    seed: int | None = Field(None, strict=True)
    """A seed for providers that can make replies repeatable."""
    stop_sequences: list[Text] | None = None
    """Texts at which a reply stops."""
    parallel_tool_calls: bool | None = None
    """Whether the model may call several tools in one reply."""
    timeout: float | None = Field(None, gt=0, strict=True, allow_inf_nan=False)
    """Seconds one request may take."""

    def merged(self, over: "ModelSettingsSpec | None") -> "ModelSettingsSpec":
        """These settings with those `over` sets taking their place."""
        if over is None:
            return self
        return self.model_copy(update=over.model_dump(exclude_unset=True))

    def sent(self) -> dict[str, object]:
        """The settings as pydantic-ai sends them: only those set."""
        return self.model_dump(exclude_none=True)


PROVIDER_PREFIXES = frozenset(
    {"anthropic", "openai", "openai-chat", "openai-responses", "google", "google-gla", "google-vertex", "groq",
     "mistral", "cohere", "bedrock", "deepseek", "grok", "ollama", "openrouter", "huggingface", "test", "scripted"}
)  # fmt: skip
"""Model-string prefixes pydantic-ai (or the kit) already gives a meaning; a task's own endpoints take other names."""


def _not_a_provider(name: str) -> str:
    if name in PROVIDER_PREFIXES:
        raise ValueError(f"'{name}' already names a provider; call your server something else, such as 'local'")
    return name


EndpointName = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40), AfterValidator(_not_a_provider)
]


class ModelEndpoint(_Model):
    """A model server you run or reach yourself, so `model: NAME:MODEL` means that server's MODEL."""

    base_url: str = Field(pattern=r"^https?://[^\s]+$")
    """Where the server answers, e.g. `http://127.0.0.1:8080/v1` for llama.cpp, `http://127.0.0.1:11434/v1` for
    Ollama."""
    api: Literal["openai-chat", "openai", "anthropic"] = "openai-chat"
    """The API the server speaks: OpenAI chat completions (llama.cpp, Ollama, vLLM, LM Studio), OpenAI's Responses
    API, or Anthropic's Messages API."""
    api_key_env: EnvName | None = None
    """The host variable that holds the server's key; unset: the server needs none."""


class Step(_Model):
    """One unit of work handed to one worker."""

    id: StepId
    """A short unique name: lowercase letters, digits, '-' and '_'."""
    instructions: Text
    """What this step must achieve, in the words you would give an intern."""
    needs: list[StepId] = []
    """Ids of the steps that must finish before this one starts."""
    tools: list[ToolName] = list(ALL_TOOLS)
    """The tools this step's worker may use."""
    done_when: list[Check] = []
    """Checks run after the worker stops, all of which must pass: shell commands run in the sandbox (exit 0 passes),
    or built-in checks such as `{no_markers: [out.md]}` or `{preserves: {}}`."""
    network: Network | None = None
    """This step's network setting, in place of `guardrails.network`."""
    write: list[WorkspaceGlob] | None = None
    """The paths this step may change, in place of `guardrails.write`; default: its `output`, if it names one."""
    input: WorkspaceGlob | None = None
    """The file this stage works from, in a staged pipeline: usually the `output` of a step it needs."""
    output: WorkspaceGlob | None = None
    """The file this stage writes, which a later stage takes as its `input`."""
    do_not: list[str] = []
    """Things this step's worker must not do, on top of `context.do_not`."""
    mcp: list[ServerName] | None = None
    """Names of the task's MCP servers whose tools this step's worker gets; default: all of them, `[]` for none."""
    model_settings: ModelSettingsSpec | None = None
    """This step's model settings, each in place of the task's own."""
    context_tokens: int | None = Field(None, ge=2_000, strict=True)
    """This step's context budget, in place of `guardrails.limits.context_tokens`."""


class CommandExamples(_Model):
    """Commands the rules must judge as stated; checked when the task file is checked or run."""

    allow: list[Text] = []
    """Commands that must be allowed."""
    ask: list[Text] = []
    """Commands that must need a person's yes."""
    deny: list[Text] = []
    """Commands that must be denied."""


class CommandRules(_Model):
    """Shell-style patterns matched against each command a worker runs; deny wins over ask over allow."""

    allow: list[str] = ["*"]
    """Commands that may run. A command matching no rule is denied."""
    ask: list[str] = []
    """Commands that need a person's yes on the terminal; denied when no one can answer."""
    deny: list[str] = []
    """Commands that never run."""
    examples: CommandExamples = CommandExamples()
    """Commands with the verdict the rules must give them, so a rule that misses its target is caught early."""


# Numbers are strict: YAML already gives numbers, and lax mode would read `turns: yes` as 1 or `retries: no` as 0.
# Floats are finite: `.inf` minutes or `.nan` dollars would reach timers and comparisons that cannot use them.


class Limits(_Model):
    """Bounds on one step's worker and its commands.

    Reaching a worker bound ends the step and the run as `limit_exceeded`; a command bound
    (`command_seconds`, `processes`, `file_size_mb`, `memory_mb`) fails only that command.
    """

    turns: int = Field(30, ge=1, strict=True)
    """Model requests per attempt."""
    tool_calls: int | None = Field(None, ge=1, strict=True)
    """Tool calls per attempt."""
    calls_per_turn: int = Field(10, ge=1, strict=True)
    """Tool calls one model reply may make; the rest are refused, and identical calls in one reply run once."""
    repeated_calls: int = Field(4, ge=1, strict=True)
    """The same tool call made this many times in a row is the most; the next ends the step as `stuck`."""
    tokens: int = Field(200_000, ge=1, strict=True)
    """Input plus output tokens per attempt."""
    context_tokens: int | None = Field(None, ge=2_000, strict=True)
    """Tokens of conversation a worker's model is sent at most: older tool outputs are masked, then older turns
    summarized, to stay within it (the full conversation is journaled); default: most of the model's window."""
    cost_usd: float | None = Field(None, gt=0, strict=True, allow_inf_nan=False)
    """Spend per attempt in US dollars, where the model's price is known."""
    minutes: float = Field(20.0, gt=0, strict=True, allow_inf_nan=False)
    """Wall-clock minutes per attempt."""
    changed_lines: int | None = Field(None, ge=1, strict=True)
    """Lines a step may add or remove in the workspace."""
    command_seconds: float = Field(300.0, gt=0, strict=True, allow_inf_nan=False)
    """Seconds one command may run before its whole process group is killed."""
    processes: int = Field(1024, ge=16, strict=True)
    """Processes and threads one command may run at once; more fail to start (a fork bomb stops here)."""
    file_size_mb: int = Field(1024, ge=1, strict=True)
    """Megabytes one file may grow to; a command writing past it is stopped."""
    memory_mb: int = Field(4096, ge=16, strict=True)
    """Megabytes of memory a command may take: per process with bubblewrap and local, in all with docker."""


class Guardrails(_Model):
    """What workers may do, enforced by the policy and the sandbox rather than by the prompt."""

    sandbox: SandboxKind = "bubblewrap"
    """Where commands run: `bubblewrap` (default), `docker`, or `local` (no isolation, explicit opt-in)."""
    network: Network = False
    """What commands may reach: `false` (nothing), `true` (any host, never this machine), or `{allow: [hosts],
    deny: [hosts]}`, through a proxy on this machine that is the sandbox's one way out."""
    credentials: list[CredentialRule] = []
    """Headers the proxy adds for named hosts (a token the sandbox never sees); they need `network: {allow: ...}`."""
    tools: list[ToolName] = list(ALL_TOOLS)
    """The tools any worker of this task may use; a step's own `tools` can only narrow them."""
    read: list[WorkspaceGlob] = ["**"]
    """Glob patterns, relative to the workspace, of the paths a worker may read, list or search."""
    write: list[WorkspaceGlob] = ["**"]
    """Glob patterns, relative to the workspace, of the paths a worker may create or change."""
    commands: CommandRules = CommandRules()
    """Which commands run, which need a person's yes, which never run."""
    limits: Limits = Limits()
    """Turns, tokens, cost, time and size bounds for each step."""
    env: list[EnvName] = []
    """Names of host environment variables passed into the sandbox; nothing else is."""
    image: str | None = None
    """The container image commands run in with `sandbox: docker`; default: the kit's own (`interns sandbox build`)."""

    @model_validator(mode="after")
    def _network_fits(self) -> "Guardrails":
        """An allowlist needs an isolating sandbox; credentials need an allowlist naming their host, and stay out of
        the sandbox's environment."""
        if self.sandbox == "local" and isinstance(self.network, NetworkRules):
            raise PydanticCustomError("network_rules", LOCAL_CANNOT_ALLOWLIST)
        for rule in self.credentials:
            if not isinstance(self.network, NetworkRules):
                raise PydanticCustomError(
                    "network_rules", "credentials are added by the network proxy: they need `network: {allow: [...]}`"
                )
            if not allows(self.network, rule.host):
                raise PydanticCustomError(
                    "network_rules",
                    "the credential for {host} would never be sent: `network` does not allow {host}",
                    {"host": rule.host},
                )
            if rule.env in self.env:
                raise PydanticCustomError(
                    "network_rules",
                    "{name} is a credential: it must not also be in `env`, which passes it into the sandbox",
                    {"name": rule.env},
                )
        return self

    def tools_for(self, step: Step) -> list[ToolName]:
        """The tools a step's worker gets: its own, less any the task's guardrails leave out."""
        return [tool for tool in step.tools if tool in self.tools]

    def for_step(self, step: Step) -> "Guardrails":
        """The guardrails one step works under: these, with its own network and write paths where it sets them."""
        update: dict[str, object] = {}
        if step.network is not None:
            update["network"] = step.network
        if step.write is not None:
            update["write"] = step.write
        elif step.output is not None:
            update["write"] = [step.output]
        return self.model_copy(update=update)


class Review(_Model):
    """How finished work is checked before it is accepted."""

    retries: int = Field(2, ge=0, le=MAX_RETRIES, strict=True)
    """How many times a step that fails its checks is sent back with the failing output."""
    human: bool = True
    """Whether a person accepts or rejects the result before it leaves the workspace."""
    supervisor: bool = True
    """Whether the supervisor reviews each step's diff against its instructions and `do_not` list once checks pass."""


class TaskSpec(_Model):
    """A task file: the goal, its context, its steps, its guardrails and how to tell it is done."""

    version: Literal[1]
    """Format version of this file; always 1 for now."""
    name: StepId
    """A short name for the task, used in run listings and branch names."""
    goal: Text
    """What the whole task must achieve."""
    workspace: RepoWorkspace | FolderWorkspace
    """Where the work happens: `{repo: PATH, base: REF}` or `{folder: PATH}`."""
    context: Context = Context()
    """What every worker is told before it starts."""
    steps: list[Step] = []
    """The steps, run in dependency order; without steps the supervisor plans them."""
    done_when: list[Check] = []
    """Checks run on the finished workspace after every step, all of which must pass: shell commands (exit 0 passes)
    or built-in checks such as `{file: out.json, json_schema: out.schema.json}`."""
    guardrails: Guardrails = Guardrails()
    """What workers may do."""
    review: Review = Review()
    """How work is checked and accepted."""
    workers: int = Field(1, ge=1, le=32, strict=True)
    """How many steps may run at the same time."""
    model: Text | None = None
    """A pydantic-ai model string such as `anthropic:claude-sonnet-4-5`, or `scripted:FILE` for offline runs."""
    models: dict[EndpointName, ModelEndpoint] = {}
    """Model servers of your own, by name: `models: {local: {base_url: ...}}` makes `model: local:NAME` that
    server's NAME (or set INTERNS_BASE_URL_LOCAL instead)."""
    supervisor_model: Text | None = None
    """The model of the supervisor's own work (the plan, reviews, rubric checks); default: `model`."""
    model_settings: ModelSettingsSpec = ModelSettingsSpec()
    """Settings sent with every model request of the run (`max_tokens`, `temperature`...); a step may override them."""
    manual_minutes: float | None = Field(None, gt=0, strict=True, allow_inf_nan=False)
    """Minutes the task takes a person by hand; `interns stats` weighs it against review time to show time saved."""
    mcp: list[McpServer] = []
    """MCP servers whose tools workers may call (they run on the host); each call is judged by the server's `tools`."""
    params: dict[ParamName, Param] = {}
    """Parameters a run gives with `-p NAME=VALUE` (or a batch, one row each), used as `{{ NAME }}` in any text or
    path of the file: `{notes_folder: {type: path, default: ~/notes, description: ...}}`."""
