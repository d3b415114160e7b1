"""The `interns` command line: the app, its commands registered in the order a person meets them, and `main`.

Each command lives in a module of its own (`check`, `run`, `show`, `review`, `init`, `resume`, `replay`, `view`,
`stats`, `batch`, `eval`, `sandbox`); errors raised on purpose reach `main`, which prints them and exits with the code
of who must act.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from interns.agents.cli.batch import batch, batches
from interns.agents.cli.check import check, schema
from interns.agents.cli.common import err, exit_code_of, out
from interns.agents.cli.eval import eval_task
from interns.agents.cli.init import init, new
from interns.agents.cli.replay import replay
from interns.agents.cli.resume import approve, resume
from interns.agents.cli.review import review
from interns.agents.cli.run import run
from interns.agents.cli.sandbox import sandbox_app
from interns.agents.cli.show import list_runs, show
from interns.agents.cli.stats import stats
from interns.agents.cli.view import view
from interns.agents.gate.visible import visible
from interns.agents.tracing.spans import setup_tracing, shutdown_tracing
from interns.errors import InternsError

__all__ = ["app", "main"]

app = typer.Typer(
    name="interns",
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


# In the order a person meets them.
app.command(short_help="Validate task files and show their plans.")(check)
app.command(short_help="Write the task-file JSON schema.")(schema)
app.command(short_help="Run a task file.")(run)
app.command("runs", short_help="List runs, newest first.")(list_runs)
app.command(short_help="Show the timeline of a run.")(show)
app.command(short_help="Accept, reject or retry a run.")(review)
app.command(short_help="Make a folder of commented task files, one for each kind of workflow.")(init)
app.command(short_help="Start a task from a worked example: interns new NAME --from EXAMPLE.")(new)
app.command(short_help="Answer what a paused run waits for: approve, or --deny WHY.")(approve)
app.command(short_help="Go on with a run that paused, was interrupted or was cancelled.")(resume)
app.command(short_help="Play a run's recorded turns against the current or a changed task file; say what differs.")(
    replay
)
app.command(short_help="Review runs in a browser: plan, timeline, diffs, costs; accept or reject.")(view)
app.command(short_help="Per task: runs, cost, review minutes and the time saved.")(stats)
app.command(short_help="Run a task once per row of params (--params FILE or --each GLOB).")(batch)
app.command(short_help="List batches and evals, or show, resume or accept one.")(batches)
app.command("eval", short_help="Run a task N times per model: pass rate, cost, time, tokens, failures.")(eval_task)
app.add_typer(sandbox_app, name="sandbox", short_help="Build the docker image; clean up after dead runs.")


def main() -> None:
    """Entry point of the `interns` console script."""
    os.environ.setdefault("PYDANTIC_AI_NO_BANNER", "1")  # our timeline is the output; no library banners in it
    setup_tracing(os.environ)  # only where OTEL_EXPORTER_OTLP_ENDPOINT names a collector
    try:
        app()
    except InternsError as error:  # every error raised on purpose ends here, with its exit code and no traceback
        err.print(visible(str(error)), style="red", markup=False)
        raise SystemExit(exit_code_of(error)) from None
    finally:
        shutdown_tracing()
