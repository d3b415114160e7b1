"""Sandboxes where workers act (bubblewrap, docker, local) and the workspaces they act on."""

from __future__ import annotations

import tempfile
from pathlib import Path

from interns.sandbox.base import (
    DEFAULT_OUTPUT_LIMIT,
    WORKSPACE_MOUNT,
    BackendName,
    ExecResult,
    Sandbox,
    SandboxError,
    SandboxSpec,
    SandboxUnavailable,
)
from interns.sandbox.bubblewrap.args import HostLayout
from interns.sandbox.bubblewrap.backend import BubblewrapSandbox, check_bubblewrap, find_bwrap
from interns.sandbox.confinement.host import HostConfinement
from interns.sandbox.docker.backend import DockerSandbox
from interns.sandbox.docker.cleanup import Leftover, find_leftovers, remove_leftovers
from interns.sandbox.docker.engine import DEFAULT_IMAGE, check_docker
from interns.sandbox.docker.image import BuiltImage, ImageBuildError, build_image
from interns.sandbox.local import LocalSandbox
from interns.sandbox.process import TIMEOUT_EXIT_CODE
from interns.sandbox.workspace.input_view import InputView
from interns.sandbox.workspace.workspaces import FolderCopy, GitWorktree, Workspace, is_dirty

__all__ = [
    "DEFAULT_IMAGE",
    "DEFAULT_OUTPUT_LIMIT",
    "TIMEOUT_EXIT_CODE",
    "WORKSPACE_MOUNT",
    "BackendName",
    "BubblewrapSandbox",
    "BuiltImage",
    "DockerSandbox",
    "ExecResult",
    "FolderCopy",
    "GitWorktree",
    "HostConfinement",
    "ImageBuildError",
    "InputView",
    "Leftover",
    "LocalSandbox",
    "Sandbox",
    "SandboxError",
    "SandboxSpec",
    "SandboxUnavailable",
    "Workspace",
    "build_image",
    "check_backend",
    "find_bwrap",
    "find_leftovers",
    "is_dirty",
    "open_sandbox",
    "remove_leftovers",
]


async def open_sandbox(spec: SandboxSpec) -> Sandbox:
    """Open the sandbox spec.backend names over spec.workspace; SandboxUnavailable if it cannot run here."""
    if spec.backend == "bubblewrap":
        return await BubblewrapSandbox.open(spec)
    if spec.backend == "local":
        return await LocalSandbox.open(spec)
    if spec.backend == "docker":
        return await DockerSandbox.open(spec)
    raise SandboxUnavailable(f"unknown sandbox backend {spec.backend!r}; use bubblewrap, docker or local")


def check_backend(name: str, *, image: str | None = None) -> None:
    """Raise SandboxUnavailable now, before any model call, if the named backend cannot run on this machine.

    For docker, `image` (default: the kit's worker image) must be on the engine and have a shell.
    """
    if name == "local":
        return
    if name == "docker":
        check_docker(image)
        return
    if name != "bubblewrap":
        raise SandboxUnavailable(f"unknown sandbox backend {name!r}; use bubblewrap, docker or local")
    with tempfile.TemporaryDirectory(prefix="interns-check-") as scratch:
        check_bubblewrap(SandboxSpec(backend="bubblewrap", workspace=Path(scratch)), HostLayout.probe())
