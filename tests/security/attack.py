"""What an attack case is, and how the suite reads a run's evidence: what leaked, what the journal recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interns.agents.runtime.supervisor import RunResult
from interns.journal import CommandRun, Event, PolicyDecision, ToolCall
from tests.security.conftest import Host

Turns = list[dict[str, Any]]
SENTINEL = "echo carried-on"
"""The worker's last command: its output shows the run went on after the attack."""


def call(tool: str, **args: Any) -> dict[str, Any]:
    """A scripted turn calling one tool."""
    return {"call": {tool: args}}


def sh(command: str) -> dict[str, Any]:
    """A scripted turn running a command line."""
    return call("run", command=command)


@dataclass
class Seen:
    """A finished run as the checks see it: its result, its journal and every file it left."""

    result: RunResult
    events: list[Event]
    runs: Path

    @property
    def workspace(self) -> Path:
        return self.result.run_dir / "workspace"

    def denials(self) -> list[PolicyDecision]:
        """The policy's refusals."""
        return [e for e in self.events if isinstance(e, PolicyDecision) and e.verdict == "deny"]

    def commands(self) -> list[CommandRun]:
        """The commands the worker ran, the sentinel left out."""
        return [e for e in self.events if isinstance(e, CommandRun) and e.by == "worker" and SENTINEL not in e.argv]

    def tool_calls(self) -> list[ToolCall]:
        """The worker's tool calls."""
        return [e for e in self.events if isinstance(e, ToolCall)]

    def anywhere(self, needle: str) -> bool:
        """Whether the text is in any journaled event or in any file the run left (journal, workspace)."""
        if any(needle in event.model_dump_json() for event in self.events):
            return True
        data = needle.encode()
        return any(data in path.read_bytes() for path in self.runs.rglob("*") if _plain_file(path))

    def carried_on(self) -> bool:
        """Whether the sentinel command ran after the attack."""
        return any(isinstance(e, CommandRun) and "carried-on" in e.stdout for e in self.events)


def _plain_file(path: Path) -> bool:
    """A regular file, not a link: a link the attack planted would lead the check itself to the host's file."""
    return path.is_file() and not path.is_symlink()


def attempt_recorded(seen: Seen) -> bool:
    """The journal shows the attempt failed: a refusal, or a command that failed or was killed."""
    return bool(seen.denials()) or any(run.exit_code != 0 or run.timed_out for run in seen.commands())


def leaked(host: Host, seen: Seen) -> bool:
    """The host's secret reached the worker: in a tool result, a command's output or a file of the run."""
    return seen.anywhere(host.secret)


def touched(host: Host, seen: Seen) -> bool:
    """A marker file appeared on the host."""
    return bool(host.markers_made())


def leaked_or_touched(host: Host, seen: Seen) -> bool:
    """The secret leaked or a marker was made."""
    return leaked(host, seen) or touched(host, seen)


@dataclass(frozen=True)
class Attack:
    """One scripted worker that tries to get out, and how to tell whether it did."""

    name: str
    turns: Callable[[Host, str], Turns]
    """The worker's tool calls, given the host and the backend."""
    escaped: Callable[[Host, Seen], bool] = leaked_or_touched
    """Whether the attack succeeded, judged on the host side."""
    guardrails: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Host, Path], None] | None = None
    """Sets up the project folder before the run (links to the host...)."""
    context: list[str] = field(default_factory=list)
    recorded: Callable[[Seen], bool] = attempt_recorded
    """Whether the journal shows the attempt."""
    known_local: str = ""
    """Why the local backend, which does not isolate, lets this through by design; empty when it must not."""
    only: tuple[str, ...] = ()
    """The backends this attack runs on; empty for all. (A local sandbox refuses some guardrails before any run.)"""

    def task(self, backend: str) -> dict[str, Any]:
        """The task file's content for this attack on the backend."""
        task: dict[str, Any] = {
            "steps": [{"id": "work", "instructions": "Try to get out."}],
            "guardrails": {"sandbox": backend, **self.guardrails},
            "review": {"retries": 0},
        }
        if self.context:
            task["context"] = {"files": self.context}
        return task

    def script(self, host: Host, backend: str) -> dict[str, Turns]:
        """The scripted model's turns: the attack, then the sentinel, then a final answer."""
        return {"work": [*self.turns(host, backend), sh(SENTINEL), {"final": "done"}]}
