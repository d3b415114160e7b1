"""The worker policy: each tool call is allowed, put to a person, or denied with a reason, before it runs.

The policy fails closed. A path is judged by where it really is (`..` and symbolic links resolved against the
workspace on the host), a command line by every command it would run (see `agents.shell`), and anything
that cannot be judged with certainty is denied. Tools must act on `Decision.target`, the normalized path the
policy judged, never on the path the model wrote.

Command rules are fnmatch-style patterns over a command's argv joined by single spaces (see `agents.globs`);
a pattern ending in ` *` also matches the command alone, so `git push *` denies a bare `git push` too.
Every command a line would run must match an `allow` rule; deny wins over ask, ask over allow. A git command is
also judged as the command git really runs (see `agents.policy.git_commands`), and a command the policy cannot
read (an alias, `gdb -ex ...`) as one only known when it runs: any deny or ask rule could match it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from interns.agents.policy.git_commands import as_git_runs
from interns.agents.policy.globs import Hole, always_matches, could_match, matches
from interns.agents.policy.rules import Verdict, first_rule
from interns.agents.policy.shell import Command, CommandParseError, parse_line
from interns.sandbox import InputView
from interns.sandbox.base import WORKSPACE_MOUNT
from interns.tasks.spec import Guardrails

__all__ = ["Decision", "Policy", "Verdict"]

_SEVERITY: dict[Verdict, int] = {"allow": 0, "ask": 1, "deny": 2}
_BOUNDARY = "workspace boundary"


@dataclass(frozen=True)
class Decision:
    """The policy's verdict on one tool call, the rule that decided it, and a reason the model is shown."""

    verdict: Verdict
    rule: str
    """Which rule decided, e.g. `guardrails.commands.deny[0]: git push *`, `guardrails.write`, `workspace boundary`."""
    reason: str
    """One sentence for the model (and the journal) saying why."""
    target: str
    """What was judged: a normalized workspace-relative path (`.` for the root), the tool, or the command line."""


@dataclass(frozen=True)
class _Place:
    """A path inside the workspace: as normalized from what the model wrote, and where it really leads."""

    target: str
    real: str


