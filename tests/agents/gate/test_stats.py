"""`interns stats`: the minutes a task takes by hand, weighed against what its runs cost in review time and money."""

from __future__ import annotations

from tests.agents.conftest import TaskDir
from tests.agents.runtime.test_resume import cli, run_task

SCRIPT = {"work": [{"call": {"write": {"path": "out.md", "content": "done\n"}}}, {"final": "done"}]}


def test_stats_adds_up_review_minutes_and_time_saved_per_task(task_dir: TaskDir) -> None:
    task = {
        "workspace": {"folder": "project", "outputs": {"to": "published"}},
        "steps": [{"id": "work", "instructions": "Write it."}],
        "guardrails": {"sandbox": "local"},
        "manual_minutes": 30,
    }
    task_dir.write(task, SCRIPT)
    for _ in range(3):
        assert run_task(task_dir).returncode == 0
    run_ids = [line.split()[0] for line in cli(task_dir, "runs").stdout.splitlines()[1:]]
    assert len(run_ids) == 3
    assert cli(task_dir, "review", run_ids[0], "--accept", "--minutes", "5").returncode == 0
    assert cli(task_dir, "review", run_ids[1], "--accept", "--minutes", "4").returncode == 0
    assert cli(task_dir, "review", run_ids[2], "--reject", "not it", "--minutes", "3").returncode == 0

    shown = cli(task_dir, "stats")
    assert shown.returncode == 0, shown.stderr
    [row] = [line.split() for line in shown.stdout.splitlines() if line.startswith("t ")]
    # task, runs, succeeded, accepted, cost, review minutes, by hand, saved: 2 × 30 − (5 + 4 + 3) = 48
    assert row == ["t", "3", "3", "2", "n/a", "12", "30", "48"]


def test_stats_without_manual_minutes_says_the_saving_is_unknown(task_dir: TaskDir) -> None:
    task_dir.write({"steps": [{"id": "work", "instructions": "Write it."}], "guardrails": {"sandbox": "local"}}, SCRIPT)
    assert run_task(task_dir).returncode == 0
    [row] = [line.split() for line in cli(task_dir, "stats").stdout.splitlines() if line.startswith("t ")]
    assert row[1:4] == ["1", "1", "0"] and row[-1] == "n/a" and "(untimed)" in " ".join(row)
