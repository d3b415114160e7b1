"""Reading runs back: listing through the index, finding one run, streaming events, and older formats."""

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from interns.journal import (
    AmbiguousRun,
    CommandRun,
    Journal,
    ModelResponse,
    Notice,
    RunIndex,
    RunNotFound,
    RunStore,
    UnknownEvent,
    Usage,
)
from interns.journal.header import write_header

StartRun = Callable[..., Journal]


def finished(journal: Journal, status: str = "succeeded") -> Journal:
    journal.finish(status)  # type: ignore[arg-type]
    return journal


def test_list_is_newest_first_and_filters_by_status_and_task(start_run: StartRun, root: Path) -> None:
    first = finished(start_run(task="alpha"))
    second = finished(start_run(task="beta"), "failed")
    third = finished(start_run(task="alpha"), "failed")
    live = start_run(task="beta")

    store = RunStore(root)

    assert [h.run_id for h in store.list()] == [live.run_id, third.run_id, second.run_id, first.run_id]
    assert [h.run_id for h in store.list(task="alpha")] == [third.run_id, first.run_id]
    assert [h.run_id for h in store.list(status="failed")] == [third.run_id, second.run_id]
    assert [h.run_id for h in store.list(status="failed", task="beta")] == [second.run_id]
    assert [h.run_id for h in store.list(limit=2)] == [live.run_id, third.run_id]
    assert [h.run_id for h in store.list(status="running")] == [live.run_id]  # its writer, this process, is alive
    assert store.list(status="interrupted") == []


def test_an_empty_root_lists_nothing(root: Path) -> None:
    assert RunStore(root).list() == []


def test_the_index_is_rebuilt_when_deleted_or_corrupt(start_run: StartRun, root: Path) -> None:
    ids = [finished(start_run(task=f"t{n}")).run_id for n in range(3)]
    store = RunStore(root)
    assert [h.run_id for h in store.list()] == ids[::-1]  # the store now knows the index holds every run

    (root / "index.db").unlink()
    assert [h.run_id for h in store.list()] == ids[::-1]
    for path in root.glob("index.db*"):
        path.unlink()
    assert RunIndex(root / "index.db").run_ids() == set()  # made anew, empty, by another process
    assert [h.run_id for h in store.list()] == ids[::-1]

    for path in root.glob("index.db*"):
        path.write_bytes(b"this is not a database" * 100)
    assert [h.run_id for h in store.list()] == ids[::-1]

    assert store.rebuild_index() == 3


def test_runs_added_or_removed_behind_the_index_are_noticed(start_run: StartRun, root: Path, tmp_path: Path) -> None:
    kept = finished(start_run(task="kept"))
    copied = finished(start_run(task="copied"))
    store = RunStore(root)
    assert len(store.list()) == 2
    elsewhere = tmp_path / "elsewhere"
    shutil.move(copied.dir, elsewhere)
    assert [h.run_id for h in store.list()] == [kept.run_id]

    shutil.move(elsewhere, root / "runs" / copied.run_id)

    assert [h.run_id for h in store.list()] == [copied.run_id, kept.run_id]


def settle(folder: Path) -> int:
    """Date the run folder's last change a minute back, as a folder nobody has touched lately; its new mtime."""
    then = time.time_ns() - 60 * 10**9
    os.utime(folder, ns=(then, then))
    return folder.stat().st_mtime_ns


def test_a_new_process_lists_a_settled_folder_from_the_index_alone(
    start_run: StartRun, root: Path, tmp_path: Path
) -> None:
    kept = finished(start_run(task="kept"))
    hidden = finished(start_run(task="hidden"))
    shutil.move(hidden.dir, tmp_path / "hidden")
    mtime = settle(root / "runs")
    assert [h.run_id for h in RunStore(root).list()] == [kept.run_id]
    assert RunIndex(root / "index.db").synced_with() == mtime

    # A run folder slipped in with the folder's mtime put back is not looked for: the listing trusts the mark.
    shutil.move(tmp_path / "hidden", root / "runs" / hidden.run_id)
    os.utime(root / "runs", ns=(mtime, mtime))
    assert [h.run_id for h in RunStore(root).list()] == [kept.run_id]

    # Any real change to the folder moves its mtime, and the next process looks again.
    (root / "runs" / "stray").mkdir()
    assert [h.run_id for h in RunStore(root).list()] == [hidden.run_id, kept.run_id]


