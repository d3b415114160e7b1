"""A folder over read-only inputs: sandboxes show the inputs at their paths, refuse writes to them, and the
folder's diff holds only what was written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from interns.sandbox import InputView, SandboxSpec, open_sandbox
from tests.sandbox.conftest import skip_unless_runs


@pytest.fixture
def view(tmp_path: Path) -> InputView:
    inputs = tmp_path / "inputs"
    (inputs / "docs").mkdir(parents=True)
    (inputs / "docs" / "a.md").write_text("a\n")
    (inputs / "notes.md").write_text("notes\n")
    (inputs / ".git").mkdir()
    (inputs / ".git" / "HEAD").write_text("ref\n")
    os.symlink("docs", inputs / "current")
    return InputView.create(inputs, tmp_path / "run" / "workspace")


def test_only_files_and_folders_are_bound_and_links_are_copied(view: InputView) -> None:
    assert view.read_only() == ((view.source / "docs", "docs"), (view.source / "notes.md", "notes.md"))
    assert os.readlink(view.path / "current") == "docs"
    assert view.diff() == "", "a copied link is no change"


def test_the_diff_shows_written_files_never_inputs_or_mount_points(view: InputView) -> None:
    (view.path / "docs").mkdir()  # mount points as bwrap and docker leave them
    (view.path / "notes.md").touch()
    (view.path / "out").mkdir()
    (view.path / "out" / "new.md").write_text("new\n")
    diff = view.diff()
    assert "b/out/new.md" in diff and diff.count("diff --git") == 1, diff

    view.remove_stubs()
    assert sorted(p.name for p in view.path.iterdir()) == ["current", "out"]


def test_a_mount_point_someone_wrote_into_is_not_removed(view: InputView) -> None:
    (view.path / "notes.md").write_text("changed\n")
    view.remove_stubs()
    assert (view.path / "notes.md").read_text() == "changed\n"
    assert "-notes\n+changed\n" in view.diff()


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["bubblewrap", "docker"])
async def test_the_sandbox_reads_inputs_in_place_and_cannot_change_them(view: InputView, backend: str) -> None:
    skip_unless_runs(backend)
    spec = SandboxSpec(backend=backend, workspace=view.path, read_only=view.read_only())  # type: ignore[arg-type]
    box = await open_sandbox(spec)
    try:
        assert await box.read_file("docs/a.md") == b"a\n"
        assert (await box.exec(["cat", "current/a.md"])).stdout == "a\n"
        for argv in (["sh", "-c", "echo x > notes.md"], ["touch", "docs/b.md"], ["rm", "docs/a.md"]):
            result = await box.exec(argv)
            assert result.exit_code != 0 and "read-only" in result.stderr.lower(), (argv, result)
        with pytest.raises(OSError):
            await box.write_file("notes.md", b"x\n")
        await box.write_file("out/new.md", b"new\n")
    finally:
        await box.aclose()
    assert (view.source / "notes.md").read_text() == "notes\n"
    assert not (view.source / "docs" / "b.md").exists()
    diff = view.diff()
    assert "b/out/new.md" in diff and diff.count("diff --git") == 1, diff
    view.remove_stubs()
    assert sorted(p.name for p in view.path.iterdir()) == ["current", "out"]


def test_an_opened_folder_is_made_and_its_entries_bound_one_by_one(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    (inputs / "raw" / "sub").mkdir(parents=True)
    (inputs / "raw" / "speech.txt").write_text("spoken\n")
    (inputs / "raw" / "sub" / "deep.txt").write_text("deep\n")
    (inputs / "notes.md").write_text("notes\n")
    os.symlink("speech.txt", inputs / "raw" / "latest")

    view = InputView.create(inputs, tmp_path / "run" / "workspace", opened=["raw", "missing/folder"])

    assert view.read_only() == (
        (view.source / "notes.md", "notes.md"),
        (view.source / "raw" / "speech.txt", "raw/speech.txt"),
        (view.source / "raw" / "sub", "raw/sub"),
    )
    assert os.readlink(view.path / "raw" / "latest") == "speech.txt"
    assert view.owner("raw/speech.txt") == view.source and view.owner("raw/sub/deep.txt") == view.source
    assert view.owner("raw/draft_v1.md") == view.path and view.owner("raw") == view.path
    (view.path / "raw" / "speech.txt").touch()  # mount points as bwrap and docker leave them
    (view.path / "raw" / "sub").mkdir()
    (view.path / "raw" / "draft_v1.md").write_text("draft\n")
    diff = view.diff()
    assert "b/raw/draft_v1.md" in diff and diff.count("diff --git") == 1, diff

    view.remove_stubs()
    assert sorted(p.relative_to(view.path).as_posix() for p in view.path.rglob("*")) == [
        "raw",
        "raw/draft_v1.md",
        "raw/latest",
    ]
