"""What changed, read from the file system: every kind of change, names as on disk, git's ignore rules, the one
line count, snapshots kept and read back, and the caps that stop the host's reading of a hostile tree."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from interns.sandbox import FolderCopy, GitWorktree
from interns.sandbox.workspace.changes import Change, list_changes, run_baseline, total_lines
from interns.sandbox.workspace.line_count import COUNT_BYTES, changed_lines
from interns.sandbox.workspace.snapshot import Snapshot
from interns.sandbox.workspace.tree_diff import git_quote, render_diff, tree_diff
from interns.sandbox.workspace.tree_scan import Caps, TreeTooLarge, scan_tree
from tests.sandbox.gittools import git

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

TAB, QUOTE, ACCENT = "na\tme.txt", 'say"hi".txt', "café.txt"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source"
    (path / "src").mkdir(parents=True)
    (path / "src" / "app.py").write_text("one\ntwo\nthree\n")
    (path / "README.md").write_text("readme\n")
    (path / "tool.sh").write_text("echo tool\n")
    (path / ".git").mkdir()
    (path / ".git" / "config").write_text("left out\n")
    return path


def by_path(changes: list[Change]) -> dict[str, tuple[str, str | None, str | None]]:
    return {c.path: (c.kind, c.old.type if c.old else None, c.new.type if c.new else None) for c in changes}


def hostile_edits(root: Path) -> None:
    """Every kind of change a diff's text can hide, outside `src/`."""
    (root / ".gitattributes").write_text("* -diff\n")
    (root / "data.bin").write_bytes(b"x\0y")
    (root / "empty.txt").touch()
    (root / "tool.sh").chmod(0o755)
    for name in (TAB, QUOTE, ACCENT):
        (root / name).write_text("x\n")
    (root / "link.py").symlink_to("src/app.py")
    (root / "README.md").unlink()


EXPECTED = {
    ".gitattributes": ("added", None, "file"),
    "data.bin": ("added", None, "file"),
    "empty.txt": ("added", None, "file"),
    "tool.sh": ("mode_changed", "file", "file"),
    TAB: ("added", None, "file"),
    QUOTE: ("added", None, "file"),
    ACCENT: ("added", None, "file"),
    "link.py": ("added", None, "symlink"),
    "README.md": ("deleted", "file", None),
}


def test_a_folder_copy_lists_every_kind_of_change_by_its_exact_name(source: Path, tmp_path: Path) -> None:
    copy = FolderCopy.create(source, tmp_path / "copy")
    start = Snapshot.take(copy, tmp_path / "blobs")
    hostile_edits(copy.path)
    (copy.path / ".git").mkdir()
    (copy.path / ".git" / "hooks").write_text("never compared\n")

    assert by_path(list_changes(start, copy)) == EXPECTED


