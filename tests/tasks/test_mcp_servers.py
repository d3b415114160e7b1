"""MCP servers in a task file: their defaults, paths resolved from the task file, and problems at their lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from interns import tasks

ProblemsOf = Callable[[Path], list[tuple[int | None, str, str]]]

HEAD = "version: 1\nname: demo\ngoal: Do the thing.\nworkspace: {folder: data}\n"
"""The four required keys, valid, on lines 1-4; tests add lines from line 5 on."""


def test_servers_load_with_the_default_rules_and_paths_from_the_task_file(write_task: Callable[..., Path]) -> None:
    path = write_task(
        HEAD
        + "mcp:\n"
        + "  - {name: mail, command: [./bin/mail-server, --quiet], env: [MAIL_TOKEN]}\n"
        + "  - {name: wiki, url: 'https://wiki.example/mcp', tools: {ask: [], deny: ['purge*']}}\n"
        + "  - {name: notes, command: [python3, notes.py], cwd: tools}\n"
        + "steps:\n"
        + "  - {id: read, instructions: Read the wiki., mcp: [wiki]}\n"
        + "  - {id: all, instructions: Use everything.}\n",
        name="tasks/task.yaml",
    )

    spec = tasks.load(path)

    mail, wiki, notes = spec.mcp
    folder = path.parent
    assert mail.command == [str(folder / "bin" / "mail-server"), "--quiet"]
    assert mail.cwd == folder and mail.env == ["MAIL_TOKEN"]
    assert mail.tools.allow == ["*"] and mail.tools.ask == list(tasks.DEFAULT_ASK) and mail.tools.deny == []
    assert (wiki.url, wiki.tools.ask, wiki.tools.deny) == ("https://wiki.example/mcp", [], ["purge*"])
    assert notes.command == ["python3", "notes.py"], "a program found on PATH is left as written"
    assert notes.cwd == folder / "tools"
    read, everything = spec.steps
    assert [s.name for s in tasks.servers_for(spec.mcp, read.mcp)] == ["wiki"]
    assert [s.name for s in tasks.servers_for(spec.mcp, everything.mcp)] == ["mail", "wiki", "notes"]


def test_the_default_ask_rules_cover_tools_that_act_beyond_the_workspace() -> None:
    from fnmatch import fnmatchcase

    def asked(tool: str) -> bool:
        return any(fnmatchcase(tool.lower(), pattern) for pattern in tasks.DEFAULT_ASK)

    outward = ["send_message", "create_issue", "post_comment", "delete_file", "publish", "upload_blob", "git_push"]
    assert [tool for tool in outward if not asked(tool)] == []
    assert [tool for tool in ["lookup", "search_docs", "get_issue", "list_files", "read_page"] if asked(tool)] == []


def test_a_step_naming_an_unknown_server_is_a_problem_at_its_line(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    path = write_task(
        HEAD
        + "mcp:\n"
        + "  - {name: mail, command: [mail-server]}\n"
        + "steps:\n"
        + "  - id: send\n"
        + "    instructions: Send it.\n"
        + "    mcp: [mail, maill]\n"
    )

    assert problems(path) == [
        (10, "steps[0].mcp[1]", "the task has no MCP server 'maill' (did you mean 'mail'?); its servers: 'mail'")
    ]


def test_a_server_name_used_twice_is_a_problem(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    path = write_task(HEAD + "mcp:\n  - {name: mail, command: [a]}\n  - {name: mail, url: 'http://localhost:9/mcp'}\n")

    assert problems(path) == [(7, "mcp[1].name", "duplicate MCP server name 'mail' (first used at line 6)")]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{name: mail}", "an MCP server needs either `command` (a stdio server) or `url` (an HTTP server)"),
        (
            "{name: mail, command: [a], url: 'http://localhost:9/mcp'}",
            "an MCP server needs either `command` (a stdio server) or `url` (an HTTP server)",
        ),
        (
            "{name: mail, url: 'http://localhost:9/mcp', env: [X]}",
            "`env` is for a `command` server; an HTTP server gets none",
        ),
    ],
)
def test_a_server_needs_exactly_one_way_to_reach_it(
    write_task: Callable[..., Path], problems: ProblemsOf, entry: str, message: str
) -> None:
    path = write_task(HEAD + f"mcp:\n  - {entry}\n")

    assert problems(path) == [(6, "mcp[0]", message)]


def test_an_unknown_key_in_a_servers_rules_is_named(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    path = write_task(HEAD + "mcp:\n  - name: mail\n    command: [a]\n    tools: {allow: ['*'], ask_for: [x]}\n")

    assert problems(path) == [(8, "mcp[0].tools.ask_for", "unknown key 'ask_for' (did you mean 'ask'?)")]
