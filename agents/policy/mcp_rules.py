"""The policy on MCP tool calls: each server's `tools: {allow, ask, deny}` rules, read as every rule list is."""

from __future__ import annotations

from fnmatch import fnmatchcase

from interns.agents.policy.decisions import Decision
from interns.agents.policy.rules import first_rule
from interns.tasks import McpServer

__all__ = ["judge_mcp_call"]


def judge_mcp_call(server: McpServer, tool: str, target: str) -> Decision:
    """The server's tool rules on a call of `tool` (its own name, unprefixed; `target` shows its arguments)."""
    rules, name = server.tools, tool.lower()
    hit = first_rule(
        f"mcp.{server.name}.tools",
        deny=rules.deny,
        ask=rules.ask,
        allow=rules.allow,
        could_match=lambda pattern: fnmatchcase(name, pattern.lower()),
    )
    what = f"the MCP tool '{tool}' of server '{server.name}'"
    if hit.pattern is None:
        allowed = ", ".join(f"'{pattern}'" for pattern in rules.allow) or "none"
        return Decision("deny", hit.rule, f"{what} matches no allow rule; allowed tools: {allowed}", target)
    reason = f"{what} matches the {hit.verdict} rule '{hit.pattern}'"
    if hit.verdict == "ask" and "ask" not in rules.model_fields_set:
        reason += " (by default, tools that send, post, delete or change things need a person's yes)"
    return Decision(hit.verdict, hit.rule, reason, target)
