"""Choosing a backend: open_sandbox and check_backend, and what the package exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from interns import sandbox
from interns.sandbox import LocalSandbox, SandboxSpec, SandboxUnavailable, check_backend, open_sandbox


def test_unknown_backend_names_the_choices() -> None:
    with pytest.raises(SandboxUnavailable, match="bubblewrap, docker or local"):
        check_backend("chroot")


@pytest.mark.anyio
async def test_local_needs_no_check_and_opens_over_the_host_folder(tmp_path: Path) -> None:
    check_backend("local")
    box = await open_sandbox(SandboxSpec(backend="local", workspace=tmp_path))
    assert isinstance(box, LocalSandbox)
    assert box.workdir == str(tmp_path.resolve())
    assert "without isolation" in LocalSandbox.WARNING
    await box.aclose()


@pytest.mark.anyio
async def test_local_refuses_paths_that_leave_the_workspace(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (tmp_path / "outside.txt").write_text("outside")
    (workspace / "link-out").symlink_to(tmp_path / "outside.txt")
    box = await open_sandbox(SandboxSpec(backend="local", workspace=workspace))
    for path in ("../outside.txt", "link-out", str(tmp_path / "outside.txt")):
        with pytest.raises(PermissionError):
            await box.read_file(path)
        with pytest.raises(PermissionError):
            await box.write_file(path, b"changed")
    assert (tmp_path / "outside.txt").read_text() == "outside"
    await box.aclose()


@pytest.mark.anyio
async def test_missing_workspace_is_unavailable(tmp_path: Path) -> None:
    for backend in ("local", "bubblewrap", "docker"):
        with pytest.raises(SandboxUnavailable, match="not a folder"):
            await open_sandbox(SandboxSpec(backend=backend, workspace=tmp_path / "nope"))


def test_every_public_name_is_exported() -> None:
    for name in sandbox.__all__:
        assert hasattr(sandbox, name), name
    assert {"Sandbox", "SandboxSpec", "ExecResult", "SandboxUnavailable", "open_sandbox", "Workspace"} <= set(
        sandbox.__all__
    )
