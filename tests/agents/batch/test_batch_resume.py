"""A batch killed mid-way goes on with the rows not done; a row counts only its latest run, never two."""

from __future__ import annotations

import json
import os
import signal

from interns.journal.batches import BatchStore
from tests.agents.batch.conftest import NotesBatch
from tests.agents.processes import wait_for


def test_a_killed_eval_resumes_with_the_rows_not_done_and_counts_each_row_once(notes_batch: NotesBatch) -> None:
    notes_batch.weeks("ok\n")
    args = ["--runs", "3", "-m", "scripted:script.yaml", "-p", "notes_folder=notes/week-1", "-j", "1"]
    started = notes_batch.start("eval", "task.yaml", *args)
    store = BatchStore(notes_batch.runs)

    def second_row_running() -> bool:
        batches = store.list()
        return bool(batches) and any(s.status == "running" for s in store.states(batches[0])[1:])

    try:
        wait_for(second_row_running, timeout=180)
    finally:
        os.killpg(started.pid, signal.SIGKILL)  # the batch and the run it has going, as a crash or `kill -9` would
        started.wait()
    [batch] = store.list()
    wait_for(lambda: store.states(batch)[1].status != "running", timeout=30)  # the killed run's process is gone
    before = store.states(batch)
    assert before[0].status == "succeeded"
    assert before[1].status == "interrupted"
    assert before[2].status == "pending"

    resumed = notes_batch.interns("batches", batch.batch_id, "--resume", "--json", "eval.json")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    after = store.states(batch)
    assert [s.status for s in after] == ["succeeded"] * 3
    assert [len(s.runs) for s in after] == [1, 2, 1], "only the interrupted row ran again"
    assert after[0].runs == before[0].runs, "a row already done is not run again"
    assert after[1].runs[0].status == "interrupted"
    report = json.loads((notes_batch.root / "eval.json").read_text())
    [figures] = report["models"]
    assert (figures["rows"], figures["finished"], figures["passed"]) == (3, 3, 3)
    assert figures["run_ids"] == [s.runs[-1].run_id for s in after], "the interrupted run is not counted"
