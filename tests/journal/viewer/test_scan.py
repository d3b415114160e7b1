"""The streaming pass over a journal: where each event is, which step it is in, and the tallies, as lines arrive."""

from __future__ import annotations

import json
from pathlib import Path

from interns.journal import Notice, PlanMade, Redactor, StepRetry, StepStarted, open_run
from interns.journal.viewer import RunScan
from interns.journal.viewer.pages import page, read_event
from interns.journal.viewer.scan import RUN_LEVEL
from tests.journal.viewer.runs import StartRun, events_path, record_demo_run


def test_every_event_is_filed_under_its_step_with_its_attempt(start_run: StartRun) -> None:
    journal = record_demo_run(start_run())
    scan = RunScan(events_path(journal))
    assert scan.advance()

    lines = events_path(journal).read_bytes().splitlines()
    assert scan.count == len(lines)
    steps = {key: [json.loads(lines[n - 1])["step"] for n in track.lines] for key, track in scan.steps.items()}
    assert set(steps[RUN_LEVEL]) == {None}
    assert set(steps["explore"]) == {"explore"} and set(steps["fix"]) == {"fix"}
    assert sum(len(track.lines) for track in scan.steps.values()) == scan.count
    fix = scan.steps["fix"]
    assert (fix.status, fix.attempts, fix.needs, fix.done_when) == ("succeeded", 2, ["explore"], ["grep -q 2 app.py"])
    retry = next(i for i, n in enumerate(fix.lines) if json.loads(lines[n - 1])["type"] == "step_retry")
    assert fix.attempt_of_line[retry] == 1 and fix.attempt_of_line[retry + 1] == 2, "the retry ends attempt 1"


def test_the_tallies_count_spend_denials_approvals_checks_and_commands(start_run: StartRun) -> None:
    journal = record_demo_run(start_run())
    scan = RunScan(events_path(journal))
    scan.advance()

    tally = scan.tally.as_dict()
    assert tally["usage"]["total_tokens"] == journal.usage.total_tokens == 4 * 110
    assert tally["usage"]["cost_usd"] == journal.usage.cost_usd
    assert (tally["denials"], tally["approvals"], tally["retries"]) == (1, 1, 1)
    assert (tally["checks_passed"], tally["checks_failed"], tally["commands"], tally["failed_commands"]) == (1, 1, 3, 1)
    assert scan.steps["fix"].tally.denials == 1 and scan.steps["explore"].tally.denials == 0
    [denied] = scan.denied.values()
    assert (denied["tool"], denied["target"], denied["rule"], denied["steps"]) == (
        "edit", "test_app.py", "guardrails.write", ["fix"]
    )  # fmt: skip


def test_a_live_run_is_read_on_from_where_the_last_pass_stopped(start_run: StartRun) -> None:
    journal = record_demo_run(start_run(), finish=False)
    scan = RunScan(events_path(journal))
    scan.advance()
    before, end = scan.count, scan.end

    journal.record(Notice(message="one more"))
    with events_path(journal).open("ab") as file:
        file.write(b'{"seq": 99, "type": "notice", "mess')  # a line still being written
    assert scan.advance()

    assert scan.count == before + 1, "the unfinished line is not an event yet"
    assert scan.offsets[before] == end
    assert read_event(scan, before + 1)["message"] == "one more"


def test_a_replaced_journal_is_noticed_so_it_can_be_scanned_anew(start_run: StartRun, tmp_path: Path) -> None:
    journal = record_demo_run(start_run())
    scan = RunScan(events_path(journal))
    scan.advance()

    events_path(journal).write_bytes(b'{"type": "notice", "message": "short"}\n')

    assert not scan.advance()


def test_unreadable_and_unknown_lines_keep_their_place(tmp_path: Path) -> None:
    journal = open_run(tmp_path, task="t", goal="g", task_text="", model="m", workspace="w", redactor=Redactor())
    journal.record(Notice(message="first"))
    journal.close()
    with events_path(journal).open("ab") as file:
        file.write(b"not json at all\n")
        file.write(b'{"seq": 3, "type": "from_the_future", "step": "s", "colour": "red"}\n')
    scan = RunScan(events_path(journal))
    scan.advance()

    found = page(scan, None)["events"]

    assert [event["type"] for event in found] == ["notice", "unreadable", "from_the_future"]
    assert found[2]["colour"] == "red" and scan.steps["s"].lines.tolist() == [3]


def test_built_in_checks_of_the_plan_read_as_words(start_run: StartRun) -> None:
    journal = start_run()
    checks = ["pytest -q", {"no_markers": None}, {"preserves": {"input": "a.md", "output": "b.md", "may_drop": []}}]
    journal.record(PlanMade(source="task", steps=[{"id": "s", "instructions": "Do.", "done_when": checks}]))
    scan = RunScan(events_path(journal))
    scan.advance()
    assert scan.steps["s"].done_when == ["pytest -q", "no_markers", "preserves: input a.md, output b.md"]


def test_why_an_attempt_was_sent_back_reads_past_a_line_that_ends_in_a_colon(start_run: StartRun) -> None:
    journal = start_run()
    journal.record(StepStarted(step="fix", attempt=1, instructions="Fix it."))
    journal.record(StepRetry(step="fix", attempt=2, feedback="The check failed:\n\n  $ pytest -q\nE assert 1 == 2\n"))
    journal.record(StepRetry(step="fix", attempt=3, feedback="Too many lines changed.\nKeep it small."))
    scan = RunScan(journal.dir / "events.jsonl")
    scan.advance()

    assert scan.steps["fix"].sent_back == ["The check failed: $ pytest -q", "Too many lines changed."]
