"""Fixtures for the sandbox tests: a workspace folder and sandboxes of every backend opened over it."""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from interns.sandbox import BackendName, Sandbox, SandboxSpec, SandboxUnavailable, check_backend, open_sandbox
from tests.sandbox.gittools import no_git_identity  # noqa: F401 (a fixture the git tests use)

OpenSandbox = Callable[..., Awaitable[Sandbox]]

REQUIRE_VARIABLE = "INTERNS_REQUIRE_BACKENDS"
"""Comma-separated backends that must run here (CI sets it): for them a missing backend fails instead of skipping."""


@functools.cache
def backend_problem(backend: str) -> str | None:
    """Why the backend cannot run on this machine, or None when it can; checked once per test session."""
    try:
        check_backend(backend)
    except SandboxUnavailable as exc:
        return str(exc)
    return None


def skip_unless_runs(backend: str) -> None:
    """Skip the test, saying why, when the backend cannot run here; fail if INTERNS_REQUIRE_BACKENDS names it."""
    problem = backend_problem(backend)
    if problem is None:
        return
    required = {name.strip() for name in os.environ.get(REQUIRE_VARIABLE, "").split(",")}
    if backend in required:
        pytest.fail(f"{backend} sandbox is required ({REQUIRE_VARIABLE}) but unavailable: {problem}", pytrace=False)
    pytest.skip(f"{backend} sandbox unavailable here: {problem}")


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