def test_a_folder_changed_moments_ago_is_scanned_by_every_new_process(start_run: StartRun, root: Path) -> None:
    first = finished(start_run(task="first"))
    assert [h.run_id for h in RunStore(root).list()] == [first.run_id]
    assert RunIndex(root / "index.db").synced_with() is None  # a run may still land in the same clock tick

    second = finished(start_run(task="second"))
    RunIndex(root / "index.db").delete([second.run_id])  # as if its writer never reached the index

    assert [h.run_id for h in RunStore(root).list()] == [second.run_id, first.run_id]


def test_a_rebuilt_index_forgets_its_mark(start_run: StartRun, root: Path) -> None:
    finished(start_run())
    settle(root / "runs")
    store = RunStore(root)
    store.list()

    store.rebuild_index()

    assert store.index.synced_with() is None


def test_a_finish_the_index_missed_is_picked_up_from_run_json(start_run: StartRun, root: Path) -> None:
    journal = start_run()
    header = journal.header.model_copy(update={"status": "succeeded", "reason": "done by hand"})
    write_header(journal.dir, header)  # as if the writer could not reach the index when it finished

    store = RunStore(root)

    assert [(h.status, h.reason) for h in store.list()] == [("succeeded", "done by hand")]
    assert [h.run_id for h in store.list(status="succeeded")] == [journal.run_id]


def test_load_by_full_id_unique_prefix_and_latest(start_run: StartRun, root: Path) -> None:
    older = finished(start_run(task="older"))
    time.sleep(0.01)
    newer = finished(start_run(task="newer"))
    store = RunStore(root)

    assert store.load(older.run_id).run_id == older.run_id
    assert store.load(older.run_id[:-2]).run_id == older.run_id
    assert store.load("last").run_id == newer.run_id
    assert store.load("latest").run_id == newer.run_id
    assert store.dir(newer.run_id[:-3]) == newer.dir


def test_an_ambiguous_prefix_names_every_candidate(start_run: StartRun, root: Path) -> None:
    first, second = start_run(task="same"), start_run(task="same")
    common = first.run_id[:8]  # the date

    with pytest.raises(AmbiguousRun) as caught:
        RunStore(root).load(common)

    assert sorted(caught.value.candidates) == sorted([first.run_id, second.run_id])
    assert first.run_id in str(caught.value) and second.run_id in str(caught.value)


def test_an_unknown_ref_says_so_and_suggests_recent_runs(start_run: StartRun, root: Path) -> None:
    journal = start_run()

    with pytest.raises(RunNotFound, match=journal.run_id):
        RunStore(root).load("19990101-nope")


def test_latest_of_nothing_is_not_found(root: Path) -> None:
    with pytest.raises(RunNotFound, match="no runs"):
        RunStore(root).load("last")


def test_events_stream_back_as_typed_events(start_run: StartRun, root: Path) -> None:
    journal = start_run()
    journal.record(ModelResponse(attempt=1, text="hi", usage=Usage(requests=1, input_tokens=3)))
    journal.record(CommandRun(argv=["ls"], exit_code=0, duration=0.1, stdout="a\nb\n"))

    events = list(RunStore(root).events(journal.run_id))

    assert [type(e) for e in events] == [ModelResponse, CommandRun]
    assert isinstance(events[1], CommandRun) and events[1].stdout == "a\nb\n"
    assert [e.seq for e in events] == [1, 2]


