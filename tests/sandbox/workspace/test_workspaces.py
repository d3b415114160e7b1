"""Workspaces: a folder copy and its diff, and a git worktree that never touches the user's checkout."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from interns.sandbox import FolderCopy, GitWorktree, Workspace, is_dirty
from tests.sandbox.gittools import git

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(tmp_path: Path, no_git_identity: None) -> Path:
    """A repository with two commits on main and uncommitted work of the user's own."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "app.py").write_text("print('v1')\n")
    (path / "README").write_text("readme\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    (path / "app.py").write_text("print('v2')\n")
    git(path, "commit", "-q", "-am", "second")
    (path / "app.py").write_text("print('user edit, not committed')\n")
    (path / "staged.txt").write_text("staged by the user\n")
    git(path, "add", "staged.txt")
    (path / "scratch.txt").write_text("untracked of the user\n")
    return path


def checkout_state(repo: Path) -> tuple[str, str, str, bytes]:
    """What the user would notice changing: HEAD, status, staged diff and a working file."""
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "status", "--porcelain"),
        git(repo, "diff", "--cached"),
        (repo / "app.py").read_bytes(),
    )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source"
    (path / "sub").mkdir(parents=True)
    (path / "keep.txt").write_text("one\ntwo\nthree\n")
    (path / "sub" / "gone.txt").write_text("to be removed\n")
    (path / "no-newline.txt").write_text("last line")
    for skipped in (".git", ".venv", "__pycache__", ".interns"):
        (path / skipped).mkdir()
        (path / skipped / "inside").write_text("skipped")
    (path / "link").symlink_to("keep.txt")
    return path


def test_folder_copy_leaves_out_vcs_and_caches_and_keeps_links(source: Path, tmp_path: Path) -> None:
    copy = FolderCopy.create(source, tmp_path / "copy")
    assert isinstance(copy, Workspace)
    names = {p.relative_to(copy.path).as_posix() for p in copy.path.rglob("*")}
    assert names == {"keep.txt", "sub", "sub/gone.txt", "no-newline.txt", "link"}
    assert (copy.path / "link").is_symlink()
    assert copy.diff() == ""
    assert copy.commit("nothing to record") is None


def test_folder_copy_diff_covers_added_removed_and_changed_files(source: Path, tmp_path: Path) -> None:
    copy = FolderCopy.create(source, tmp_path / "copy")
    (copy.path / "keep.txt").write_text("one\nTWO\nthree\n")
    (copy.path / "sub" / "gone.txt").unlink()
    (copy.path / "new dir").mkdir()
    (copy.path / "new dir" / "added.txt").write_text("fresh\n")
    (copy.path / "no-newline.txt").write_text("last line changed")
    (copy.path / "image.bin").write_bytes(b"\x89PNG\x00\x01")

    diff = copy.diff()

    assert "diff --git a/keep.txt b/keep.txt\n" in diff
    assert "-two\n+TWO\n" in diff
    assert "deleted file mode 100644\n--- a/sub/gone.txt\n+++ /dev/null\n" in diff
    assert "new file mode 100644\n--- /dev/null\n+++ b/new dir/added.txt\n" in diff
    assert "\\ No newline at end of file\n" in diff
    assert "Binary files /dev/null and b/image.bin differ\n" in diff
    assert ".git" not in diff and "__pycache__" not in diff


@needs_git
def test_folder_copy_diff_applies_to_the_original(source: Path, tmp_path: Path) -> None:
    copy = FolderCopy.create(source, tmp_path / "copy")
    (copy.path / "keep.txt").write_text("zero\none\ntwo\nthree\nfour\n")
    (copy.path / "sub" / "gone.txt").unlink()
    (copy.path / "added.txt").write_text("fresh\n")
    (copy.path / "no-newline.txt").write_text("last line\n")
    target = tmp_path / "target"
    shutil.copytree(source, target, symlinks=True)

    subprocess.run(["git", "apply", "-"], cwd=target, input=copy.diff(), text=True, check=True)

    assert FolderCopy(source=target, path=copy.path).diff() == ""


def test_folder_copy_remove_deletes_the_copy_only(source: Path, tmp_path: Path) -> None:
    copy = FolderCopy.create(source, tmp_path / "copy")
    copy.remove()
    assert not copy.path.exists()
    assert (source / "keep.txt").exists()


@needs_git
def test_worktree_diff_commit_and_remove_leave_the_checkout_alone(repo: Path, tmp_path: Path) -> None:
    before = checkout_state(repo)
    tree = GitWorktree.create(repo, tmp_path / "tree", branch="interns/step-1", base="HEAD~1")
    assert isinstance(tree, Workspace)
    assert (tree.path / "app.py").read_text() == "print('v1')\n"
    assert tree.diff() == ""

    (tree.path / "app.py").write_text("print('worker')\n")
    (tree.path / "new_module.py").write_text("x = 1\n")
    status_before_diff = git(tree.path, "status", "--porcelain")
    diff = tree.diff()
    assert "-print('v1')\n+print('worker')\n" in diff
    assert "+++ b/new_module.py\n" in diff
    assert git(tree.path, "status", "--porcelain") == status_before_diff

    sha = tree.commit("worker: change app")
    assert sha is not None and re.fullmatch(r"[0-9a-f]{40}", sha)
    assert git(repo, "rev-parse", "interns/step-1").strip() == sha
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", sha).strip() == (
        "interns <interns@localhost>|interns <interns@localhost>|worker: change app"
    )
    assert tree.commit("nothing new") is None

    (tree.path / "README").write_text("uncommitted after the commit\n")
    diff = tree.diff()
    assert "+print('worker')\n" in diff and "+++ b/new_module.py\n" in diff
    assert "+uncommitted after the commit\n" in diff

    tree.remove()
    assert not tree.path.exists()
    assert git(repo, "rev-parse", "interns/step-1").strip() == sha
    assert str(tree.path) not in git(repo, "worktree", "list")
    assert checkout_state(repo) == before


@needs_git
def test_worktree_commit_uses_the_configured_identity(repo: Path, tmp_path: Path) -> None:
    git(repo, "config", "user.name", "Configured Person")
    git(repo, "config", "user.email", "person@example.com")
    tree = GitWorktree.create(repo, tmp_path / "tree", branch="step", base="main")
    (tree.path / "README").write_text("changed\n")
    sha = tree.commit("change")
    assert sha is not None
    assert git(repo, "log", "-1", "--format=%an <%ae>", sha).strip() == "Configured Person <person@example.com>"
    tree.remove()


@needs_git
def test_is_dirty(repo: Path, tmp_path: Path) -> None:
    assert is_dirty(repo)
    clean = GitWorktree.create(repo, tmp_path / "tree", branch="clean", base="main")
    assert not is_dirty(clean.path)
    (clean.path / "untracked.txt").write_text("x")
    assert is_dirty(clean.path)
    clean.remove()
