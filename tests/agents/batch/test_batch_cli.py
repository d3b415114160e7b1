"""`interns batch` and `interns batches` through the real command line: rows, links, the table, bulk accept."""

from __future__ import annotations

import json

from interns.journal import RunStore
from interns.journal.batches import BatchStore
from tests.agents.batch.conftest import NotesBatch


def test_a_batch_over_folders_runs_each_as_a_linked_run_and_accepts_only_the_passing(notes_batch: NotesBatch) -> None:
    weeks = notes_batch.weeks("ok\n", "bad\n", "ok too\n")
    ran = notes_batch.interns("batch", "task.yaml", "--each", "notes/*", "-m", "scripted:script.yaml", "-j", "2")
    assert ran.returncode == 1, ran.stdout + ran.stderr  # one row failed
    assert "2 of 3 rows passed, 3 done" in ran.stdout
    [batch] = BatchStore(notes_batch.runs).list()
    headers = RunStore(notes_batch.runs).list()
    assert len(headers) == 3
    by_folder = {h.params["notes_folder"]: h for h in headers}
    assert set(by_folder) == {str(week) for week in weeks}
    for row, week in enumerate(weeks):
        header = by_folder[str(week)]
        assert header.batch is not None and (header.batch.batch_id, header.batch.row) == (batch.batch_id, row)
        assert header.status == ("failed" if row == 1 else "succeeded")

    shown = notes_batch.interns("batches", batch.batch_id[:20], "--json", "rows.json")
    assert shown.returncode == 0, shown.stderr
    rows = json.loads((notes_batch.root / "rows.json").read_text())
    assert [(r["row"], r["status"], r["run_id"]) for r in rows] == [
        (n + 1, by_folder[str(w)].status, by_folder[str(w)].run_id) for n, w in enumerate(weeks)
    ]
    for header in headers:
        assert header.run_id in shown.stdout

    accepted = notes_batch.interns("batches", "last", "--accept-passed")
    assert accepted.returncode == 0, accepted.stderr
    assert [w.joinpath("summary.md").exists() for w in weeks] == [True, False, True]
    again = notes_batch.interns("batches", "last", "--accept-passed")
    assert "accepted" not in again.stdout.split("task summarise-notes")[0], "decided rows are left alone"


def test_a_params_file_with_a_bad_row_names_it_and_runs_nothing(notes_batch: NotesBatch) -> None:
    notes_batch.weeks("ok\n")
    (notes_batch.root / "rows.csv").write_text("notes_folder,style\nnotes/week-1,plain\nnotes/week-1,terse,extra\n")
    ran = notes_batch.interns("batch", "task.yaml", "--params", "rows.csv", "-m", "scripted:script.yaml")
    assert ran.returncode == 2
    assert "rows.csv:3: 3 values for 2 params (notes_folder, style)" in ran.stderr
    (notes_batch.root / "rows.jsonl").write_text('{"notes_folder": "notes/week-1"}\n{"colour": "red"}\n')
    ran = notes_batch.interns("batch", "task.yaml", "--params", "rows.jsonl", "-m", "scripted:script.yaml")
    assert ran.returncode == 2
    assert "Traceback" not in ran.stderr
    assert "row 2: " in ran.stderr and "-p colour: the task has no such parameter" in ran.stderr
    assert "row 2: " in ran.stderr and "params.notes_folder: has no default" in ran.stderr
    assert not RunStore(notes_batch.runs).list()
    assert not BatchStore(notes_batch.runs).list()


def test_rows_from_a_jsonl_file_run_with_their_own_values(notes_batch: NotesBatch) -> None:
    weeks = notes_batch.weeks("ok\n", "ok\n")
    lines = [{"notes_folder": "notes/week-1", "style": "terse"}, {"notes_folder": str(weeks[1])}]
    (notes_batch.root / "rows.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    ran = notes_batch.interns("batch", "task.yaml", "--params", "rows.jsonl", "-m", "scripted:script.yaml")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    headers = sorted(RunStore(notes_batch.runs).list(), key=lambda h: h.batch.row if h.batch else -1)
    assert [h.params for h in headers] == [
        {"notes_folder": str(weeks[0]), "style": "terse"},
        {"notes_folder": str(weeks[1]), "style": "plain"},
    ]
