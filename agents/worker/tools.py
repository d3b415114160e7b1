"""The worker's tools: read, write, edit, list, search and run, each checked by the policy and run in the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import RunContext, Tool
from pydantic_ai.exceptions import ApprovalRequired

from interns.agents.checks.runner import command_run
from interns.agents.gate.approval import Asker
from interns.agents.policy.decisions import Decision, Policy, Verdict
from interns.agents.tracing.spans import traced_exec
from interns.journal import ApprovalRequested, Event, PolicyDecision, ToolCall
from interns.sandbox import ExecResult, Sandbox

__all__ = ["MODEL_OUTPUT_LIMIT", "WorkerDeps", "clip", "permitted", "worker_tools"]

MODEL_OUTPUT_LIMIT = 12_000
"""Characters of a tool's result the model sees; the journal keeps more."""


@dataclass
class WorkerDeps:
    """What a worker's tools act on: its step, sandbox, policy, the person to ask, and the journal."""

    step: str
    attempt: int
    sandbox: Sandbox
    policy: Policy
    asker: Asker
    record: Callable[[Event], Any]
    command_timeout: float
    always: set[tuple[str, str]] = field(default_factory=set)
    """(tool, target) pairs a person approved for the rest of the run; shared by all of its steps."""
    changing: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held by each call that may change the workspace (write, edit, run): a model may send many calls in one turn,
    and pydantic-ai runs them side by side, so an edit's read and write must not interleave with another change."""