class Policy:
    """Judges one worker's tool calls against its step's tools and the task's guardrails."""

    def __init__(
        self, guardrails: Guardrails, tools: Sequence[str], workspace: Path, view: InputView | None = None
    ) -> None:
        self.guardrails = guardrails
        self.tools = tuple(tools)
        self.workspace = Path(os.path.abspath(workspace))
        self._real_root = os.path.realpath(self.workspace)
        # With a view, the inputs are bound read-only over the workspace: a path under one is judged where it is.
        self._view = view
        roots = {self.workspace.as_posix(), Path(self._real_root).as_posix(), WORKSPACE_MOUNT}
        # the longest first, so a host workspace under /workspace maps by its own path
        self._roots = sorted((_segments(root) for root in roots), key=len, reverse=True)

    def check_tool(self, tool: str) -> Decision:
        """Whether the step may use this tool at all."""
        if tool in self.tools:
            return Decision("allow", "step.tools", f"'{tool}' is one of this step's tools", tool)
        allowed = ", ".join(self.tools) or "none"
        return Decision("deny", "step.tools", f"this step may not use '{tool}'; its tools are: {allowed}", tool)

    def check_read(self, path: str) -> Decision:
        """Reads stay inside the workspace and match a read glob; the workspace root itself may be listed."""
        place = self._locate(path)
        if isinstance(place, Decision):
            return place
        target, patterns = place.target, self.guardrails.read
        if target != "." and matches(target, patterns) is None:
            listed = ", ".join(f"'{p}'" for p in patterns)
            reason = f"'{target}' matches none of the paths workers may read: {listed}"
            return Decision("deny", "guardrails.read", reason, target)
        return Decision("allow", "guardrails.read", f"'{target}' is inside the workspace", target)

    def check_write(self, path: str) -> Decision:
        """Writes stay in the workspace and out of `.git`, and match a write glob, as must where a symlink leads."""
        place = self._locate(path)
        if isinstance(place, Decision):
            return place
        target = place.target
        if target == ".":
            return Decision("deny", "guardrails.write", "the workspace root is a folder, not a file to write", target)
        if any(segment.lower() == ".git" for where in (target, place.real) for segment in where.split("/")):
            return Decision("deny", "git metadata", f"'{target}' is inside .git, which workers never change", target)
        patterns = self.guardrails.write
        listed = ", ".join(f"'{pattern}'" for pattern in patterns) or "none"
        pattern = matches(target, patterns)
        if pattern is None:
            reason = f"'{target}' matches none of the paths workers may write: {listed}"
            return Decision("deny", "guardrails.write", reason, target)
        if place.real != target and matches(place.real, patterns) is None:
            reason = f"'{target}' is a symbolic link to '{place.real}', which matches none of the paths: {listed}"
            return Decision("deny", "guardrails.write", reason, target)
        index = patterns.index(pattern)
        reason = f"'{target}' matches the write rule '{pattern}'"
        return Decision("allow", f"guardrails.write[{index}]: {pattern}", reason, target)

    def check_command(self, command: str) -> Decision:
        """Judge every command the line would run; the strictest verdict wins, and an unreadable line is denied."""
        try:
            commands = as_git_runs(parse_line(command), command)
        except CommandParseError as error:
            reason = f"the command line cannot be checked: {error}"
            return Decision("deny", "unparseable command", reason, command)
        if not commands:
            return Decision("allow", "guardrails.commands", "the line runs no command", command)
        decisions = [self._judge(part) for part in commands]
        worst = max(decisions, key=lambda decision: _SEVERITY[decision.verdict])
        if worst.verdict != "allow":
            return replace(worst, target=command)
        rules = dict.fromkeys(decision.rule for decision in decisions)
        reasons = dict.fromkeys(decision.reason for decision in decisions)
        return Decision("allow", "; ".join(rules), "; ".join(reasons), command)

    def _judge(self, command: Command) -> Decision:
        """The verdict on one simple command: deny and ask rules that could match it, else an allow rule that must."""
        subject = command.subject()
        text = command.text()
        known = not any(isinstance(item, Hole) for item in subject)
        rules = self.guardrails.commands
        hit = first_rule(
            "guardrails.commands",
            deny=rules.deny,
            ask=rules.ask,
            allow=rules.allow,
            could_match=lambda pattern: could_match(pattern, subject),
            surely_matches=lambda pattern: always_matches(pattern, subject),
        )
        if hit.pattern is None:
            allowed = ", ".join(f"'{pattern}'" for pattern in rules.allow) or "none"
            how = (
                "matches no allow rule"
                if known
                else "is partly known only when it runs, so no allow rule surely covers it"
            )
            reason = f"'{text}' {how}; allowed commands: {allowed}" + _because(command)
            return Decision("deny", hit.rule, reason, text)
        if hit.verdict == "allow":
            return Decision("allow", hit.rule, f"'{text}' matches the allow rule '{hit.pattern}'", text)
        how = "matches" if known else "could match, with what is only known when it runs,"
        reason = f"'{text}' {how} the {hit.verdict} rule '{hit.pattern}'" + _because(command)
        return Decision(hit.verdict, hit.rule, reason, text)

    def _locate(self, path: str) -> _Place | Decision:
        """Normalize a path the model gave and check it stays in the workspace, through `..` and symbolic links."""
        if "\x00" in path:
            return Decision("deny", _BOUNDARY, "the path contains a NUL byte", path.replace("\x00", "\\0"))
        if path.startswith("/"):
            absolute = _segments(path)
            inside = next((absolute[len(root) :] for root in self._roots if absolute[: len(root)] == root), None)
            if inside is None:
                reason = f"'{path}' is outside the workspace; give a path relative to the workspace root"
                return Decision("deny", _BOUNDARY, reason, path)
            relative = inside
        else:
            relative = []
            for segment in path.split("/"):
                if segment == "..":
                    if not relative:
                        return Decision("deny", _BOUNDARY, f"'{path}' leads out of the workspace through '..'", path)
                    relative.pop()
                elif segment not in ("", "."):
                    relative.append(segment)
        target = "/".join(relative) or "."
        root = self._real_root
        if self._view is not None and relative and self._view.owner(target) == self._view.source:
            root = os.path.realpath(self._view.source)
        real = os.path.realpath(os.path.join(root, *relative))
        if real != root and not real.startswith(root.rstrip("/") + "/"):
            reason = f"'{target}' leads out of the workspace through a symbolic link"
            return Decision("deny", _BOUNDARY, reason, target)
        return _Place(target, Path(os.path.relpath(real, root)).as_posix())


def _because(command: Command) -> str:
    """The note on how the policy read the command, as the end of a reason."""
    return f" ({command.note})" if command.note else ""


def _segments(absolute: str) -> list[str]:
    """The segments of an absolute posix path with `.` and `..` resolved lexically (`..` stops at `/`)."""
    segments: list[str] = []
    for segment in absolute.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    return segments
