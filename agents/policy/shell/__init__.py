"""Shell command lines as the policy judges them: every simple command that would run, with nesting unwrapped.

A worker's command line runs under `bash -c`, so the policy must judge what bash would run, not the raw string.
The parser follows bash's grammar far enough to find every simple command: in lists and pipelines, subshells and
groups, `if`/`while`/`for` bodies, `$(...)`, backquotes, `<(...)`, `>(...)`, `${...}`, arithmetic and
here-documents. It then looks inside commands that run other commands: wrappers (`env`, `timeout`, `xargs`,
`sudo`, `find -exec`, ...; see `wrappers.py`) and shells given a command string (`bash -c`, `eval`, `trap`,
`alias`; see `shells.py`); a program given commands in its own language (`make --eval`, `gdb -ex`, `vim -c`; see
`opaque.py`) adds a command only known when it runs. Parts only known when the line runs (`$X`, globs, brace
lists, `~`) stay visible as `Expansion`s, which the matcher treats as holes. A line it cannot read with certainty
raises `CommandParseError` and must not run. Out of its sight, and bounded only by the sandbox: the contents of
scripts and programs a command runs (`bash build.sh`, `python -c ...`, a makefile).
"""

from interns.agents.policy.shell.model import Command, CommandParseError, Expansion, Text, Word
from interns.agents.policy.shell.walk import Walk

__all__ = ["Command", "CommandParseError", "Expansion", "Text", "Word", "parse_command", "parse_line"]


def parse_line(line: str) -> list[Command]:
    """Every simple command the line would run, outermost first, wrapped commands after their wrappers."""
    if "\x00" in line:
        raise CommandParseError("the line contains a NUL byte")
    walk = Walk()
    walk.line(line, 0)
    return walk.commands


def parse_command(line: str) -> list[list[str]]:
    """The argv of every simple command the line would run (see `parse_line`), as written."""
    return [command.argv for command in parse_line(line)]
