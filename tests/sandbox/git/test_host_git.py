"""The host's git obeys only the host: not a worktree's `.git`, nested repositories, inherited variables or config."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from interns.sandbox.git.host_git import HostGit, read_blob
from interns.sandbox.git.repo import commit_step, untracked_paths
from interns.sandbox.workspace.changes import list_changes, run_baseline, total_lines
from interns.sandbox.workspace.workspaces import GitWorktree
from tests.sandbox.gittools import git

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.usefixtures("no_git_identity"),
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "a.txt").write_text("one\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    return path


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """A file that any planted command creates; it must never appear."""
    return tmp_path / "marker"


def plant_git_dir(tree: Path, config: str) -> None:
    """Point the worktree's `.git` file at a git dir made in the worktree, borrowing the real objects."""
    real = Path((tree / ".git").read_text().removeprefix("gitdir: ").strip())
    evil = tree / ".evil"
    (evil / "objects" / "info").mkdir(parents=True)
    (evil / "refs").mkdir()
    (evil / "HEAD").write_text("ref: refs/heads/main\n")
    (evil / "objects" / "info" / "alternates").write_text(f"{real.parent.parent / 'objects'}\n")
    (evil / "config").write_text(config)
    (tree / ".git").write_text("gitdir: .evil\n")


def every_command(marker: Path) -> str:
    command = f'"touch {marker}; cat"'
    return (
        f"[core]\n\tfsmonitor = {command}\n\thooksPath = hooks\n\tsshCommand = {command}\n"
        f'[diff]\n\texternal = {command}\n[diff "x"]\n\ttextconv = {command}\n\tcommand = {command}\n'
        f'[filter "x"]\n\tclean = {command}\n\tsmudge = {command}\n'
    )


def test_a_planted_git_dir_is_never_used(repo: Path, tmp_path: Path, marker: Path) -> None:
    tree = GitWorktree.create(repo, tmp_path / "tree", branch="step", base="main")
    plant_git_dir(tree.path, every_command(marker))
    (tree.path / ".gitattributes").write_text("* filter=x diff=x\n")
    (tree.path / "a.txt").write_text("two\n")

    assert "+two" in tree.diff()
    assert total_lines(list_changes(run_baseline(tree), tree)) > 0
    assert ".evil" in untracked_paths(tree)
    sha = commit_step(tree, "r1", "step", "the work")
    assert sha is not None and git(repo, "rev-parse", "step").strip() == sha, "the commit is on the real branch"
    assert git(repo, "show", "step:a.txt") == "two\n"
    tree.remove()
    assert not marker.exists()
    assert not tree.path.exists() and str(tree.path) not in git(repo, "worktree", "list")


@pytest.mark.parametrize("replacement", ["folder", "symlink", "gone"])
def test_a_worktree_is_removed_whatever_its_git_file_became(repo: Path, tmp_path: Path, replacement: str) -> None:
    tree = GitWorktree.create(repo, tmp_path / "tree", branch="step", base="main")
    dot_git = tree.path / ".git"
    dot_git.unlink()
    if replacement == "folder":
        (dot_git / "objects").mkdir(parents=True)
    elif replacement == "symlink":
        dot_git.symlink_to(repo / ".git")
    tree.remove()
    assert not tree.path.exists()
    assert (repo / ".git" / "HEAD").is_file(), "the link was not followed"
    assert git(repo, "worktree", "list").count("\n") == 1


def test_drivers_of_the_repository_config_run_nothing(repo: Path, tmp_path: Path, marker: Path) -> None:
    git(repo, "config", "filter.x.clean", f"touch {marker}; cat")
    git(repo, "config", "filter.x.required", "true")
    git(repo, "config", "diff.x.textconv", f"touch {marker}; cat")
    tree = GitWorktree.create(repo, tmp_path / "tree", branch="step", base="main")
    (tree.path / ".gitattributes").write_text("* filter=x diff=x\n")
    (tree.path / "a.txt").write_text("two\n")
    assert "+two" in tree.diff()
    assert tree.commit("work") is not None
    tree.remove()
    assert not marker.exists()


def test_a_nested_repository_is_never_entered(repo: Path, tmp_path: Path, marker: Path) -> None:
    tree = GitWorktree.create(repo, tmp_path / "tree", branch="step", base="main")
    nested = tree.path / "sub"
    nested.mkdir()
    git(nested, "init", "-q")
    (nested / "f").write_text("x\n")
    git(nested, "add", "-A")
    git(nested, "commit", "-q", "-m", "nested")
    assert tree.commit("a submodule") is not None, "its commit is recorded as a submodule"
    git(nested, "config", "filter.e.clean", f"test -e armed && touch {marker}; cat")
    (nested / ".git" / "info" / "attributes").write_text("* filter=e\n")
    (nested / "armed").write_text("")
    (nested / "f").write_text("x\n")  # the same size, a new time: git filters it to tell whether it changed

    tree.diff()
    untracked_paths(tree)
    tree.commit("work")
    assert not marker.exists()
    tree.remove()


def test_inherited_git_variables_and_global_config_are_ignored(
    repo: Path, tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Path.home()
    (home / ".gitconfig").write_text(
        f'[user]\n\tname = Global Person\n\temail = g@example.com\n[core]\n\tfsmonitor = "touch {marker}; false"\n'
    )
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", str(other))
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", f"touch {marker}; true")
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'core.fsmonitor'='touch {marker}; false'")
    tree = GitWorktree.create(repo, tmp_path / "tree", branch="step", base="main")
    (tree.path / "a.txt").write_text("two\n")
    assert "+two" in tree.diff()
    sha = tree.commit("work")
    tree.remove()
    assert not marker.exists()

    for name in ("GIT_DIR", "GIT_EXTERNAL_DIFF", "GIT_CONFIG_PARAMETERS"):
        monkeypatch.delenv(name)
    (home / ".gitconfig").unlink()
    assert (
        sha is not None and git(repo, "log", "-1", "--format=%an <%ae>", sha).strip() == "Global Person <g@example.com>"
    )
    assert not (other / ".git" / "refs" / "heads" / "step").exists()


def test_worktrees_of_one_repository_are_added_at_once(repo: Path, tmp_path: Path) -> None:
    failures: list[BaseException] = []

    def add(number: int) -> None:
        try:
            GitWorktree.create(repo, tmp_path / f"tree{number}", branch=f"step{number}", base="main")
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=add, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert git(repo, "worktree", "list").count("\n") == 9


def test_read_blob_gives_a_file_at_a_commit(repo: Path) -> None:
    sha = git(repo, "rev-parse", "HEAD").strip()
    (repo / ".gitattributes").write_text("* text eol=crlf\n")
    assert read_blob(repo, sha, "a.txt") == b"one\n", "the bytes as committed, not converted"
    assert read_blob(repo, sha, "missing.txt") is None
    for commit, path in ((sha, "../a.txt"), (sha, "/a.txt"), ("", "a.txt")):
        with pytest.raises(ValueError):
            read_blob(repo, commit, path)
    assert HostGit.of_repository(repo).blob(sha, "a.txt") == b"one\n"
