"""Sandboxes where workers act (bubblewrap, docker, local) and the workspaces they act on.

Names are imported on first use: a module that needs one sandbox piece (the policy, a run's first events) does not
load every backend, the docker SDK or git with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interns.sandbox.backends import check_backend, open_sandbox
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
    from interns.sandbox.bubblewrap.backend import BubblewrapSandbox, find_bwrap
    from interns.sandbox.confinement.host import HostConfinement
    from interns.sandbox.docker.backend import DockerSandbox
    from interns.sandbox.docker.cleanup import Leftover, find_leftovers, remove_leftovers
    from interns.sandbox.docker.engine import DEFAULT_IMAGE
    from interns.sandbox.docker.image import BuiltImage, ImageBuildError, build_image
    from interns.sandbox.local import LocalSandbox
    from interns.sandbox.process import TIMEOUT_EXIT_CODE
    from interns.sandbox.workspace.input_view import InputView
    from interns.sandbox.workspace.workspaces import FolderCopy, GitWorktree, Workspace, is_dirty

_WHERE = {
    "BackendName": "interns.sandbox.base",
    "BubblewrapSandbox": "interns.sandbox.bubblewrap.backend",
    "BuiltImage": "interns.sandbox.docker.image",
    "DEFAULT_IMAGE": "interns.sandbox.docker.engine",
    "DEFAULT_OUTPUT_LIMIT": "interns.sandbox.base",
    "DockerSandbox": "interns.sandbox.docker.backend",
    "ExecResult": "interns.sandbox.base",
    "FolderCopy": "interns.sandbox.workspace.workspaces",
    "GitWorktree": "interns.sandbox.workspace.workspaces",
    "HostConfinement": "interns.sandbox.confinement.host",
    "ImageBuildError": "interns.sandbox.docker.image",
    "InputView": "interns.sandbox.workspace.input_view",
    "Leftover": "interns.sandbox.docker.cleanup",
    "LocalSandbox": "interns.sandbox.local",
    "Sandbox": "interns.sandbox.base",
    "SandboxError": "interns.sandbox.base",
    "SandboxSpec": "interns.sandbox.base",
    "SandboxUnavailable": "interns.sandbox.base",
    "TIMEOUT_EXIT_CODE": "interns.sandbox.process",
    "WORKSPACE_MOUNT": "interns.sandbox.base",
    "Workspace": "interns.sandbox.workspace.workspaces",
    "build_image": "interns.sandbox.docker.image",
    "check_backend": "interns.sandbox.backends",
    "find_bwrap": "interns.sandbox.bubblewrap.backend",
    "find_leftovers": "interns.sandbox.docker.cleanup",
    "is_dirty": "interns.sandbox.workspace.workspaces",
    "open_sandbox": "interns.sandbox.backends",
    "remove_leftovers": "interns.sandbox.docker.cleanup",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    if name not in _WHERE:
        raise AttributeError(f"module 'interns.sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
