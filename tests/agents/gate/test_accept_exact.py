"""Accept does what it says, or nothing: after the README's "Try it" run, `interns review last --accept` lands exactly
the run's work in the folder, from a relative or an absolute runs dir, in or out of a git repository; when the folder
changed since the run, or a repository's base moved in a way that conflicts, it changes nothing, says why, exits
non-zero, and the run can still be accepted later."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import git
import pytest

from tests.agents.cli.test_cli import interns
from tests.agents.conftest import TaskDir
from tests.agents.gate.test_review_cli import repo_run, snapshot  # noqa: F401 (the fixture is reused)
from tests.agents.runtime.test_repo_workspace import make_repo

FIXED_CALC = '''"""Small arithmetic helpers."""


def add(a, b):
    """Return the sum of a and b."""
    return a + b


def mean(values):
    """Return the arithmetic mean of a non-empty list of numbers."""
    return sum(values) / len(values)
'''


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`interns ARGS` as a person types it: no INTERNS_HOME, so the runs dir is `.interns` unless told otherwise."""
    env = {k: v for k, v in os.environ.items() if k != "INTERNS_HOME" and not k.endswith("_API_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "interns", *args],
        cwd=cwd,
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def try_it(root: Path, runs_args: list[str]) -> Path:
    """Run the README's example from `root` (the example copied to `root/example`); the run's folder."""
    ran = cli("run", "example/task.yaml", "--model", "scripted:example/script.yaml", *runs_args, cwd=root)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    runs = Path(runs_args[1]) if runs_args else root / ".interns"
    [run_dir] = (runs / "runs").iterdir()
    return run_dir


def in_a_git_repo(root: Path) -> None:
    """Make `root` a git repository with everything in it committed, as a person's project would be."""
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "test@example.com")
    repo.git.add("--all")
    repo.index.commit("the example")
    repo.close()


def decision(run_dir: Path) -> str | None:
    review = run_dir / "review.json"
    return json.loads(review.read_text())["decision"] if review.exists() else None


@pytest.mark.parametrize("runs", ["relative", "absolute"])
@pytest.mark.parametrize("where", ["outside-git", "inside-git"])
def test_the_readme_example_is_accepted_into_its_folder(example: Path, runs: str, where: str) -> None:
    root = example.parent
    if where == "inside-git":
        in_a_git_repo(root)
    tests_before = (example / "project" / "test_calc.py").read_bytes()
    runs_args = ["--runs-dir", str(root / "journal")] if runs == "absolute" else []
    run_dir = try_it(root, runs_args)

    accepted = cli("review", "last", "--accept", *runs_args, cwd=root)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (example / "project" / "calc.py").read_text() == FIXED_CALC, "the run's fix did not land"
    assert (example / "project" / "test_calc.py").read_bytes() == tests_before
    assert (run_dir / "workspace" / "calc.py").read_text() == FIXED_CALC
    assert decision(run_dir) == "accepted"


def test_a_folder_changed_since_the_run_is_left_alone_and_the_run_stays_acceptable(example: Path) -> None:
    root = example.parent
    calc = example / "project" / "calc.py"
    original = calc.read_text()
    run_dir = try_it(root, [])
    calc.write_text(original + "\n# my own edit, made while the run was waiting\n")

    refused = cli("review", "last", "--accept", cwd=root)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "calc.py" in refused.stderr and "changed since the run" in refused.stderr
    assert calc.read_text() == original + "\n# my own edit, made while the run was waiting\n"
    assert decision(run_dir) is None, "a refused accept was recorded"
    assert not [p.name for p in calc.parent.iterdir() if p.name not in ("calc.py", "test_calc.py")], "staging left"

    calc.write_text(original)
    accepted = cli("review", "last", "--accept", cwd=root)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert calc.read_text() == FIXED_CALC
    assert decision(run_dir) == "accepted"


def test_a_file_the_run_did_not_touch_keeps_the_persons_edit(example: Path) -> None:
    root = example.parent
    tests = example / "project" / "test_calc.py"
    try_it(root, [])
    tests.write_text(tests.read_text() + "\n# a test I am still writing\n")
    mine = tests.read_text()

    accepted = cli("review", "last", "--accept", cwd=root)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (example / "project" / "calc.py").read_text() == FIXED_CALC
    assert tests.read_text() == mine
    assert "left as you have them" in accepted.stdout and "test_calc.py" in accepted.stdout


def test_a_file_the_run_made_that_now_exists_is_not_replaced(task_dir: TaskDir) -> None:
    task_dir.write(
        {"steps": [{"id": "make", "instructions": "Make it."}], "guardrails": {"sandbox": "bubblewrap"}},
        {"make": [{"call": {"write": {"path": "new.txt", "content": "the run's\n"}}}, {"final": "made"}]},
        {"keep.txt": "kept\n"},
    )
    run = cli("run", "task.yaml", "--model", f"scripted:{task_dir.root / 'script.yaml'}", cwd=task_dir.root)
    assert run.returncode == 0, run.stdout + run.stderr
    (task_dir.project / "new.txt").write_text("mine\n")

    refused = cli("review", "last", "--accept", cwd=task_dir.root)
    assert refused.returncode == 1 and "new.txt" in refused.stderr, refused.stdout + refused.stderr
    assert (task_dir.project / "new.txt").read_text() == "mine\n"

    (task_dir.project / "new.txt").unlink()
    accepted = cli("review", "last", "--accept", cwd=task_dir.root)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (task_dir.project / "new.txt").read_text() == "the run's\n"


def test_a_repo_run_whose_base_moved_in_conflict_changes_nothing_and_stays_acceptable(
    task_dir: TaskDir,
    repo_run: tuple,  # noqa: F811 (the fixture imported above)
) -> None:
    repo, _, run = repo_run
    assert interns(*run, cwd=task_dir.root).returncode == 0
    app = Path(repo.working_dir) / "app.py"
    app.write_text("VALUE = 3\n")
    repo.index.add(["app.py"])
    repo.index.commit("someone else set VALUE")
    before = snapshot(repo)

    refused = interns("review", "--accept", cwd=task_dir.root)
    assert refused.returncode == 1 and "app.py" in refused.stderr, refused.stdout + refused.stderr
    assert snapshot(repo) == before
    assert app.read_text() == "VALUE = 3\n"

    repo.git.reset("--hard", "HEAD~1")
    accepted = interns("review", "--accept", cwd=task_dir.root)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert app.read_text() == "VALUE = 2\n"


def test_a_repo_run_blocked_by_an_untracked_file_changes_nothing_and_stays_acceptable(task_dir: TaskDir) -> None:
    repo = make_repo(task_dir.root / "repo")
    task_dir.write(
        {"workspace": {"repo": "repo", "base": "main"}, "steps": [{"id": "add", "instructions": "Add it."}]},
        {"add": [{"call": {"write": {"path": "new.py", "content": "NEW = 1\n"}}}, {"final": "added"}]},
    )
    run = interns("run", "task.yaml", "--model", f"scripted:{task_dir.root / 'script.yaml'}", cwd=task_dir.root)
    assert run.returncode == 0, run.stdout + run.stderr
    mine = Path(repo.working_dir) / "new.py"
    mine.write_text("mine, not yet committed\n")
    before = snapshot(repo)

    refused = interns("review", "--accept", cwd=task_dir.root)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert snapshot(repo) == before and mine.read_text() == "mine, not yet committed\n"

    mine.unlink()
    accepted = interns("review", "--accept", cwd=task_dir.root)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert mine.read_text() == "NEW = 1\n"
    repo.close()


def plant(run_dir: Path, hook: str) -> None:
    """Run `hook` (Python, with `os`) in a run's worked copy, as a sandbox could have left it: what the accept meets.

    Checks cannot change the work (they run on a throwaway copy), so a hostile worked copy is made here directly.
    """
    subprocess.run([sys.executable, "-c", f"import os\n{hook}"], cwd=run_dir / "workspace", check=True)


def hook_task(task_dir: TaskDir, hook: str, files: dict[str, str]) -> None:
    """A folder task whose worker writes a file; then `hook` changes its worked copy as a sandbox could have."""
    task_dir.write(
        {"steps": [{"id": "work", "instructions": "Work."}], "guardrails": {"sandbox": "bubblewrap"}},
        {"work": [{"call": {"write": {"path": "work.txt", "content": "the work\n"}}}, {"final": "done"}]},
        files,
    )
    run = cli("run", "task.yaml", "--model", f"scripted:{task_dir.root / 'script.yaml'}", cwd=task_dir.root)
    assert run.returncode == 0, run.stdout + run.stderr
    (run_dir,) = (task_dir.root / ".interns" / "runs").iterdir()
    plant(run_dir, hook)


def test_deleted_and_binary_files_land(task_dir: TaskDir) -> None:
    hook_task(
        task_dir,
        "os.remove('gone.txt')\nopen('logo.bin', 'wb').write(bytes(range(256)))\n"
        "open('new.bin', 'wb').write(b'\\0\\1')",
        {"gone.txt": "bye\n", "logo.bin": "\0old", "kept.txt": "kept\n"},
    )
    accepted = cli("review", "last", "--accept", cwd=task_dir.root)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    project = task_dir.project
    assert not (project / "gone.txt").exists()
    assert (project / "logo.bin").read_bytes() == bytes(range(256)) and (project / "new.bin").read_bytes() == b"\0\1"
    assert sorted(p.name for p in project.iterdir()) == ["kept.txt", "logo.bin", "new.bin", "work.txt"]


def test_a_binary_file_changed_since_the_run_is_not_replaced(task_dir: TaskDir) -> None:
    hook_task(task_dir, "open('logo.bin', 'wb').write(b'\\0the run')", {"logo.bin": "\0old"})
    (task_dir.project / "logo.bin").write_bytes(b"\0mine")
    refused = cli("review", "last", "--accept", cwd=task_dir.root)
    assert refused.returncode == 1 and "logo.bin" in refused.stderr, refused.stdout + refused.stderr
    assert (task_dir.project / "logo.bin").read_bytes() == b"\0mine"


def test_a_link_the_run_made_is_refused_and_nothing_lands(task_dir: TaskDir) -> None:
    secret = task_dir.root / "secret.txt"
    secret.write_text("the host's secret\n")
    hook_task(
        task_dir, f"os.symlink({str(secret)!r}, 'notes.md')\nopen('a.txt', 'w').write('the run\\n')", {"a.txt": "a\n"}
    )
    refused = cli("review", "last", "--accept", cwd=task_dir.root)
    assert refused.returncode == 1 and "notes.md" in refused.stderr, refused.stdout + refused.stderr
    assert sorted(p.name for p in task_dir.project.iterdir()) == ["a.txt"]
    assert (task_dir.project / "a.txt").read_text() == "a\n", "part of the run landed"


def test_a_special_file_the_run_made_is_refused_and_nothing_lands(task_dir: TaskDir) -> None:
    hook_task(task_dir, "os.mkfifo('pipe')\nopen('a.txt', 'w').write('the run\\n')", {"a.txt": "a\n"})
    refused = cli("review", "last", "--accept", cwd=task_dir.root)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert sorted(p.name for p in task_dir.project.iterdir()) == ["a.txt"]
    assert (task_dir.project / "a.txt").read_text() == "a\n", "part of the run landed"


def test_a_name_that_would_forge_a_section_of_the_diff_brings_nothing_back(task_dir: TaskDir) -> None:
    # A path whose name holds line breaks writes lines of its own into a diff: here a section that would vouch for
    # putting back keep.txt, which the person deletes after the run. Accept reads the file system, not the diff.
    section = (
        "diff --git a/keep.txt b/keep.txt\nnew file mode 100644\n--- /dev/null\n+++ b/keep.txt\n@@ -0,0 +1 @@\n+kept\n"
    )
    forged = f"x\n{section}diff --git a/junk b/junk\nj"
    hook = f"os.makedirs(os.path.dirname({forged!r}))\nopen({forged!r}, 'w').write('')"
    hook_task(task_dir, hook, {"keep.txt": "kept\n"})
    (task_dir.project / "keep.txt").unlink()

    accepted = cli("review", "last", "--accept", cwd=task_dir.root)

    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert not (task_dir.project / "keep.txt").exists(), "the person's deletion stays"
    assert (task_dir.project / forged).is_file()
    assert "x\\x0adiff --git a/keep.txt" in accepted.stdout, "the name is shown on one line, its breaks visible"