def test_a_truncated_last_line_is_skipped_and_the_rest_read(start_run: StartRun, root: Path) -> None:
    journal = start_run()
    for n in range(3):
        journal.record(Notice(message=f"n{n}"))
    journal.close()
    with (journal.dir / "events.jsonl").open("ab") as file:
        file.write(b'{"seq":4,"ts":"2026-11-24T12:00:00Z","type":"notice","mess')

    events = list(RunStore(root).events(journal.run_id))

    assert [e.seq for e in events] == [1, 2, 3]


def test_lines_this_version_cannot_read_come_as_unknown_events(start_run: StartRun, root: Path) -> None:
    journal = start_run()
    journal.record(Notice(message="before"))
    journal.close()
    with (journal.dir / "events.jsonl").open("ab") as file:
        file.write(b'{"seq":2,"ts":"2026-11-24T12:00:00Z","type":"hologram","colour":"teal"}\n')
        file.write(b'{"seq":3,"ts":"2026-11-24T12:00:00Z","type":"notice"}\n')  # lacks its message
        file.write(b"garbage\n")
        file.write(b'{"seq":5,"ts":"2026-11-24T12:00:01Z","type":"notice","message":"after","shiny":true}\n')

    events = list(RunStore(root).events(journal.run_id))

    assert [type(e).__name__ for e in events] == ["Notice", "UnknownEvent", "UnknownEvent", "UnknownEvent", "Notice"]
    hologram, incomplete, garbage = events[1:4]
    assert isinstance(hologram, UnknownEvent) and hologram.type == "hologram" and hologram.seq == 2
    assert hologram.data["colour"] == "teal"
    assert isinstance(incomplete, UnknownEvent) and "message" in incomplete.error
    assert isinstance(garbage, UnknownEvent) and garbage.data == {"line": "garbage\n"}


def make_version_0_run(root: Path, run_id: str, status: str) -> Path:
    """A run as written before the format carried a version: no format_version, scripted, host or pid."""
    run_dir = root / "runs" / run_id
    run_dir.mkdir(parents=True)
    header = {
        "run_id": run_id,
        "task": "old",
        "task_sha256": "0" * 64,
        "goal": "an old run",
        "model": "scripted:old.yaml",
        "workspace": "../project",
        "status": status,
        "started": "2025-01-02T03:04:05Z",
        "finished": None if status == "running" else "2025-01-02T03:05:05Z",
    }
    (run_dir / "run.json").write_text(json.dumps(header))
    (run_dir / "events.jsonl").write_text(
        '{"seq":1,"ts":"2025-01-02T03:04:06Z","type":"notice","message":"from the past"}\n'
    )
    return run_dir


def test_a_run_of_an_older_format_version_is_read(start_run: StartRun, root: Path) -> None:
    make_version_0_run(root, "20250102-030405-old-aaaa", "succeeded")
    make_version_0_run(root, "20250102-030405-old-bbbb", "running")
    current = start_run()
    store = RunStore(root)

    old = store.load("20250102-030405-old-aaaa")
    listed = store.list()

    assert (old.format_version, old.scripted, old.status, old.duration) == (1, True, "succeeded", 60.0)
    assert [h.run_id for h in listed] == [current.run_id, "20250102-030405-old-bbbb", "20250102-030405-old-aaaa"]
    assert listed[1].status == "interrupted"  # no writer was recorded, so none can be alive
    assert [e.message for e in store.events("20250102-030405-old-aaaa") if isinstance(e, Notice)] == ["from the past"]


def test_a_header_of_a_newer_version_is_read_leniently(start_run: StartRun, root: Path) -> None:
    journal = finished(start_run())
    stored = json.loads((journal.dir / "run.json").read_text())
    (journal.dir / "run.json").write_text(json.dumps(stored | {"format_version": 2, "new_field": [1, 2]}))

    header = RunStore(root).load(journal.run_id)

    assert (header.format_version, header.status) == (2, "succeeded")
