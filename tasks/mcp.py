"""MCP servers a task attaches: how each starts, which host variables it gets, and the rules over its tools.

A worker sees a server's tools as `<server>_<tool>`. Every call is judged by the server's `tools` rules, which are
case-insensitive globs over the tool's own name (without the prefix): deny wins over ask, ask over allow, and a tool
matching no allow rule is denied. Unless a task sets `tools.ask`, `DEFAULT_ASK` applies: any tool whose name says it
sends, posts, publishes, uploads, deletes, writes or otherwise changes something outside the workspace needs a
person's yes.
"""

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from interns.tasks._types import Text

__all__ = ["DEFAULT_ASK", "McpServer", "McpToolRules", "ServerName", "servers_for"]

ServerName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
"""An MCP server's name in a task: it prefixes the server's tool names, so it is short and plain."""
_EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
_Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]

DEFAULT_ASK: tuple[str, ...] = (
    "*send*",
    "*post*",
    "*publish*",
    "*upload*",
    "*share*",
    "*invite*",
    "*comment*",
    "*reply*",
    "*delete*",
    "*remove*",
    "*destroy*",
    "*drop*",
    "*write*",
    "*create*",
    "*update*",
    "*edit*",
    "*patch*",
    "*push*",
    "*merge*",
    "*deploy*",
    "*move*",
    "*rename*",
    "*transfer*",
)
"""Tool-name globs that need a person's yes unless a task sets `tools.ask`: tools that act beyond the workspace."""


class _Model(BaseModel):
    """Strict, like the rest of the task file: unknown keys are errors, field docstrings describe the schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class McpToolRules(_Model):
    """Which of a server's tools run, need a person's yes, or never run: case-insensitive globs over tool names."""

    allow: list[Text] = ["*"]
    """Tools that may run; a tool matching no allow rule is denied."""
    ask: list[Text] = list(DEFAULT_ASK)
    """Tools that need a person's yes first; default: names that send, post, delete, write or change things."""
    deny: list[Text] = []
    """Tools that never run; deny wins over ask, ask over allow."""


class McpServer(_Model):
    """An MCP server whose tools workers may call: a command run on the host (stdio), or an HTTP URL."""

    name: ServerName
    """A short name: lowercase letters, digits, '-' and '_'; the worker sees its tools as `<name>_<tool>`."""
    command: list[Text] | None = Field(None, min_length=1)
    """The argv that starts a stdio server on the host; a relative program path resolves from the task file."""
    url: _Url | None = None
    """The http(s) URL of a streamable-HTTP server, in place of `command`."""
    cwd: Path = Path(".")
    """The folder a `command` server runs in, relative to the task file."""
    env: list[_EnvName] = []
    """Host environment variables a `command` server gets, besides PATH, HOME and the like; model API keys never."""
    tools: McpToolRules = McpToolRules()
    """Which of the server's tools run, which need a person's yes, which never run."""

    @model_validator(mode="after")
    def _one_transport(self) -> "McpServer":
        if (self.command is None) == (self.url is None):
            raise PydanticCustomError(
                "mcp_server", "an MCP server needs either `command` (a stdio server) or `url` (an HTTP server)"
            )
        if self.url is not None and self.env:
            raise PydanticCustomError("mcp_server", "`env` is for a `command` server; an HTTP server gets none")
        return self

    def resolved_from(self, folder: Path) -> "McpServer":
        """This server with `cwd`, and a program path with a '/' in it, made absolute from `folder` (`~` expanded).

        Symbolic links are kept: a virtual environment's `bin/python` is a link whose own path selects the environment.
        """
        command = self.command
        if command is not None and "/" in command[0]:
            command = [os.path.normpath(folder / Path(command[0]).expanduser()), *command[1:]]
        cwd = Path(os.path.normpath(folder / self.cwd.expanduser()))
        return self.model_copy(update={"command": command, "cwd": cwd})


def servers_for(servers: Sequence[McpServer], chosen: Sequence[str] | None) -> list[McpServer]:
    """The servers a step gets: those it names in its `mcp` list, or all of the task's when it names none."""
    if chosen is None:
        return list(servers)
    return [server for server in servers if server.name in chosen]
