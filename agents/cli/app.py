"""The `interns` command line: the app, its commands listed in the order a person meets them, and `main`.

Each command lives in a module of its own (`check`, `run`, `show`, `review`, `init`, `resume`, `replay`, `view`,
`stats`, `batch`, `eval`, `sandbox`), imported only when its command is asked for, so `interns runs` does not load
what `interns run` needs. Errors raised on purpose reach `main`, which prints them and exits with the code of who
must act.
"""

from __future__ import annotations

import gc
import importlib
import os
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo

from interns.agents.cli import collector
from interns.agents.cli.common import err, exit_code_of, out
from interns.agents.gate.visible import visible
from interns.agents.tracing.spans import setup_tracing, shutdown_tracing
from interns.errors import InternsError

__all__ = ["COMMANDS", "app", "main"]

COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("check", "check", "Validate task files and show their plans."),
    "schema": ("check", "schema", "Write the task-file JSON schema."),
    "run": ("run", "run", "Run a task file."),
    "runs": ("runs", "list_runs", "List runs, newest first."),
    "show": ("show", "show", "Show the timeline of a run."),
    "review": ("review", "review", "Accept, reject or retry a run."),
    "init": ("init", "init", "Make a folder of commented task files, one for each kind of workflow."),
    "new": ("init", "new", "Start a task from a worked example: interns new NAME --from EXAMPLE."),
    "approve": ("resume", "approve", "Answer what a paused run waits for: approve, or --deny WHY."),
    "resume": ("resume", "resume", "Go on with a run that paused, was interrupted or was cancelled."),
    "replay": (
        "replay",
        "replay",
        "Play a run's recorded turns against the current or a changed task file; say what differs.",
    ),
    "view": ("view", "view", "Review runs in a browser: plan, timeline, diffs, costs; accept or reject."),
    "stats": ("stats", "stats", "Per task: runs, cost, review minutes and the time saved."),
    "batch": ("batch", "batch", "Run a task once per row of params (--params FILE or --each GLOB)."),
    "batches": ("batch", "batches", "List batches and evals, or show, resume or accept one."),
    "eval": ("eval", "eval_task", "Run a task N times per model: pass rate, cost, time, tokens, failures."),
    "sandbox": ("sandbox", "sandbox_app", "Build the docker image; clean up after dead runs."),
}
"""Each command, in the order a person meets them: (module under `agents/cli`, its function or typer app, the line
`--help` shows)."""


class _Commands(TyperGroup):
    """The app's commands, each made from its module the first time it is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        """Every command, in the order a person meets them."""
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command named `cmd_name`, its module imported now; None for a name that is not one."""
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute, short_help = COMMANDS[cmd_name]
            target = getattr(importlib.import_module(f"interns.agents.cli.{module}"), attribute)
            command: Any
            if isinstance(target, typer.Typer):
                command = typer.main.get_group(target)
                command.short_help = short_help
            else:
                info = CommandInfo(name=cmd_name, callback=target, short_help=short_help)
                command = get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=None)
            self.commands[cmd_name] = command
        return self.commands.get(cmd_name)


app = typer.Typer(
    name="interns",
    cls=_Commands,
    help="Manage agents like interns: run a task file on sandboxed workers, check their work, and review every run.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"interns {version('interns')}", markup=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Manage agents like interns: run a task file on sandboxed workers, check their work, and review every run."""


def main() -> None:
    """Entry point of the `interns` console script."""
    os.environ.setdefault("PYDANTIC_AI_NO_BANNER", "1")  # our timeline is the output; no library banners in it
    # pydantic reads every installed distribution's entry points for plugins when it makes its first validator, a
    # tenth of a command's start; the CLI uses none. A person's own PYDANTIC_DISABLE_PLUGINS (even empty) wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    setup_tracing(os.environ)  # only where OTEL_EXPORTER_OTLP_ENDPOINT names a collector
    collector.hold_back()  # until the command's work begins: its start makes objects that are never garbage
    try:
        app()
    except InternsError as error:  # every error raised on purpose ends here, with its exit code and no traceback
        err.print(visible(str(error)), style="red", markup=False)
        raise SystemExit(exit_code_of(error)) from None
    finally:
        shutdown_tracing()
        # The command is done; the interpreter's exit would now walk every object it made (a quarter of a second
        # after a run) to collect cycles. Frozen, they are left to the process's end: files and sandboxes are closed
        # by then, and atexit handlers still run.
        gc.freeze()
