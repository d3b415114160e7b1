"""Fixtures for the sandbox tests: a workspace folder and sandboxes of every backend opened over it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox import BackendName, Sandbox, SandboxSpec, SandboxUnavailable, check_backend, open_sandbox

OpenSandbox = Callable[..., Awaitable[Sandbox]]


def skip_unless_runs(backend: str) -> None:
    """Skip the test, saying why, when the backend cannot run on this machine."""
    try:
        check_backend(backend)
    except SandboxUnavailable as exc:
        pytest.skip(f"{backend} sandbox unavailable here: {exc}")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
async def open_box(workspace: Path, request: pytest.FixtureRequest) -> AsyncIterator[OpenSandbox]:
    """Open sandboxes over `workspace`, with spec fields from keyword arguments.

    The backend is the test's indirect parameter, bubblewrap when it has none.
    """
    backend: BackendName = getattr(request, "param", "bubblewrap")
    skip_unless_runs(backend)
    opened: list[Sandbox] = []

    async def open_(**spec_fields: Any) -> Sandbox:
        box = await open_sandbox(SandboxSpec(backend=backend, workspace=workspace, **spec_fields))
        opened.append(box)
        return box

    yield open_
    for box in opened:
        await box.aclose()


@pytest.fixture
async def box(open_box: OpenSandbox) -> Sandbox:
    """A sandbox of the test's backend with the default spec."""
    return await open_box()