def clip(text: str, limit: int = MODEL_OUTPUT_LIMIT) -> str:
    """Keep the head and tail of a long text, saying how much was left out."""
    if len(text) <= limit:
        return text
    head, tail = text[: limit // 2], text[-limit // 2 :]
    return f"{head}\n[... {len(text) - len(head) - len(tail)} characters left out ...]\n{tail}"


async def permitted(ctx: RunContext[WorkerDeps], tool: str, decision: Decision) -> str | None:
    """Journal the policy's decision, asking a person for `ask`; return the refusal the model sees, or None."""
    deps = ctx.deps
    verdict, reason, asked = decision.verdict, decision.reason, False
    if verdict == "ask":
        verdict, reason = await _ask(ctx, tool, decision)
        asked = True
    deps.record(
        PolicyDecision(
            step=deps.step,
            tool=tool,
            target=decision.target,
            verdict=verdict,
            rule=decision.rule,
            reason=reason,
            asked=asked,
        )
    )
    if verdict == "allow":
        return None
    return f"Refused by policy ({decision.rule}): {reason}"


async def _ask(ctx: RunContext[WorkerDeps], tool: str, decision: Decision) -> tuple[Verdict, str]:
    """A person's verdict on an `ask`; with no one at a terminal, pause the worker until `interns approve` answers."""
    deps = ctx.deps
    if ctx.tool_call_approved:  # the run waited, and a person said yes with `interns approve`
        return "allow", f"{decision.reason}; approved with interns approve"
    if (tool, decision.target) in deps.always:
        return "allow", f"{decision.reason}; approved earlier for the rest of this run"
    if not deps.asker.interactive:
        deps.record(
            ApprovalRequested(
                step=deps.step,
                attempt=deps.attempt,
                call_id=ctx.tool_call_id or "",
                tool=tool,
                target=decision.target,
                rule=decision.rule,
                reason=decision.reason,
            )
        )
        raise ApprovalRequired(metadata={"tool": tool, "target": decision.target, "rule": decision.rule})
    argv = ["bash", "-c", decision.target] if tool == "run" else []  # what `run` executes, shown one arg a line
    answer = await deps.asker.ask(f"The worker on step '{deps.step}' wants to {tool}:", decision.target, argv)
    if answer.always:
        deps.always.add((tool, decision.target))
    return ("allow" if answer.approved else "deny"), f"{decision.reason}; {answer.reason}"


def _journal_call(
    ctx: RunContext[WorkerDeps], tool: str, args: dict[str, Any], ok: bool, result: str, line: int | None = None
) -> str:
    ctx.deps.record(ToolCall(step=ctx.deps.step, tool=tool, args=args, ok=ok, result=clip(result, 4_000), line=line))
    return result


async def _exec(ctx: RunContext[WorkerDeps], argv: list[str], stdin: bytes | None = None) -> ExecResult:
    result = await traced_exec(ctx.deps.sandbox, argv, by="worker", stdin=stdin, timeout=ctx.deps.command_timeout)
    ctx.deps.record(command_run(argv, result, step=ctx.deps.step, by="worker"))
    return result


async def read(ctx: RunContext[WorkerDeps], path: str, offset: int = 1, limit: int = 400) -> str:
    """Read a text file of the workspace, with line numbers.

    Args:
        path: Path relative to the workspace root.
        offset: First line to show, from 1.
        limit: Most lines to show.
    """
    args = {"path": path, "offset": offset, "limit": limit}
    decision = ctx.deps.policy.check_read(path)
    if refusal := await permitted(ctx, "read", decision):
        return _journal_call(ctx, "read", args, False, refusal)
    try:
        data = await ctx.deps.sandbox.read_file(decision.target)
    except OSError as exc:
        return _journal_call(ctx, "read", args, False, f"Cannot read {decision.target}: {exc.strerror or exc}")
    lines = data.decode("utf-8", errors="replace").splitlines()
    start = max(offset, 1)
    shown = lines[start - 1 : start - 1 + max(limit, 1)]
    body = "\n".join(f"{start + i:>5}  {line}" for i, line in enumerate(shown))
    more = len(lines) - (start - 1 + len(shown))
    if more > 0:
        body += f"\n[... {more} more lines; read again with offset={start + len(shown)} ...]"
    return _journal_call(ctx, "read", args, True, clip(body) or "(empty file)")


async def write(ctx: RunContext[WorkerDeps], path: str, content: str) -> str:
    """Create a file or replace its whole content.

    Args:
        path: Path relative to the workspace root.
        content: The complete new content of the file.
    """
    args = {"path": path, "content": clip(content, 2_000)}
    decision = ctx.deps.policy.check_write(path)
    if refusal := await permitted(ctx, "write", decision):
        return _journal_call(ctx, "write", args, False, refusal)
    try:
        async with ctx.deps.changing:
            await ctx.deps.sandbox.write_file(decision.target, content.encode())
    except OSError as exc:
        return _journal_call(ctx, "write", args, False, f"Cannot write {decision.target}: {exc.strerror or exc}")
    return _journal_call(ctx, "write", args, True, f"Wrote {len(content.splitlines())} lines to {decision.target}.")


async def edit(ctx: RunContext[WorkerDeps], path: str, old: str, new: str) -> str:
    """Replace one snippet of a file with another; the old snippet must occur exactly once.

    Args:
        path: Path relative to the workspace root.
        old: The exact text to replace, long enough to be unique in the file.
        new: The text to put in its place.
    """
    args = {"path": path, "old": clip(old, 2_000), "new": clip(new, 2_000)}
    decision = ctx.deps.policy.check_write(path)
    if refusal := await permitted(ctx, "edit", decision):
        return _journal_call(ctx, "edit", args, False, refusal)
    async with ctx.deps.changing:
        return await _edit_file(ctx, decision.target, old, new, args)


async def _edit_file(ctx: RunContext[WorkerDeps], target: str, old: str, new: str, args: dict[str, Any]) -> str:
    """Replace the one occurrence of `old` in the file, read and written while no other change runs."""
    try:
        text = (await ctx.deps.sandbox.read_file(target)).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _journal_call(ctx, "edit", args, False, f"Cannot edit {target}: {exc}")
    count = text.count(old) if old else 0
    if count != 1:
        why = "does not occur" if count == 0 else f"occurs {count} times; include more context to make it unique"
        return _journal_call(ctx, "edit", args, False, f"Not edited: the old snippet {why} in {target}.")
    try:
        await ctx.deps.sandbox.write_file(target, text.replace(old, new, 1).encode())
    except OSError as exc:
        return _journal_call(ctx, "edit", args, False, f"Cannot write {target}: {exc.strerror or exc}")
    line = text[: text.index(old)].count("\n") + 1  # for the reviewer: the edit's diff shows the file's line numbers
    return _journal_call(ctx, "edit", args, True, f"Edited {target}.", line)


async def list_files(ctx: RunContext[WorkerDeps], path: str = ".", depth: int = 3) -> str:
    """List files and folders under a folder of the workspace.

    Args:
        path: Folder relative to the workspace root.
        depth: How many levels deep to list.
    """
    args = {"path": path, "depth": depth}
    decision = ctx.deps.policy.check_read(path)
    if refusal := await permitted(ctx, "list", decision):
        return _journal_call(ctx, "list", args, False, refusal)
    argv = ["find", decision.target or ".", "-mindepth", "1", "-maxdepth", str(max(depth, 1))]
    argv += ["-not", "-path", "*/.git/*", "-not", "-name", ".git", "-printf", "%y %P\n"]
    result = await _exec(ctx, argv)
    if not result.ok:
        return _journal_call(ctx, "list", args, False, f"Cannot list {decision.target}: {result.stderr.strip()}")
    entries = sorted(
        line.replace("d ", "", 1) + "/" if line.startswith("d ") else line[2:] for line in result.stdout.splitlines()
    )
    return _journal_call(ctx, "list", args, True, clip("\n".join(entries)) or "(empty folder)")


async def search(ctx: RunContext[WorkerDeps], pattern: str, path: str = ".", glob: str | None = None) -> str:
    """Search file contents for a regular expression (extended grep syntax); shows matching lines with numbers.

    Args:
        pattern: The regular expression to look for.
        path: File or folder to search, relative to the workspace root.
        glob: Only search files whose name matches this glob, such as '*.py'.
    """
    args = {"pattern": pattern, "path": path, "glob": glob}
    decision = ctx.deps.policy.check_read(path)
    if refusal := await permitted(ctx, "search", decision):
        return _journal_call(ctx, "search", args, False, refusal)
    argv = ["grep", "-rnIE", "--exclude-dir=.git", "--max-count=50"]
    argv += [f"--include={glob}"] if glob else []
    argv += ["-e", pattern, "--", decision.target or "."]
    result = await _exec(ctx, argv)
    if result.exit_code == 1:
        return _journal_call(ctx, "search", args, True, "No matches.")
    if not result.ok:
        return _journal_call(ctx, "search", args, False, f"Search failed: {result.stderr.strip()}")
    return _journal_call(ctx, "search", args, True, clip(result.stdout))


async def run(ctx: RunContext[WorkerDeps], command: str) -> str:
    """Run a shell command in the workspace (bash, inside the sandbox); returns its exit code and output.

    Args:
        command: The command line, as you would type it in a terminal.
    """
    args = {"command": command}
    decision = ctx.deps.policy.check_command(command)
    if refusal := await permitted(ctx, "run", decision):
        return _journal_call(ctx, "run", args, False, refusal)
    async with ctx.deps.changing:
        result = await _exec(ctx, ["bash", "-c", command])
    status = "timed out and was killed" if result.timed_out else f"exit code {result.exit_code}"
    body = f"[{status}]\n{result.stdout}"
    if result.stderr:
        body += f"\n[stderr]\n{result.stderr}"
    if result.truncated:
        body += "\n[output was cut short]"
    return _journal_call(ctx, "run", args, result.ok, clip(body))


_TOOLS: dict[str, Tool[WorkerDeps]] = {
    "read": Tool(read, takes_ctx=True),
    "write": Tool(write, takes_ctx=True),
    "edit": Tool(edit, takes_ctx=True),
    "list": Tool(list_files, name="list", takes_ctx=True),
    "search": Tool(search, takes_ctx=True),
    "run": Tool(run, takes_ctx=True),
}


def worker_tools(names: Sequence[str]) -> list[Tool[WorkerDeps]]:
    """The tools a step may use, by their task-file names."""
    return [_TOOLS[name] for name in names]
