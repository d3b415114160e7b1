"""`interns show` as a reviewer reads it in a terminal: a line per step, only the kinds of event asked for, the next
thing to do, live totals when following, a pager for a long timeline; and `interns runs` never cuts a status."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from interns.journal import Journal, Redactor, open_run
from tests.agents.cli.test_cli import interns
from tests.journal.viewer.runs import failed_check_run, record_demo_run


def start(root: Path, **overrides: object) -> Journal:
    arguments: dict = {"task": "demo", "goal": "g", "task_text": "", "model": "m", "workspace": "w"}
    return open_run(root, redactor=Redactor(), **(arguments | overrides))


def show(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return interns("show", *args, "--runs-dir", str(root), cwd=root.parent, env=env)


def test_summary_is_a_line_per_step_with_why_each_attempt_was_sent_back(tmp_path: Path) -> None:
    run = record_demo_run(start(tmp_path / "runs"))

    shown = show(tmp_path / "runs", run.run_id, "--summary")

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    [fix] = [line for line in lines if line.lstrip().startswith("✓ fix")]
    assert "succeeded  2 attempts · 1 refusal · last check passed: grep -q 2 app.py" in fix
    assert "attempt 1 sent back: The check failed." in shown.stdout
    assert "model:" not in shown.stdout, "the summary leaves the timeline out"


def test_summary_of_a_failed_run_shows_the_failing_check_and_its_telling_lines(tmp_path: Path) -> None:
    run = failed_check_run(lambda **kw: start(tmp_path / "runs", **kw))

    shown = show(tmp_path / "runs", run.run_id, "--summary").stdout

    assert "the check that failed in fix: pytest -q  (event #5, its command #4)" in shown
    assert "E       assert 1 == 2" in shown and "collected noise line 1\n" not in shown


def test_only_keeps_the_kinds_of_event_asked_for(tmp_path: Path) -> None:
    run = record_demo_run(start(tmp_path / "runs"))

    denied = show(tmp_path / "runs", run.run_id, "--only", "denied")
    checks = show(tmp_path / "runs", run.run_id, "--only", "checks,failed")
    unknown = show(tmp_path / "runs", run.run_id, "--only", "denied,nonsense")

    assert "DENIED edit test_app.py" in denied.stdout and "model:" not in denied.stdout
    assert "check passed: grep -q 2 app.py" not in denied.stdout
    assert "check FAILED: grep -q 2 app.py" in checks.stdout and "check passed: grep -q 2 app.py" in checks.stdout
    assert "sent back for attempt 2" in checks.stdout and "DENIED" not in checks.stdout
    assert unknown.returncode == 2 and "nonsense is not one of denied" in unknown.stderr


def test_a_run_that_waits_says_what_to_type_next(tmp_path: Path) -> None:
    paused = record_demo_run(start(tmp_path / "runs"), finish=False)
    paused.finish("awaiting_approval", "step fix waits for a person's approval")
    done = record_demo_run(start(tmp_path / "runs"))

    waiting = show(tmp_path / "runs", paused.run_id, "--summary").stdout
    reviewable = show(tmp_path / "runs", done.run_id).stdout

    assert f"next: interns approve {paused.run_id}" in waiting and f"then: interns resume {paused.run_id}" in waiting
    assert f"next: interns review {done.run_id}" in reviewable


def test_runs_never_cuts_a_status_on_a_narrow_terminal(tmp_path: Path) -> None:
    paused = record_demo_run(start(tmp_path / "runs", model="anthropic:a-model-with-a-rather-long-name"), finish=False)
    paused.finish("awaiting_approval", "waits")

    listed = interns("runs", "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path, env={"COLUMNS": "60"})

    assert listed.returncode == 0, listed.stderr
    assert "awaiting_approval" in listed.stdout, listed.stdout


def test_follow_shows_the_runs_token_total_as_it_grows(tmp_path: Path) -> None:
    run = record_demo_run(start(tmp_path / "runs"))

    followed = show(tmp_path / "runs", run.run_id, "--follow").stdout

    totals = [line.split("run so far: ")[1] for line in followed.splitlines() if "run so far: " in line]
    assert [total.split(" tokens")[0] for total in totals] == ["110", "220", "330", "440"]


def on_a_pty(args: list[str], env: dict[str, str]) -> str:
    """`interns ARGS` with a terminal for its input and output: what the screen got, colour codes and all."""
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "interns", *args]
    with subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env) as child:
        os.close(follower)
        screen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            screen += chunk
        child.wait(timeout=60)
    os.close(leader)
    return screen.decode("utf-8", "replace")


def on_a_terminal(root: Path, *args: str, paged_to: Path, height: int) -> str:
    """`interns show ARGS` on a terminal `height` lines high, its pager writing to `paged_to`; what the screen got."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env |= {"PAGER": f"cat > '{paged_to}'", "LINES": str(height), "COLUMNS": "120", "TERM": "xterm"}
    return plain(on_a_pty(["show", *args, "--runs-dir", str(root)], env))


def plain(text: str) -> str:
    """`text` without the terminal's colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_a_long_timeline_on_a_terminal_goes_through_the_pager_and_a_short_one_does_not(tmp_path: Path) -> None:
    run = record_demo_run(start(tmp_path / "runs"))
    long_paged, short_paged = tmp_path / "long.txt", tmp_path / "short.txt"

    long_screen = on_a_terminal(tmp_path / "runs", run.run_id, paged_to=long_paged, height=20)
    short_screen = on_a_terminal(tmp_path / "runs", run.run_id, "--only", "denied", paged_to=short_paged, height=20)

    assert long_paged.exists() and "DENIED edit test_app.py" in plain(long_paged.read_text())
    assert "DENIED" not in long_screen, "the timeline went to the pager, not straight to the screen"
    assert not short_paged.exists() and "DENIED edit test_app.py" in short_screen


def test_the_timeline_of_a_failed_run_ends_with_its_failing_check(tmp_path: Path) -> None:
    run = failed_check_run(lambda **kw: start(tmp_path / "runs", **kw))

    shown = show(tmp_path / "runs", run.run_id).stdout

    tail = shown[shown.index("the check that failed in fix") :]
    assert "E       assert 1 == 2" in tail and "next: interns review" in tail


def runs_on_a_terminal(root: Path, columns: int) -> str:
    """`interns runs` on a terminal `columns` wide: what the screen got, colour codes and all."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "NO_COLOR"}
    env |= {"COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    return on_a_pty(["runs", "--runs-dir", str(root)], env).replace("\r\n", "\n")


def test_runs_piped_and_on_a_terminal_list_the_same_lines_only_the_terminal_coloured(tmp_path: Path) -> None:
    record_demo_run(start(tmp_path / "runs", model="anthropic:evil\x1b]0;pwned\x07"))
    paused = record_demo_run(start(tmp_path / "runs"), finish=False)
    paused.finish("awaiting_approval", "waits")

    piped = interns("runs", "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    screen = runs_on_a_terminal(tmp_path / "runs", columns=200)

    assert piped.returncode == 0, piped.stderr
    lines = piped.stdout.splitlines()
    assert lines[0].split() == ["run", "status", "review", "started", "took", "tokens", "cost", "model"]
    assert "\x1b" not in piped.stdout and "anthropic:evil\\x1b]0;pwned\\x07" in piped.stdout
    assert [line.index("status") for line in lines[:1]] == [line.index(" awaiting_approval") + 1 for line in lines[1:2]]
    assert "\x1b[" in screen and "\x1b]0;" not in screen, "the terminal gets colours and nothing else"
    assert plain(screen).splitlines() == lines
