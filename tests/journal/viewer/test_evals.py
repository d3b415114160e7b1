"""The viewer's eval page: each model's figures, and rows that link to the runs they count, from the journals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from interns.journal import BatchLink, RunStore, open_run
from interns.journal.batches import BatchRow, BatchSpec, BatchStore
from interns.journal.viewer import ViewerServer
from tests.journal.viewer.conftest import fetch

MODELS = ("scripted:good.yaml", "scripted:flaky.yaml")
OUTCOMES = {MODELS[0]: ["succeeded", "succeeded", "succeeded"], MODELS[1]: ["succeeded", "failed", "failed"]}


def _eval(root: Path) -> BatchSpec:
    """An eval of two models, three runs each, journaled as `interns eval` leaves them, one row run twice."""
    rows = [BatchRow(model=model) for model in MODELS for _ in range(3)]
    batch = BatchStore(root).create(kind="eval", task="notes", task_file=root / "task.yaml", rows=rows)
    for index, row in enumerate(rows):
        assert row.model is not None
        status = OUTCOMES[row.model][index % 3]
        attempts = ["interrupted", status] if index == 4 else [status]
        for attempt in attempts:
            journal = open_run(
                root, task="notes", goal="g", task_text="t", model=row.model, workspace="w",
                batch=BatchLink(batch_id=batch.batch_id, row=index),
            )  # fmt: skip
            if attempt == "interrupted":
                journal.detach()
                journal.close()
                continue
            journal.finish(attempt, reason="checks still failing" if attempt == "failed" else "")
    return batch


@pytest.fixture
def eval_viewer(tmp_path: Path) -> Iterator[tuple[ViewerServer, BatchSpec]]:
    batch = _eval(tmp_path)
    with ViewerServer(tmp_path).start() as server:
        yield server, batch


def test_the_api_gives_each_models_figures_from_its_runs(eval_viewer: tuple[ViewerServer, BatchSpec]) -> None:
    from tests.journal.viewer.conftest import sign_in

    server, batch = eval_viewer
    sign_in(server.sign_in_url)
    assert fetch(f"{server.url}api/evals/{batch.batch_id}", stranger=True).status == 401
    data = fetch(f"{server.url}api/evals/{batch.batch_id[:12]}").json
    good, flaky = data["models"]
    assert (good["model"], good["passed"], good["finished"]) == (MODELS[0], 3, 3)
    assert (flaky["model"], flaky["passed"], flaky["finished"]) == (MODELS[1], 1, 3)
    assert flaky["failures"] == {"failed: checks still failing": 2}
    store = RunStore(server.views.store.root)
    counted = [store.load(run_id) for run_id in good["run_ids"] + flaky["run_ids"]]
    assert [h.status for h in counted] == OUTCOMES[MODELS[0]] + OUTCOMES[MODELS[1]]
    assert data["rows"][4]["earlier_runs"] and data["rows"][4]["run_id"] == flaky["run_ids"][1]
    assert fetch(f"{server.url}api/evals/eval-none").status == 404


def test_the_eval_page_shows_the_models_side_by_side_and_links_each_row(
    eval_viewer: tuple[ViewerServer, BatchSpec], page: Any
) -> None:
    server, batch = eval_viewer
    page.goto(f"{server.url}evals/{batch.batch_id}?key={server.key}")
    figures = page.locator("#figures")
    expect(figures).to_contain_text("3 of 3")
    expect(figures).to_contain_text("1 of 3")
    expect(figures).to_contain_text("33%")
    expect(figures).to_contain_text("2× failed: checks still failing")
    expect(page.locator("#rows tbody tr")).to_have_count(6)
    expect(page.locator("#rows")).to_contain_text("+1 earlier run")
    page.locator("#rows tbody tr").nth(1).locator("a").click()
    expect(page).to_have_url(re.compile(r"/runs/"))
