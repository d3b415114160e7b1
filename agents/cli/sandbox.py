"""`interns sandbox ...`: build the docker worker image, and remove containers that dead runs left behind."""

from __future__ import annotations

from typing import Annotated

import typer

from interns.agents.cli.common import EXIT_FAILED, err, fail, out

__all__ = ["sandbox_app"]

sandbox_app = typer.Typer(
    name="sandbox",
    help="Manage the docker sandbox: build its worker image, clean up after runs that died.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@sandbox_app.command()
def build(
    image: Annotated[
        str | None, typer.Option("--image", help="Name (and tag) of the image to build; default: the kit's own.")
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Skip `docker build` and build from Debian's mirror with debootstrap (needs root); "
            "without it the offline build is the fallback when the base image cannot be pulled.",
        ),
    ] = False,
) -> None:
    """Build the worker image that `guardrails.sandbox: docker` runs commands in (Python, git, build tools)."""
    from interns.sandbox import DEFAULT_IMAGE, SandboxError, build_image  # the docker SDK, loaded only here

    try:
        built = build_image(
            image or DEFAULT_IMAGE,
            offline=True if offline else None,
            progress=lambda line: err.print(line, markup=False),
        )
    except SandboxError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    how = "offline (debootstrap + docker import)" if built.offline else "with docker build"
    out.print(f"built {built.name} {how}: {built.image_id}", style="green", markup=False)


@sandbox_app.command()
def cleanup() -> None:
    """Remove the containers of runs whose process is gone (killed, crashed); print each one removed."""
    from interns.sandbox import SandboxError, remove_leftovers

    try:
        removed = remove_leftovers()
    except SandboxError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    for leftover in removed:
        out.print(f"removed {leftover.describe()}", markup=False)
    if not removed:
        out.print("nothing to clean up: no container of a dead run", markup=False)
