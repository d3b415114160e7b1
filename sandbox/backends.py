"""Which backend: open a sandbox by its backend's name, or check before any model call that the backend can run here."""

from __future__ import annotations

import tempfile
from pathlib import Path

from interns.sandbox.base import Sandbox, SandboxSpec, SandboxUnavailable

# Each backend is imported when it is asked for: a local run never loads bubblewrap's helpers or the docker SDK.

__all__ = ["check_backend", "open_sandbox"]


async def open_sandbox(spec: SandboxSpec) -> Sandbox:
    """Open the sandbox spec.backend names over spec.workspace; SandboxUnavailable if it cannot run here."""
    if spec.backend == "bubblewrap":
        from interns.sandbox.bubblewrap.backend import BubblewrapSandbox

        return await BubblewrapSandbox.open(spec)
    if spec.backend == "local":
        from interns.sandbox.local import LocalSandbox

        return await LocalSandbox.open(spec)
    if spec.backend == "docker":
        from interns.sandbox.docker.backend import DockerSandbox

        return await DockerSandbox.open(spec)
    raise SandboxUnavailable(f"unknown sandbox backend {spec.backend!r}; use bubblewrap, docker or local")


def check_backend(name: str, *, image: str | None = None) -> None:
    """Raise SandboxUnavailable now, before any model call, if the named backend cannot run on this machine.

    For docker, `image` (default: the kit's worker image) must be on the engine and have a shell.
    """
    if name == "local":
        return
    if name == "docker":
        from interns.sandbox.docker.engine import check_docker

        check_docker(image)
        return
    if name != "bubblewrap":
        raise SandboxUnavailable(f"unknown sandbox backend {name!r}; use bubblewrap, docker or local")
    from interns.sandbox.bubblewrap.args import HostLayout
    from interns.sandbox.bubblewrap.backend import check_bubblewrap

    with tempfile.TemporaryDirectory(prefix="interns-check-") as scratch:
        check_bubblewrap(SandboxSpec(backend="bubblewrap", workspace=Path(scratch)), HostLayout.probe())
