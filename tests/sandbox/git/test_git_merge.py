"""Merging steps: a step made from the steps it needs, the run branch, and conflicts a worker resolves."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interns.sandbox.git.merge import continue_merging, create_from, finish_merge, integrate
from interns.sandbox.git.repo import GitRunError, commit_step, run_branch, step_branch
from interns.sandbox.workspace.changes import list_changes, run_baseline, total_lines
from interns.sandbox.workspace.workspaces import GitWorktree
from tests.sandbox.gittools import git

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.usefixtures("no_git_identity"),
]

RUN = "r1"
BASE_FILES = {
    "parser.py": "def parse(text):\n    return text.split(',')\n",
    "render.py": "def render(items):\n    return ' '.join(items)\n",
    "notes.rst": "Notes\n=======\n\nstatus: draft\n",
}


def changed_lines(tree: GitWorktree) -> int:
    """Lines changed since the worktree's base commit, committed or not, read from the file system."""
    return total_lines(list_changes(run_baseline(tree), tree))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for name, text in BASE_FILES.items():
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "base")
    return path


def do_step(repo: Path, tmp_path: Path, step: str, edits: dict[str, str], needs: tuple[str, ...] = ()) -> str:
    """Run a step: its worktree from base and its needs, its edits committed; the step branch."""
    made = create_from(repo, tmp_path / step, step_branch(RUN, step), "main", [step_branch(RUN, n) for n in needs])
    assert made.done, made.conflict
    for name, text in edits.items():
        (made.worktree.path / name).write_text(text)
    commit_step(made.worktree, RUN, step, f"step {step}")
    made.worktree.remove()
    return step_branch(RUN, step)


def test_a_three_step_dag_is_merged_into_the_run_branch(repo: Path, tmp_path: Path) -> None:
    a = do_step(repo, tmp_path, "a", {"parser.py": "def parse(text):\n    return text.split(';')\n"})
    b = do_step(repo, tmp_path, "b", {"render.py": "def render(items):\n    return ', '.join(items)\n"})

    c = create_from(repo, tmp_path / "c", step_branch(RUN, "c"), "main", [a, b])

    assert c.done and c.merged == [a, b]
    assert "split(';')" in (c.worktree.path / "parser.py").read_text()
    assert "', '.join" in (c.worktree.path / "render.py").read_text()
    assert c.worktree.diff() == "" and changed_lines(c.worktree) == 0, "the needs' work is not c's own"
    (c.worktree.path / "cli.py").write_text("from parser import parse\nfrom render import render\n")
    assert changed_lines(c.worktree) == 2
    commit_step(c.worktree, RUN, "c", "step c")
    c.worktree.remove()

    run = integrate(repo, tmp_path / "run", RUN, "main", [a, b, step_branch(RUN, "c")])

    assert run.done and run.conflict is None and run.pending == []
    assert run.worktree.branch == run_branch(RUN) == "interns/r1"
    assert sorted(p.name for p in run.worktree.path.iterdir()) == [".git", "cli.py", *sorted(BASE_FILES)]
    subjects = git(repo, "log", "--first-parent", "--format=%s|%p", "interns/r1").splitlines()
    assert [s.split("|")[0] for s in subjects] == [
        "interns: merge step c",
        "interns: merge step b",
        "interns: merge step a",
        "base",
    ]
    assert all(len(s.split("|")[1].split()) == 2 for s in subjects[:3]), "every step is a merge commit (--no-ff)"
    assert "Interns-Run: r1\nInterns-Step: b" in git(repo, "log", "-1", "--format=%B", "interns/r1~1")
    assert git(repo, "rev-parse", "main").strip() == git(repo, "rev-parse", "interns/r1~3").strip()
    assert "+from parser import parse" in run.worktree.diff(), "the run's diff is against the base"
    run.worktree.remove()
    assert git(repo, "status", "--porcelain") == ""


def test_a_conflict_stops_integration_until_a_worker_resolves_it(repo: Path, tmp_path: Path) -> None:
    a = do_step(repo, tmp_path, "a", {"parser.py": "A\n", "notes.rst": "Notes\n=======\n\nstatus: A\n"})
    b = do_step(repo, tmp_path, "b", {"parser.py": "B\n", "notes.rst": "Notes\n=======\n\nstatus: B\n"})
    c = do_step(repo, tmp_path, "c", {"render.py": "C\n"})

    run = integrate(repo, tmp_path / "run", RUN, "main", [a, b, c])

    assert not run.done and run.merged == [a] and run.pending == [c]
    assert run.conflict is not None and run.conflict.branch == b
    assert run.conflict.files == ["notes.rst", "parser.py"]
    parser = run.worktree.path / "parser.py"
    assert parser.read_text().startswith("<<<<<<< HEAD\nA\n=======\nB\n>>>>>>> ")
    with pytest.raises(GitRunError, match=r"conflict markers .* in notes\.rst, parser\.py;"):
        finish_merge(run.worktree, RUN, "b")

    (run.worktree.path / "notes.rst").write_text("Notes\n=======\n\nstatus: A and B\n")  # its heading is no marker
    git(run.worktree.path, "add", "parser.py")  # staged, markers and all: still caught
    with pytest.raises(GitRunError, match=r"conflict markers .* in parser\.py;"):
        finish_merge(run.worktree, RUN, "b")
    with pytest.raises(GitRunError, match="not finished"):
        continue_merging(run)

    parser.write_text("A\nB\n")
    sha = finish_merge(run.worktree, RUN, "b")

    assert len(git(repo, "rev-list", "--parents", "-n1", sha).split()) == 3
    assert "interns: merge step b\n\nInterns-Run: r1\nInterns-Step: b" in git(repo, "log", "-1", "--format=%B", sha)
    with pytest.raises(GitRunError, match="no merge in progress"):
        finish_merge(run.worktree, RUN, "b")
    run = continue_merging(run)
    assert run.done and run.merged == [a, b, c]
    assert git(repo, "show", "interns/r1:parser.py") == "A\nB\n"
    assert git(repo, "show", "interns/r1:render.py") == "C\n"
    run.worktree.remove()


def test_a_step_whose_needs_conflict_starts_with_the_merge_to_resolve(repo: Path, tmp_path: Path) -> None:
    a = do_step(repo, tmp_path, "a", {"parser.py": "A\n"})
    b = do_step(repo, tmp_path, "b", {"parser.py": "B\n"})
    c = do_step(repo, tmp_path, "c", {"render.py": "C\n"})

    d = create_from(repo, tmp_path / "d", step_branch(RUN, "d"), "main", [a, b, c])

    assert d.conflict is not None and d.conflict.files == ["parser.py"] and d.pending == [c]
    tree: GitWorktree = d.worktree
    (tree.path / "parser.py").write_text("A\nB\n")
    finish_merge(tree, RUN, "b")
    d = continue_merging(d)
    assert d.done and d.merged == [a, b, c]
    assert d.worktree.base_commit == git(repo, "rev-parse", step_branch(RUN, "d")).strip()
    assert changed_lines(d.worktree) == 0
    d.worktree.remove()


def test_an_existing_run_branch_is_reported_not_overwritten(repo: Path, tmp_path: Path) -> None:
    git(repo, "branch", run_branch(RUN))
    with pytest.raises(GitRunError, match="interns/r1"):
        integrate(repo, tmp_path / "run", RUN, "main", [])
    assert not (tmp_path / "run").exists()
