"""MCP tools for workers: a step's servers started with it and closed with it, every call policed and journaled.

A server is a tool provider the person chose to trust: a `command` server runs on the host, outside the sandbox,
with only the host variables its task entry lists (and PATH, HOME and the like; never a model API key). What is
policed is each call: the server's `tools` rules allow it, put it to a person (on a terminal, or by pausing the run
for `interns approve`, exactly like the built-in tools), or refuse it with the rule named. The worker sees a
server's tools as `<server>_<tool>`; the journal names them `mcp:<server>.<tool>`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from pydantic_ai import RunContext
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.toolsets import AbstractToolset, WrapperToolset
from pydantic_ai.toolsets.abstract import ToolsetTool

from interns.agents.policy.decisions import Decision
from interns.agents.policy.mcp_rules import judge_mcp_call
from interns.agents.worker.tools import WorkerDeps, clip, permitted
from interns.errors import EnvironmentProblem
from interns.journal import ToolCall
from interns.tasks import McpServer

if TYPE_CHECKING:
    from pydantic_ai.mcp import MCPToolset

__all__ = ["BASIC_VARIABLES", "McpServerError", "McpServers", "judge_call", "server_env"]

BASIC_VARIABLES = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LC_ALL", "TMPDIR")
"""Host variables every `command` server gets, so that a program can be found and run; the task adds others by name."""

START_SECONDS = 30.0
"""How long a server may take to start and answer MCP's handshake."""


class McpServerError(EnvironmentProblem):
    """An MCP server that could not be started: its command failed, or it did not answer the handshake in time."""


def judge_call(server: McpServer, tool: str, args: dict[str, Any]) -> Decision:
    """The policy on a call of the server's `tool` (its own name, unprefixed), its arguments shown clipped."""
    return judge_mcp_call(server, tool, clip(json.dumps(args, ensure_ascii=False, default=str), 1_000))


def server_env(server: McpServer, withheld: frozenset[str]) -> dict[str, str]:
    """The environment a `command` server starts with: the basic variables and those it lists, less `withheld`."""
    names = [*BASIC_VARIABLES, *server.env]
    return {name: os.environ[name] for name in names if name in os.environ and name not in withheld}


@dataclass
class _PolicedToolset(WrapperToolset[WorkerDeps]):
    """One server's tools, each call judged by its rules, asked about when they say so, and journaled."""

    server: McpServer

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[WorkerDeps], tool: ToolsetTool[WorkerDeps]
    ) -> Any:
        """Run the call if the rules (or a person) allow it; otherwise return the refusal the model sees."""
        label = f"mcp:{self.server.name}.{name}"
        if refusal := await permitted(ctx, label, judge_call(self.server, name, tool_args)):
            self._journal(ctx, label, tool_args, False, refusal)
            return refusal
        try:
            result = await super().call_tool(name, tool_args, ctx, tool)
        except ToolFailed as failure:
            self._journal(ctx, label, tool_args, False, str(failure))
            raise
        self._journal(ctx, label, tool_args, True, _as_text(result))
        return clip(result) if isinstance(result, str) else result

    @staticmethod
    def _journal(ctx: RunContext[WorkerDeps], label: str, args: dict[str, Any], ok: bool, result: str) -> None:
        ctx.deps.record(ToolCall(step=ctx.deps.step, tool=label, args=args, ok=ok, result=clip(result, 4_000)))


class McpServers:
    """The MCP servers of one step: their toolsets for the worker, started together and closed together."""

    def __init__(self, servers: Sequence[McpServer], *, withheld: frozenset[str] = frozenset()) -> None:
        self.servers = list(servers)
        self._stack = AsyncExitStack()
        self._logs: dict[str, IO[str]] = {}
        self.toolsets: list[AbstractToolset[WorkerDeps]] = [
            _PolicedToolset(self._connection(server, withheld), server=server).prefixed(server.name)
            for server in self.servers
        ]

    def _connection(self, server: McpServer, withheld: frozenset[str]) -> MCPToolset[WorkerDeps]:
        # Imported here: the MCP client takes seconds to import, which every `interns` command would pay otherwise.
        from fastmcp.client.transports import StdioTransport
        from pydantic_ai.mcp import MCPToolset

        if server.command is None:
            client: Any = server.url
        else:
            # The server's stderr goes to a file, not over the person's terminal; its tail explains a failed start.
            log = self._stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"))  # noqa: SIM115
            self._logs[server.name] = log
            program, *args = server.command
            env, cwd = server_env(server, withheld), str(server.cwd)
            client = StdioTransport(program, args, env=env, cwd=cwd, keep_alive=False, log_file=log)
        return MCPToolset(client, id=server.name, tool_error_behavior="failed", init_timeout=START_SECONDS)

    async def start(self) -> None:
        """Start every server and complete its handshake; McpServerError names the first that fails."""
        for server, toolset in zip(self.servers, self.toolsets, strict=True):
            try:
                await self._stack.enter_async_context(toolset)
            except Exception as error:  # any failure to start (a missing program, a crash, a timeout) is the server's
                raise McpServerError(f"MCP server '{server.name}' did not start: {self._why(server, error)}") from error

    async def aclose(self) -> None:
        """Close every started server (a `command` server's process ends with it)."""
        await self._stack.aclose()

    def _why(self, server: McpServer, error: BaseException) -> str:
        while isinstance(error, BaseExceptionGroup) and error.exceptions:
            error = error.exceptions[0]
        why = str(error) or type(error).__name__
        log = self._logs.get(server.name)
        if log is not None:
            log.seek(0)
            if tail := log.read()[-1_000:].strip():
                why += f"; its last output: {tail}"
        return why


def _as_text(result: object) -> str:
    """A tool's result as the journal keeps it: text as it is, anything else as JSON."""
    if isinstance(result, str):
        return result
    return json.dumps(result, ensure_ascii=False, default=str)
