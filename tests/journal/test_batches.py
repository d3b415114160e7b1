"""A batch's rows read back from the run index: all of them at once, or one row by itself as it ends."""

from __future__ import annotations

from pathlib import Path

from interns.journal import BatchLink, open_run
from interns.journal.batches import BatchRow, BatchStore
from interns.journal.index import RunIndex


def test_one_rows_state_is_its_own_runs_as_the_whole_batch_reads_them(root: Path) -> None:
    store = BatchStore(root)
    rows = [BatchRow(params={"week": str(n)}) for n in range(3)]
    batch = store.create(kind="batch", task="notes", task_file=root / "task.yaml", rows=rows)
    other = store.create(kind="batch", task="notes", task_file=root / "task.yaml", rows=rows)
    for batch_id, row, status in [
        (batch.batch_id, 0, "cancelled"),
        (batch.batch_id, 0, "succeeded"),
        (batch.batch_id, 1, "failed"),
        (other.batch_id, 2, "succeeded"),  # another batch's row 2: not this batch's
    ]:
        journal = open_run(root, task="notes", goal="g", task_text="t", model="scripted:x", workspace="w",
                           batch=BatchLink(batch_id=batch_id, row=row))  # fmt: skip
        journal.finish(status)

    whole = store.states(batch)
    assert [[h.status for h in s.runs] for s in whole] == [["cancelled", "succeeded"], ["failed"], []]
    for index, state in enumerate(whole):
        alone = store.state(batch, index)
        assert (alone.index, alone.row, alone.status) == (state.index, state.row, state.status)
        assert [h.run_id for h in alone.runs] == [h.run_id for h in state.runs]

    RunIndex(root / "index.db").path.unlink()  # the index is a cache: the whole batch read fills it again
    assert [s.status for s in store.states(batch)] == ["succeeded", "failed", "pending"]
    assert store.state(batch, 0).status == "succeeded"
