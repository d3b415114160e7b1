"""A run directory streamed from a node: what the node reads of it, and what the driver agrees to write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from interns.agents.cluster import Chunk, JournalSink, RunTail, SinkError
from interns.agents.cluster.messages import WHOLE
from interns.journal import RunStore, open_run


def _sent(chunks: list[Chunk]) -> dict[str, bytes]:
    return {chunk.path: chunk.data for chunk in chunks}


def test_the_tail_sends_new_complete_lines_changed_files_and_the_worked_copy_last(tmp_path: Path) -> None:
    run = tmp_path / "20261202-120000-t-abcd"
    (run / "workspace").mkdir(parents=True)
    (run / "events.jsonl").write_bytes(b'{"n": 1}\n{"n": 2')  # the second line is still being written
    (run / "run.json").write_bytes(b"{}")
    (run / "workspace" / "out.md").write_text("made\n")
    tail = RunTail(run)
    first = list(tail.chunks())
    assert _sent(first) == {"events.jsonl": b'{"n": 1}\n', "run.json": b"{}"}
    assert first[0].path == "events.jsonl", "events go before the header that counts them"
    assert list(tail.chunks()) == [], "nothing new, nothing sent"
    with (run / "events.jsonl").open("ab") as events:
        events.write(b"}\n")
    [more] = list(tail.chunks())
    assert (more.path, more.offset, more.data) == ("events.jsonl", 9, b'{"n": 2}\n')
    assert _sent(list(tail.chunks(final=True))) == {"workspace/out.md": b"made\n"}


def test_the_tail_never_follows_a_link_a_sandbox_left_in_the_worked_copy(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret\n")
    run = tmp_path / "run"
    (run / "workspace").mkdir(parents=True)
    (run / "workspace" / "leak").symlink_to(secret)
    (run / "workspace" / "leak-dir").symlink_to(tmp_path)
    os.mkfifo(run / "workspace" / "pipe")  # opening it would block the node for ever
    sent = list(RunTail(run).chunks(final=True))
    assert all(b"host secret" not in chunk.data for chunk in sent)
    assert sent == []


def test_the_sink_writes_appends_once_indexes_headers_and_refuses_paths_outside_the_run(tmp_path: Path) -> None:
    node, driver = tmp_path / "node", tmp_path / "driver"
    journal = open_run(node, task="t", goal="g", task_text="t", model="scripted:x", workspace="w")
    journal.finish("succeeded")
    sink = JournalSink(driver)
    chunks = list(RunTail(journal.dir).chunks(final=True))
    for chunk in chunks + chunks:  # a chunk sent twice is written once
        sink.write(chunk)
    [header] = RunStore(driver).list()
    assert header.run_id == journal.run_id and header.status == "succeeded"
    copied = driver / "runs" / journal.run_id / "events.jsonl"
    assert copied.read_bytes() == (journal.dir / "events.jsonl").read_bytes()
    with pytest.raises(SinkError, match="gap"):
        sink.write(Chunk(journal.run_id, "events.jsonl", copied.stat().st_size + 5, b"x\n"))

    outside = tmp_path / "outside"
    outside.mkdir()
    (driver / "runs" / journal.run_id / "linked").symlink_to(outside)
    for run_id, path in [
        (journal.run_id, "../escaped"),
        (journal.run_id, "/etc/escaped"),
        (journal.run_id, "linked/escaped"),
        ("../runs", "escaped"),
        (journal.run_id, ""),
    ]:
        with pytest.raises(SinkError):
            sink.write(Chunk(run_id, path, WHOLE, b"x"))
    assert list(outside.iterdir()) == []
    assert not (driver / "escaped").exists() and not (driver / "runs" / "escaped").exists()
