"""Events in pages: a step's events from a line on, before one, around one; long strings clipped, never whole."""

from __future__ import annotations

import pytest

from interns.journal import CommandRun, Notice
from interns.journal.viewer import RunScan
from interns.journal.viewer.pages import CLIP_CHARS, page, read_event, step_edits
from interns.journal.viewer.scan import RUN_LEVEL
from tests.journal.viewer.runs import StartRun, events_path, record_demo_run


def many_notices(start_run: StartRun, count: int) -> RunScan:
    journal = start_run()
    for n in range(count):
        journal.record(Notice(step="s" if n % 2 else None, message=f"notice {n}"))
    journal.close()
    scan = RunScan(events_path(journal))
    scan.advance()
    return scan


def test_pages_follow_on_from_the_last_line_seen(start_run: StartRun) -> None:
    scan = many_notices(start_run, 50)

    first = page(scan, "s", limit=10)
    second = page(scan, "s", after=first["last_n"], limit=10)
    rest = page(scan, "s", after=second["last_n"], limit=100)

    seen = [e["n"] for e in first["events"] + second["events"] + rest["events"]]
    assert seen == list(range(2, 51, 2)), "every event of the step, once, in order"
    assert (first["more_after"], second["more_after"], rest["more_after"]) == (True, True, False)
    assert first["total"] == 25 and not first["more_before"]


def test_a_page_before_a_line_and_around_one(start_run: StartRun) -> None:
    scan = many_notices(start_run, 50)

    earlier = page(scan, None, before=30, limit=5)
    around = page(scan, RUN_LEVEL, around=25, limit=8)

    assert [e["n"] for e in earlier["events"]] == [25, 26, 27, 28, 29]
    assert earlier["more_before"] and earlier["more_after"]
    assert 25 in [e["n"] for e in around["events"]] and around["events"][0]["n"] < 25
    assert all(e["step"] is None for e in around["events"])


def test_long_strings_are_clipped_in_pages_and_whole_on_their_own(start_run: StartRun) -> None:
    journal = start_run()
    output = "".join(f"line {n}\n" for n in range(10_000))
    journal.record(CommandRun(step="s", argv=["seq"], exit_code=0, duration=1.0, stdout=output))
    journal.close()
    scan = RunScan(events_path(journal))
    scan.advance()

    [clipped] = page(scan, "s")["events"]
    whole = read_event(scan, 1, clip=False)

    assert clipped["clipped"] == ["stdout"] and len(clipped["stdout"]) < CLIP_CHARS + 200
    assert clipped["stdout"].startswith("line 0\n") and clipped["stdout"].endswith("line 9999\n")
    assert whole["stdout"] == output and whole["clipped"] == []


def test_asking_for_what_is_not_there_says_so(start_run: StartRun) -> None:
    scan = many_notices(start_run, 3)
    with pytest.raises(KeyError):
        page(scan, "no-such-step")
    with pytest.raises(IndexError):
        read_event(scan, 4)


def test_a_steps_edits_are_shown_as_diffs(start_run: StartRun) -> None:
    journal = record_demo_run(start_run())
    scan = RunScan(events_path(journal))
    scan.advance()

    [edit] = step_edits(scan, "fix")

    assert (edit["tool"], edit["path"], edit["attempt"]) == ("edit", "app.py", 1)
    assert "-VALUE = 1\n+VALUE = 2\n" in edit["diff"] and edit["diff"].startswith("diff --git a/app.py b/app.py\n")
    assert step_edits(scan, "explore") == []
