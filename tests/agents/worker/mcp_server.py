"""A tiny MCP server over stdio, for the tests: look a word up, send a message (to a file), report a variable,
hold on (to be cancelled).

`send_message` appends to the file named by the `MCP_OUTBOX` environment variable, so a test can see what the server
really received; `env_value` tells which host variables reached the server.
"""

from __future__ import annotations

import os
import time

from mcp.server.mcpserver import MCPServer

server = MCPServer("test-tools")

WORDS = {"sandbox": "a place where commands run apart from the host"}


@server.tool()
def lookup(word: str) -> str:
    """Look up the meaning of a word."""
    return WORDS.get(word, f"no entry for {word!r}")


@server.tool()
def send_message(to: str, text: str) -> str:
    """Send a message to someone."""
    with open(os.environ["MCP_OUTBOX"], "a", encoding="utf-8") as outbox:
        outbox.write(f"{to}: {text}\n")
    return f"sent to {to}"


@server.tool()
def hold(seconds: float) -> str:
    """Write this server's process id to the outbox, then wait."""
    with open(os.environ["MCP_OUTBOX"], "a", encoding="utf-8") as outbox:
        outbox.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return "held"


@server.tool()
def wipe_records() -> str:
    """Delete every record."""
    return "wiped"


@server.tool()
def env_value(name: str) -> str:
    """The value of an environment variable of the server, or `<unset>`."""
    return os.environ.get(name, "<unset>")


if __name__ == "__main__":
    server.run()
