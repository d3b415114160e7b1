"""Checks cannot change the work: a `done_when` runs the worker's code, but nothing it writes lands.

Through the real CLI, on every backend. The worker may write only `src/**`; its test module, which the checks
import, rewrites a protected file outside that and swaps the step's output for a link to a host file while the
check runs, after the step's changes were judged. The worked copy (and, for a repository, the run's branch) must
hold exactly what was judged.
"""

from __future__ import annotations

from pathlib import Path

import git
import pytest
import yaml

from tests.agents.cli.test_cli import interns
from tests.agents.conftest import BACKENDS
from tests.agents.runtime.test_repo_workspace import make_repo

HOOK = """\
import os, unittest
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
with open(os.path.join(root, 'tests', 'protected.txt'), 'w') as f:
    f.write('rewritten by a check\\n')
os.remove(os.path.join(here, 'out.txt'))
os.symlink('{secret}', os.path.join(here, 'out.txt'))


class T(unittest.TestCase):
    def test_ok(self):
        pass
"""


def _write_task(root: Path, backend: str, workspace: dict[str, object], where: str, secret: Path) -> Path:
    step: dict[str, object] = {"id": "work", "instructions": "Write out.txt and a test."}
    check = "python3 -m unittest discover -s src -p 'test_*.py'"
    task: dict[str, object] = {
        "version": 1,
        "name": "t",
        "goal": "Do the work.",
        "workspace": workspace,
        "steps": [step],
        "guardrails": {"sandbox": backend, "write": ["src/**"]},
        "review": {"retries": 0, "supervisor": False},
    }
    if where == "step":
        step["done_when"] = [check]
    else:
        task["done_when"] = [check]
    script = {
        "work": [
            {"call": {"write": {"path": "src/out.txt", "content": "the output\n"}}},
            {"call": {"write": {"path": "src/test_hook.py", "content": HOOK.format(secret=secret)}}},
            {"final": "done"},
        ]
    }
    (root / "script.yaml").write_text(yaml.safe_dump(script))
    (root / "task.yaml").write_text(yaml.safe_dump(task, sort_keys=False))
    return root / "task.yaml"


def _secret(root: Path) -> Path:
    secret = root / "host-secret.txt"
    secret.write_text("the host's secret\n")
    return secret


@pytest.mark.parametrize("where", ["step", "task"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_check_cannot_change_a_folders_work(tmp_path: Path, backend: str, where: str) -> None:
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "src").mkdir()
    (project / "tests" / "protected.txt").write_text("protected\n")
    _write_task(tmp_path, backend, {"folder": "project"}, where, _secret(tmp_path))

    ran = interns("run", "task.yaml", "--model", "scripted:script.yaml", "--runs-dir", "runs", cwd=tmp_path)

    assert ran.returncode == 0, ran.stdout + ran.stderr
    (worked,) = (tmp_path / "runs" / "runs").glob("*/workspace")
    assert (worked / "tests" / "protected.txt").read_text() == "protected\n"
    out = worked / "src" / "out.txt"
    assert not out.is_symlink() and out.read_text() == "the output\n"
    assert "check" in ran.stdout, "the check ran and was journaled"
    assert not list((tmp_path / "runs" / "runs").glob("*/.checks-*")), "the throwaway copy is gone"


@pytest.mark.parametrize("where", ["step", "task"])
def test_a_check_cannot_change_what_lands_on_the_run_branch(tmp_path: Path, where: str) -> None:
    repo = Path(make_repo(tmp_path / "repo").working_dir)
    (repo / "tests").mkdir()
    (repo / "src").mkdir()
    (repo / "tests" / "protected.txt").write_text("protected\n")
    (repo / "src" / "keep.txt").write_text("keep\n")
    git.Repo(repo).git.add(A=True)
    git.Repo(repo).git.commit(m="protected")
    _write_task(tmp_path, "bubblewrap", {"repo": "repo", "base": "main"}, where, _secret(tmp_path))

    ran = interns("run", "task.yaml", "--model", "scripted:script.yaml", "--runs-dir", "runs", cwd=tmp_path)

    assert ran.returncode == 0, ran.stdout + ran.stderr
    branch = next(b.name for b in git.Repo(repo).branches if b.name.startswith("interns/") and "/steps/" not in b.name)
    shown = git.Repo(repo).git
    assert shown.show(f"{branch}:tests/protected.txt") == "protected"
    assert shown.show(f"{branch}:src/out.txt") == "the output"
    assert shown.ls_tree(branch, "src/out.txt").startswith("100644"), "a file, not a link"
