"""The coding example runs as its README says: two parallel workers on worktrees, reviewed, merged, accepted."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import git
import pytest

from tests.agents.cli.test_cli import interns
from tests.agents.conftest import bwrap_available

EXAMPLE = Path(__file__).parents[2] / "examples" / "shopping-cart"


@pytest.mark.skipif(not bwrap_available(), reason="bubblewrap (bwrap) is not installed")
def test_the_shopping_cart_example_fixes_two_modules_in_parallel(tmp_path: Path) -> None:
    example = tmp_path / "shopping-cart"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("repo"))
    subprocess.run([str(example / "make-repo")], check=True, capture_output=True)
    run = interns("run", str(example / "task.yaml"), "--model", f"scripted:{example / 'script.yaml'}", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr

    records = [json.loads(line) for line in interns("show", "--json", cwd=tmp_path).stdout.splitlines()]
    events = records[1:]
    start = {e["step"]: e["ts"] for e in events if e["type"] == "step_started"}
    end = {e["step"]: e["ts"] for e in events if e["type"] == "step_finished"}
    assert start["fix-discounts"] < end["fix-pricing"] and start["fix-pricing"] < end["fix-discounts"]
    assert start["verify"] > max(end["fix-pricing"], end["fix-discounts"])

    repo = git.Repo(example / "repo")
    assert repo.head.commit.message.startswith("A shopping cart"), "main waits for a person"
    accepted = interns("review", "--accept", cwd=tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    tests = subprocess.run(
        ["python3", "-m", "unittest", "discover", "-s", "tests"], cwd=example / "repo", capture_output=True, text=True
    )
    assert tests.returncode == 0, tests.stderr
    assert not repo.git.branch("--list", "interns/*")
    repo.close()
