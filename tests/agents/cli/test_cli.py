"""The command line as a person uses it: a real `interns` process, real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.agents.conftest import EXAMPLE


def interns(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `interns` command line in a child process, with no model keys in its environment."""
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "interns", *args],
        cwd=cwd,
        env={**base, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_prints_the_plan_of_a_good_file(tmp_path: Path) -> None:
    result = interns("check", str(EXAMPLE / "task.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "task 'fix-failing-test'" in result.stdout
    assert "1. diagnose" in result.stdout
    assert "2. fix (after diagnose)  done when: python3 -m unittest -q" in result.stdout


def test_check_names_file_line_and_field_of_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\n"
        "name: broken\n"
        "goal: Something.\n"
        "workspace: {folder: .}\n"
        "workers: many\n"
        "steps:\n"
        "  - id: a\n"
        "    instructions: A.\n"
        "    needs: [nope]\n"
        "    colour: red\n"
    )
    result = interns("check", str(bad), str(EXAMPLE / "task.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"{bad}:5: workers:") for line in lines), lines
    assert any(line.startswith(f"{bad}:9: steps[0].needs[0]:") and "nope" in line for line in lines), lines
    assert any(line.startswith(f"{bad}:10: steps[0].colour:") for line in lines), lines
    assert "fix-failing-test" in result.stdout, "the good file is still checked"


def test_check_reports_bad_yaml_and_a_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: [unclosed\n")
    result = interns("check", str(bad), str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}:" in result.stderr
    assert "missing.yaml" in result.stderr


def test_schema_describes_the_task_file(tmp_path: Path) -> None:
    result = interns("schema", "-o", "schema.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    schema = json.loads((tmp_path / "schema.json").read_text())
    assert {"version", "name", "goal", "workspace", "steps", "guardrails"} <= set(schema["properties"])
    assert schema["properties"]["goal"]["description"]


def test_run_without_a_model_says_how_to_set_one_up(tmp_path: Path) -> None:
    result = interns("run", str(EXAMPLE / "task.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "ANTHROPIC_API_KEY" in result.stderr
    assert "scripted:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".interns").exists(), "no run starts without a model"


@pytest.mark.parametrize("backend", ["bubblewrap", "docker"])
def test_the_example_runs_offline_and_its_journal_shows_every_step(example: Path, tmp_path: Path, backend: str) -> None:
    task = example / "task.yaml"
    task.write_text(task.read_text().replace("sandbox: bubblewrap ", f"sandbox: {backend} "))
    before = (example / "project" / "calc.py").read_text()
    result = interns("run", str(example / "task.yaml"), "--model", f"scripted:{example / 'script.yaml'}", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DENIED edit test_calc.py" in result.stdout
    assert "check FAILED: python3 -m unittest -q" in result.stdout
    assert "check passed: python3 -m unittest -q" in result.stdout
    assert (example / "project" / "calc.py").read_text() == before, "the source folder is never touched"
    work_line = next(line for line in result.stdout.splitlines() if line.startswith("work:"))
    assert "return a + b" in (tmp_path / work_line.split(maxsplit=1)[1] / "calc.py").read_text()

    listing = interns("runs", cwd=tmp_path)
    assert listing.returncode == 0
    assert "fix-failing-test" in listing.stdout and "succeeded" in listing.stdout and "scripted" in listing.stdout

    shown = interns("show", "last", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert f"in {backend}" in shown.stdout
    for expected in ("[diagnose] started", "[fix] attempt 2", "DENIED edit", "(scripted, not a real model)"):
        assert expected in shown.stdout, expected

    as_json = interns("show", "last", "--json", cwd=tmp_path)
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    header, events = records[0], records[1:]
    assert header["status"] == "succeeded" and header["scripted"] is True
    assert events[0]["type"] == "run_started" and events[-1]["type"] == "run_finished"
    run_dir = tmp_path / ".interns" / "runs" / header["run_id"]
    assert "+    return a + b" in (run_dir / "final.diff").read_text()
    assert "return sum(values) / len(values)" in (run_dir / "workspace" / "calc.py").read_text()
    assert (run_dir / "messages" / "fix.json").exists() and (run_dir / "task.yaml").exists()


def test_show_of_an_unknown_run_is_a_clear_error(tmp_path: Path) -> None:
    result = interns("show", "nope", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "nope" in result.stderr


def test_check_refuses_rules_that_miss_their_examples(tmp_path: Path) -> None:
    task = tmp_path / "task.yaml"
    task.write_text(
        "version: 1\nname: t\ngoal: g\nworkspace: {folder: .}\n"
        "guardrails:\n  commands:\n    deny: ['git push *']\n"
        "    examples: {deny: ['git push origin', 'git -C . push'], allow: ['git status', 'git push --dry-run']}\n"
    )
    result = interns("check", str(task), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{task}: guardrails.commands.examples.allow[1]: 'git push --dry-run' is deny, not allow "
        "(guardrails.commands.deny[0]: git push *)"
    ]


def test_show_follow_prints_a_live_run_to_its_end(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "script.yaml").write_text(
        "work:\n  - call: {run: {command: 'sleep 2; echo slow-done'}}\n  - final: done\n"
    )
    (tmp_path / "task.yaml").write_text(
        "version: 1\nname: slow\ngoal: Wait.\nworkspace: {folder: project}\n"
        "steps: [{id: work, instructions: Wait.}]\nguardrails: {sandbox: local}\nreview: {supervisor: false}\n"
    )
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    run = subprocess.Popen(
        [sys.executable, "-m", "interns", "run", "task.yaml", "--model", "scripted:script.yaml"],
        cwd=tmp_path,
        env=base,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        events = tmp_path / ".interns" / "runs"
        deadline = time.monotonic() + 30
        while not any(events.glob("*/events.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.05)
        followed = interns("show", "--follow", cwd=tmp_path)
    finally:
        run.wait(timeout=60)
    assert followed.returncode == 0, followed.stderr
    assert "slow-done" in followed.stdout
    lines = [line for line in followed.stdout.splitlines() if line.strip()]
    assert lines[-1].startswith("next: interns review ")  # the run waits for a person's review, and says how
    assert "run succeeded" in lines[-2]


def test_check_refuses_a_network_allowlist_for_a_local_sandbox(tmp_path: Path) -> None:
    task = tmp_path / "task.yaml"
    task.write_text(
        "version: 1\nname: t\ngoal: Fetch.\nworkspace: {folder: .}\n"
        "guardrails:\n  sandbox: local\n"
        "steps:\n  - id: a\n    instructions: A.\n    network: {allow: [pypi.org]}\n"
    )
    result = interns("check", str(task), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{task}:10: steps[0].network: a `local` sandbox cannot hold its commands to named hosts" in result.stderr


def test_run_stops_before_any_work_when_a_credential_is_not_set(tmp_path: Path) -> None:
    task = tmp_path / "task.yaml"
    task.write_text(
        "version: 1\nname: t\ngoal: Fetch.\nworkspace: {folder: .}\n"
        "guardrails:\n  network: {allow: [api.example.test]}\n"
        "  credentials: [{env: INTERNS_TEST_UNSET_CREDENTIAL, host: api.example.test}]\n"
        "review: {supervisor: false}\nsteps:\n  - id: a\n    instructions: A.\n"
    )
    (tmp_path / "script.yaml").write_text("a:\n  - final: done\n")
    result = interns("run", str(task), "--model", "scripted:script.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{task}:7: guardrails.credentials: INTERNS_TEST_UNSET_CREDENTIAL is not set" in result.stderr
    assert not (tmp_path / ".interns").exists(), "no run was started"
