"""A coding task on a private repo: parallel steps on worktrees, reviews, setup, plans, integration and conflicts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from interns.journal import CommandRun, MergeResult, ModelResponse, PlanMade, ReviewVerdict, StepFinished, StepStarted
from interns.sandbox.git.repo import run_branches
from tests.agents.conftest import TaskDir
from tests.agents.runtime.test_repo_workspace import make_repo

pytestmark = pytest.mark.anyio

ACCEPT = {"final": {"decision": "accept", "notes": "fine"}}


def edit(path: str, old: str, new: str) -> dict:
    return {"call": {"edit": {"path": path, "old": old, "new": new}}}


def repo_task(**task: object) -> dict:
    return {"workspace": {"repo": "repo", "base": "main"}, "guardrails": {"sandbox": "local"}, **task}


@pytest.fixture
def repo(task_dir: TaskDir) -> Iterator[git.Repo]:
    repo = make_repo(task_dir.root / "repo")
    (Path(repo.working_dir) / "lib.py").write_text("A = 1\nB = 1\n")
    repo.index.add(["lib.py"])
    repo.index.commit("lib")
    yield repo
    repo.close()  # GitPython's cat-file helpers, which would otherwise outlive the test


async def test_independent_steps_run_at_once_and_their_work_is_merged(task_dir: TaskDir, repo: git.Repo) -> None:
    steps = [
        {"id": "a", "instructions": "Set A."},
        {"id": "b", "instructions": "Set VALUE."},
        {"id": "c", "instructions": "Check both.", "needs": ["a", "b"], "done_when": ["grep -q 'A = 2' lib.py"]},
    ]
    script = {
        "a": [{"call": {"run": {"command": "sleep 0.5"}}}, edit("lib.py", "A = 1", "A = 2"), {"final": "A set"}],
        "b": [edit("app.py", "VALUE = 1", "VALUE = 2"), {"final": "VALUE set"}],
        "c": [{"call": {"run": {"command": "grep -c '2' lib.py app.py"}}}, {"final": "both there"}],
        "a.review": [ACCEPT],
        "b.review": [ACCEPT],
        "c.review": [ACCEPT],
    }
    path = task_dir.write(repo_task(steps=steps, workers=2, review={"supervisor": True}), script)
    result, events = await task_dir.run(path)
    assert result.status == "succeeded", result.reason

    started = {e.step: e.ts for e in events if isinstance(e, StepStarted)}
    finished = {e.step: e.ts for e in events if isinstance(e, StepFinished)}
    assert started["b"] < finished["a"] and started["a"] < finished["b"], "a and b overlap"
    assert started["c"] > max(finished["a"], finished["b"])
    grep = next(e for e in events if isinstance(e, CommandRun) and e.step == "c" and e.by == "worker")
    assert "lib.py:1" in grep.stdout and "app.py:1" in grep.stdout, "c sees the work of both steps it needs"
    assert [e.decision for e in events if isinstance(e, ReviewVerdict)] == ["accept"] * 3
    merged = [(e.branch.rsplit("/", 1)[-1], e.ok) for e in events if isinstance(e, MergeResult)]
    assert merged == [("c", True)], "c's branch already holds a and b"

    run_id = result.run_id
    assert set(run_branches(Path(repo.working_dir), run_id)) == {
        f"interns/{run_id}",
        *(f"interns/steps/{run_id}/{s}" for s in "abc"),
    }
    assert repo.git.show(f"interns/{run_id}:lib.py") == "A = 2\nB = 1"
    assert repo.git.show(f"interns/{run_id}:app.py") == "VALUE = 2"
    message = repo.commit(f"interns/steps/{run_id}/a").message
    assert f"Interns-Run: {run_id}" in message and "Interns-Step: a" in message
    assert repo.head.commit.message == "lib" and not repo.is_dirty()
    assert "git worktree" not in repo.git.worktree("list") and len(repo.git.worktree("list").splitlines()) == 1


async def test_a_conflicting_merge_goes_to_a_worker(task_dir: TaskDir, repo: git.Repo) -> None:
    steps = [{"id": "left", "instructions": "A to 2."}, {"id": "right", "instructions": "A to 3."}]
    resolved = "A = 5\nB = 1\n"
    script = {
        "left": [edit("lib.py", "A = 1", "A = 2"), {"final": "2"}],
        "right": [edit("lib.py", "A = 1", "A = 3"), {"final": "3"}],
        "merge-right": [{"call": {"write": {"path": "lib.py", "content": resolved}}}, {"final": "kept both: 5"}],
    }
    path = task_dir.write(repo_task(steps=steps, workers=2, done_when=["grep -q 'A = 5' lib.py"]), script)
    result, events = await task_dir.run(path)
    assert result.status == "succeeded", result.reason
    merges = [(e.branch.rsplit("/", 1)[-1], e.ok, e.conflicts) for e in events if isinstance(e, MergeResult)]
    assert merges == [("left", True, []), ("right", False, ["lib.py"]), ("right", True, [])]
    assert repo.git.show(f"interns/{result.run_id}:lib.py") == resolved.strip()
    assert "+A = 5" in (result.run_dir / "final.diff").read_text()


async def test_the_review_sends_work_back_with_its_notes(task_dir: TaskDir, repo: git.Repo) -> None:
    steps = [{"id": "a", "instructions": "Set A to 2 and nothing else."}]
    script = {
        "a": [
            edit("lib.py", "A = 1\nB = 1", "A = 2\nB = 9"),
            {"final": "done"},
            edit("lib.py", "B = 9", "B = 1"),
            {"final": "only A now"},
        ],
        "a.review": [{"final": {"decision": "revise", "notes": "B must stay 1."}}, ACCEPT],
    }
    path = task_dir.write(repo_task(steps=steps, review={"supervisor": True}), script)
    result, events = await task_dir.run(path)
    assert result.status == "succeeded", result.reason
    assert [e.decision for e in events if isinstance(e, ReviewVerdict)] == ["revise", "accept"]
    retry = next(e for e in events if e.type == "step_retry")
    assert "B must stay 1." in retry.feedback
    assert repo.git.show(f"interns/{result.run_id}:lib.py") == "A = 2\nB = 1"


async def test_setup_runs_once_and_every_step_reuses_what_it_made(task_dir: TaskDir, repo: git.Repo) -> None:
    (Path(repo.working_dir) / ".gitignore").write_text(".venv/\n")
    repo.index.add([".gitignore"])
    repo.index.commit("ignore")
    steps = [{"id": "a", "instructions": "Use the tool."}, {"id": "b", "instructions": "Use it too."}]
    uses = {"call": {"run": {"command": "cat .venv/tool"}}}
    script = {"a": [uses, {"final": "used"}], "b": [uses, {"final": "used"}]}
    setup = ["mkdir -p .venv && echo made-by-setup > .venv/tool"]
    path = task_dir.write(repo_task(steps=steps, workers=2) | {"workspace": {"repo": "repo", "setup": setup}}, script)
    result, events = await task_dir.run(path)
    assert result.status == "succeeded", result.reason
    setups = [e for e in events if isinstance(e, CommandRun) and e.by == "setup"]
    assert len(setups) == 1 and setups[0].exit_code == 0
    outputs = [e.stdout for e in events if isinstance(e, CommandRun) and e.by == "worker"]
    assert outputs == ["made-by-setup\n", "made-by-setup\n"]
    assert ".venv" not in repo.git.ls_tree("-r", "--name-only", f"interns/{result.run_id}")


async def test_a_failing_setup_ends_the_run_before_any_model_call(task_dir: TaskDir, repo: git.Repo) -> None:
    path = task_dir.write(
        repo_task(steps=[{"id": "a", "instructions": "x"}]) | {"workspace": {"repo": "repo", "setup": ["exit 7"]}},
        {"a": [{"final": "never"}]},
    )
    result, events = await task_dir.run(path)
    assert (result.status, result.failed_step) == ("failed", "setup")
    assert "exited 7" in result.reason
    assert not [e for e in events if isinstance(e, ModelResponse)]


async def test_the_supervisor_plans_a_task_without_steps(task_dir: TaskDir, repo: git.Repo) -> None:
    cyclic = {
        "steps": [{"id": "x", "instructions": "x", "needs": ["y"]}, {"id": "y", "instructions": "y", "needs": ["x"]}]
    }
    plan = {"steps": [{"id": "bump", "instructions": "Set A to 2.", "done_when": ["grep -q 'A = 2' lib.py"]}]}
    script = {"plan": [{"final": cyclic}, {"final": plan}], "bump": [edit("lib.py", "A = 1", "A = 2"), {"final": "ok"}]}
    path = task_dir.write(repo_task(), script)
    result, events = await task_dir.run(path)
    assert result.status == "succeeded", result.reason
    assert len([e for e in events if isinstance(e, ModelResponse) and e.step == "plan"]) == 2, "the cycle was sent back"
    [made] = [e for e in events if isinstance(e, PlanMade)]
    assert made.source == "supervisor" and [s["id"] for s in made.steps] == ["bump"]


def both_edit_a(resolver: dict | None) -> tuple[list[dict], dict]:
    steps = [
        {"id": "left", "instructions": "A to 2."},
        {"id": "right", "instructions": "A to 3."},
        {"id": "after", "instructions": "Build on both.", "needs": ["left", "right"]},
    ]
    script = {
        "left": [edit("lib.py", "A = 1", "A = 2"), {"final": "2"}],
        "right": [edit("lib.py", "A = 1", "A = 3"), {"final": "3"}],
        "after": [{"final": "nothing to add"}],
    }
    if resolver is not None:
        script["merge-for-after"] = [resolver, {"final": "kept both"}]
    return steps, script


async def test_a_conflict_between_needs_is_resolved_once_and_carried_into_the_run(
    task_dir: TaskDir, repo: git.Repo
) -> None:
    steps, script = both_edit_a({"call": {"write": {"path": "lib.py", "content": "A = 5\nB = 1\n"}}})
    result, events = await task_dir.run(task_dir.write(repo_task(steps=steps, workers=2), script))
    assert result.status == "succeeded", result.reason
    assert [e.step for e in events if isinstance(e, StepFinished)].count("merge-for-after") == 1
    assert [(e.branch.rsplit("/", 1)[-1], e.ok) for e in events if isinstance(e, MergeResult)] == [("after", True)]
    assert repo.git.show(f"interns/{result.run_id}:lib.py") == "A = 5\nB = 1"


async def test_an_unresolved_conflict_fails_the_run_cleanly(task_dir: TaskDir, repo: git.Repo) -> None:
    steps, script = both_edit_a(None)
    path = task_dir.write(repo_task(steps=steps, workers=2, review={"retries": 0}), script)
    result, events = await task_dir.run(path)
    assert (result.status, result.failed_step) == ("failed", "after")
    assert events[-1].type == "run_finished" and events[-1].status == "failed"
    assert "branches" in result.output and "interns/steps/" in result.output
    assert len(repo.git.worktree("list").splitlines()) == 1
