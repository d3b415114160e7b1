"""Sandboxes where workers act (bubblewrap, local; docker to come) and the workspaces they act on."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sandbox.base import (
    DEFAULT_OUTPUT_LIMIT,
    WORKSPACE_MOUNT,
    BackendName,
    ExecResult,
    Sandbox,
    SandboxError,
    SandboxSpec,
    SandboxUnavailable,
)
from sandbox.bubblewrap import BubblewrapSandbox, check_bubblewrap, find_bwrap
from sandbox.bwrap_args import HostLayout
from sandbox.local import LocalSandbox
from sandbox.process import TIMEOUT_EXIT_CODE
from sandbox.workspace import FolderCopy, GitWorktree, Workspace, is_dirty

__all__ = [
    "DEFAULT_OUTPUT_LIMIT",
    "TIMEOUT_EXIT_CODE",
    "WORKSPACE_MOUNT",
    "BackendName",
    "BubblewrapSandbox",
    "ExecResult",
    "FolderCopy",
    "GitWorktree",
    "LocalSandbox",
    "Sandbox",
    "SandboxError",
    "SandboxSpec",
    "SandboxUnavailable",
    "Workspace",
    "check_backend",
    "find_bwrap",
    "is_dirty",
    "open_sandbox",
]

_DOCKER_NOT_YET = "the docker backend is not available yet; use `guardrails.sandbox: bubblewrap` (or `local`)"


async def open_sandbox(spec: SandboxSpec) -> Sandbox:
    """Open the sandbox spec.backend names over spec.workspace; SandboxUnavailable if it cannot run here."""
    if spec.backend == "bubblewrap":
        return await BubblewrapSandbox.open(spec)
    if spec.backend == "local":
        return await LocalSandbox.open(spec)
    if spec.backend == "docker":
        raise SandboxUnavailable(_DOCKER_NOT_YET)
    raise SandboxUnavailable(f"unknown sandbox backend {spec.backend!r}; use bubblewrap, docker or local")


def check_backend(name: str) -> None:
    """Raise SandboxUnavailable now, before any model call, if the named backend cannot run on this machine."""
    if name == "local":
        return
    if name == "docker":
        raise SandboxUnavailable(_DOCKER_NOT_YET)
    if name != "bubblewrap":
        raise SandboxUnavailable(f"unknown sandbox backend {name!r}; use bubblewrap, docker or local")
    with tempfile.TemporaryDirectory(prefix="interns-check-") as scratch:
        check_bubblewrap(SandboxSpec(backend="bubblewrap", workspace=Path(scratch)), HostLayout.probe())