@needs_git
def test_a_worktree_lists_every_kind_of_change_and_leaves_out_what_git_ignores(
    source: Path, tmp_path: Path, no_git_identity: None
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(source, repo, ignore=shutil.ignore_patterns(".git"))
    (repo / ".gitignore").write_text("*.log\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    tree = GitWorktree.create(repo, tmp_path / "tree", branch="work", base="main")
    start = Snapshot.take(tree, tmp_path / "blobs")
    hostile_edits(tree.path)
    (tree.path / "build.log").write_text("ignored\n")
    (tree.path / "logs.log" / "deep").mkdir(parents=True)
    (tree.path / "logs.log" / "deep" / "a").write_text("ignored folder\n")
    (tree.path / "mixed").mkdir()
    (tree.path / "mixed" / "a.log").write_text("ignored\n")
    (tree.path / "mixed" / "b.txt").write_text("not ignored: a folder git lists is ignored whole\n")
    (tree.path / "made-by-setup").write_text("excluded\n")
    (tree.path / "sub" / ".git").mkdir(parents=True)
    (tree.path / "sub" / ".git" / "HEAD").write_text("a nested repository is a change like any other\n")
    tree = GitWorktree(tree.repo, tree.path, tree.branch, tree.base_commit, exclude=("made-by-setup",))

    expected = {**EXPECTED, "sub/.git/HEAD": ("added", None, "file"), "mixed/b.txt": ("added", None, "file")}
    assert by_path(list_changes(start, tree)) == expected
    assert by_path(list_changes(run_baseline(tree), tree)) == expected, "against the base commit, the same"
    tree.remove()


def test_the_line_count_is_one_count_for_text_binary_and_long_lines() -> None:
    assert changed_lines(b"a\nb\nc\n", b"a\nB\nc\n") == 2
    assert changed_lines(b"", b"a\nb\nc\n") == 3
    assert changed_lines(b"\0" + b"line\n" * 200, b"") == 200, "binary content is counted by its lines too"
    assert changed_lines(b"", b"a" * 20_000) == 20, "a long line counts once per 1,000 bytes"
    assert changed_lines(b"", b"a" * 4_000_000) == 4000
    assert changed_lines(b"a\nb\n", b"b\na\n") == 1, "lines only moved count one"
    assert changed_lines(b"x", b"x" * (COUNT_BYTES + 1)) == 1 + (COUNT_BYTES + 1) // 40 + 1, "past the cap: by size"


def test_a_later_step_counts_only_its_own_lines_of_a_file_an_earlier_step_wrote(source: Path, tmp_path: Path) -> None:
    copy = FolderCopy.create(source, tmp_path / "copy")
    (copy.path / "src" / "report.md").write_text("".join(f"line {n}\n" for n in range(3000)))  # an earlier step
    start = Snapshot.take(copy, tmp_path / "run" / "blobs")
    start.save(tmp_path / "run" / "step.json")
    report = copy.path / "src" / "report.md"
    report.write_text(report.read_text().replace("line 7\n", "line seven\n"))

    [change] = list_changes(Snapshot.load(tmp_path / "run" / "step.json"), copy)
    assert (change.path, change.kind, change.lines) == ("src/report.md", "modified", 2)


def test_a_cap_stops_the_reading_with_a_reason(tmp_path: Path) -> None:
    deep = tmp_path / "deep"
    deep.mkdir()
    subprocess.run(["mkdir", "-p", "/".join(["d"] * 1100)], cwd=deep, check=True)  # os.makedirs recurses
    try:
        with pytest.raises(TreeTooLarge, match="nests folders more than 200 deep"):
            scan_tree(deep, lambda rel, is_dir: False)
    finally:
        subprocess.run(["rm", "-rf", str(deep)], check=True)

    wide = tmp_path / "wide"
    wide.mkdir()
    for n in range(20):
        (wide / f"f{n}").write_bytes(b"x" * 100)
    with pytest.raises(TreeTooLarge, match="more than 10 files"):
        scan_tree(wide, lambda rel, is_dir: False, Caps(entries=10))
    with pytest.raises(TreeTooLarge, match="more than 1000 bytes"):
        scan_tree(wide, lambda rel, is_dir: False, Caps(bytes=1000))


def test_a_fifo_is_a_change_and_is_never_opened(source: Path, tmp_path: Path) -> None:
    copy = FolderCopy.create(source, tmp_path / "copy")
    start = Snapshot.take(copy, None)
    os.mkfifo(copy.path / "pipe")
    assert by_path(list_changes(start, copy)) == {"pipe": ("added", None, "special")}


def test_names_are_quoted_as_git_quotes_them() -> None:
    assert git_quote("a/src/app.py") == "a/src/app.py"
    assert git_quote("a/" + TAB) == '"a/na\\tme.txt"'
    assert git_quote("a/" + QUOTE) == '"a/say\\"hi\\".txt"'
    assert git_quote("a/" + ACCENT) == '"a/caf\\303\\251.txt"'
    assert git_quote("a/evil\n+++ b/x") == '"a/evil\\n+++ b/x"'


@needs_git
def test_the_diff_of_odd_names_applies_with_git(source: Path, tmp_path: Path) -> None:
    copy = FolderCopy.create(source, tmp_path / "copy")
    for name in (TAB, QUOTE, ACCENT):
        (copy.path / name).write_text("x\n")
    (copy.path / "src" / "app.py").write_text("one\nTWO\nthree\n")
    (copy.path / "tool.sh").chmod(0o755)
    target = tmp_path / "target"
    shutil.copytree(source, target)

    subprocess.run(["git", "apply", "-"], cwd=target, input=copy.diff().encode(), check=True)
    assert tree_diff(target, copy.path) == ""


def test_a_huge_one_line_file_is_named_in_the_diff_not_copied_into_it(source: Path, tmp_path: Path) -> None:
    copy = FolderCopy.create(source, tmp_path / "copy")
    start = Snapshot.take(copy, None)
    (copy.path / "src" / "big.txt").write_bytes(b"a" * 16_000_000)
    (copy.path / "src" / "app.py").write_text("one\n")
    changes = list_changes(start, copy)

    diff = render_diff(changes, start, copy.path, max_bytes=1_000_000)
    assert len(diff) < 2000
    assert "Binary files /dev/null and b/src/big.txt differ" in diff
    assert total_lines(changes) == 16_000_000 // 40 + 2, "past COUNT_BYTES, a file counts by its size"


@needs_git
def test_a_repository_checked_out_as_a_worktree_of_another_is_read_too(
    source: Path, tmp_path: Path, no_git_identity: None
) -> None:
    origin = tmp_path / "origin"
    shutil.copytree(source, origin, ignore=shutil.ignore_patterns(".git"))
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "first")
    git(origin, "worktree", "add", "-q", "-b", "checkout", str(tmp_path / "checkout"))
    tree = GitWorktree.create(tmp_path / "checkout", tmp_path / "tree", branch="work", base="checkout")
    start = Snapshot.take(tree, None)
    (tree.path / "src" / "app.py").write_text("one\n")

    assert [(c.path, c.kind, c.lines) for c in list_changes(start, tree)] == [("src/app.py", "modified", 2)]
    tree.remove()


@needs_git
def test_a_long_file_is_shown_replaced_whole_and_still_applies(source: Path, tmp_path: Path) -> None:
    lines = "".join(f"line {n}\n" for n in range(3000))
    (source / "src" / "long.txt").write_text(lines)
    copy = FolderCopy.create(source, tmp_path / "copy")
    (copy.path / "src" / "long.txt").write_text(lines.replace("line 7\n", "line seven\n"))

    diff = copy.diff()
    assert "@@ -1,3000 +1,3000 @@" in diff, "past EXACT_LINES, no line-by-line diff"
    subprocess.run(["git", "apply", "-"], cwd=source, input=diff.encode(), check=True)
    assert tree_diff(source, copy.path) == ""
