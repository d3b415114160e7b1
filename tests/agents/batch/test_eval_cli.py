"""`interns eval` through the real command line: two models side by side, figures that match their journals."""

from __future__ import annotations

import json

from interns.journal import RunFinished, RunStore
from tests.agents.batch.conftest import NotesBatch


def test_an_eval_of_two_models_reports_what_their_journals_say(notes_batch: NotesBatch) -> None:
    notes_batch.weeks("ok\n")
    args = ["-m", "scripted:script.yaml", "-m", "scripted:lazy.yaml", "-p", "notes_folder=notes/week-1"]
    ran = notes_batch.interns("eval", "task.yaml", "--runs", "3", *args, "-j", "2", "--json", "eval.json")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    report = json.loads((notes_batch.root / "eval.json").read_text())
    kept = notes_batch.runs / "batches" / report["batch_id"] / "report.json"
    assert json.loads(kept.read_text()) == report and f"report: {kept}" in ran.stdout
    good, lazy = report["models"]
    assert good["model"].endswith("script.yaml") and lazy["model"].endswith("lazy.yaml")
    assert (good["finished"], good["passed"], good["pass_rate"]) == (3, 3, 1.0)
    assert (lazy["finished"], lazy["passed"], lazy["pass_rate"]) == (3, 0, 0.0)
    assert lazy["ci_low"] == 0.0 and 0.5 < lazy["ci_high"] < 0.6  # Wilson at 0 of 3: 0–56%
    [(reason, count)] = lazy["failures"].items()
    assert count == 3 and reason.startswith("failed: ") and "test -s summary.md" in reason

    store = RunStore(notes_batch.runs)
    for figures in (good, lazy):
        assert len(set(figures["run_ids"])) == 3
        finished = []
        for run_id in figures["run_ids"]:
            header = store.load(run_id)
            assert header.model == figures["model"] and header.batch is not None
            assert header.batch.batch_id == report["batch_id"]
            [end] = [e for e in store.events(run_id) if isinstance(e, RunFinished)]
            finished.append(end.status)
        assert finished.count("succeeded") == figures["passed"]
        assert sum(store.load(r).usage.total_tokens for r in figures["run_ids"]) == figures["total_tokens"]
    assert "pass rate" in ran.stdout and "100%" in ran.stdout and "0%" in ran.stdout
