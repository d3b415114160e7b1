"""Writing a run: its directory, sequence numbers, usage, append-only events, finishing, and thread safety."""

import hashlib
import json
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from interns.journal import (
    CommandRun,
    Journal,
    JournalClosed,
    ModelResponse,
    Notice,
    RunFinished,
    RunStarted,
    StepFinished,
    Usage,
)

StartRun = Callable[..., Journal]


def lines(journal: Journal) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (journal.dir / "events.jsonl").read_bytes().splitlines()]


def test_open_run_lays_out_the_run_directory(start_run: StartRun, root: Path) -> None:
    journal = start_run(task="Fix Failing/Tests", task_text="name: fix\n", git_commit="abc123")

    assert re.fullmatch(r"\d{8}-\d{6}-fix-failing-tests-[0-9a-f]{4}", journal.run_id)
    assert journal.dir == root / "runs" / journal.run_id
    assert (journal.dir / "task.yaml").read_text() == "name: fix\n"
    assert (journal.dir / "events.jsonl").read_bytes() == b""
    stored = json.loads((journal.dir / "run.json").read_text())
    assert next(iter(stored)) == "format_version"
    assert stored["status"] == "running"
    assert stored["pid"] == os.getpid()
    assert stored["scripted"] is True
    assert stored["git_commit"] == "abc123"
    assert stored["task_sha256"] == hashlib.sha256(b"name: fix\n").hexdigest()
    assert (root / "index.db").exists()


def test_runs_started_in_the_same_second_get_distinct_ids(start_run: StartRun) -> None:
    ids = {start_run().run_id for _ in range(20)}

    assert len(ids) == 20


def test_record_numbers_events_from_one_and_returns_them_numbered(start_run: StartRun) -> None:
    journal = start_run()
    event = Notice(message="first")

    recorded = [journal.record(event), journal.record(Notice(message="second")), journal.record(Notice(message="3"))]

    assert [e.seq for e in recorded] == [1, 2, 3]
    assert [line["seq"] for line in lines(journal)] == [1, 2, 3]
    assert event.seq == 0  # the caller's event is not changed
    assert journal.header.event_count == 3


def test_usage_sums_model_responses_only(start_run: StartRun) -> None:
    journal = start_run()
    journal.record(ModelResponse(attempt=1, usage=Usage(requests=1, input_tokens=100, output_tokens=20)))
    journal.record(ModelResponse(attempt=1, usage=Usage(requests=1, input_tokens=50, output_tokens=5, cost_usd=0.25)))
    journal.record(StepFinished(status="succeeded", attempts=1, usage=Usage(requests=9, input_tokens=999)))
    journal.record(RunFinished(status="succeeded", usage=Usage(requests=9, input_tokens=999)))

    journal.finish("succeeded")

    expected = Usage(requests=2, input_tokens=150, output_tokens=25, cost_usd=0.25)
    assert journal.usage == expected
    stored = json.loads((journal.dir / "run.json").read_text())
    assert Usage.model_validate(stored["usage"]) == expected
    assert stored["event_count"] == 4
    assert stored["status"] == "succeeded"
    assert stored["finished"] is not None


def test_recording_only_appends(start_run: StartRun) -> None:
    journal = start_run()
    journal.record(RunStarted(task="demo", goal="g", model="m", workspace="w", steps=["a"]))
    journal.record(CommandRun(argv=["pytest"], exit_code=1, duration=0.5, stdout="1 failed"))
    before = (journal.dir / "events.jsonl").read_bytes()

    journal.record(Notice(message="later"))
    journal.finish("failed", reason="tests fail", failed_step="a")

    after = (journal.dir / "events.jsonl").read_bytes()
    assert after.startswith(before)
    assert after.count(b"\n") == 3
    assert after.endswith(b"\n")


def test_finish_writes_the_outcome_and_closes_the_journal(start_run: StartRun) -> None:
    journal = start_run()

    header = journal.finish("limit_exceeded", reason="50 turns", failed_step="fix")

    assert (header.status, header.reason, header.failed_step) == ("limit_exceeded", "50 turns", "fix")
    assert header.duration is not None and header.duration >= 0
    with pytest.raises(JournalClosed):
        journal.record(Notice(message="too late"))


@pytest.mark.parametrize("status", ["running", "interrupted", "done"])
def test_a_run_cannot_finish_as_running_or_interrupted(start_run: StartRun, status: str) -> None:
    journal = start_run()

    with pytest.raises(ValueError, match="cannot finish"):
        journal.finish(status)  # type: ignore[arg-type]


def test_leaving_the_context_with_an_error_finishes_the_run_as_failed(start_run: StartRun) -> None:
    journal = start_run()

    with pytest.raises(OSError), journal:
        raise OSError("disk on fire")

    stored = json.loads((journal.dir / "run.json").read_text())
    assert (stored["status"], stored["reason"]) == ("failed", "OSError: disk on fire")


def test_leaving_the_context_on_ctrl_c_finishes_the_run_as_cancelled(start_run: StartRun) -> None:
    journal = start_run()

    with pytest.raises(KeyboardInterrupt), journal:
        raise KeyboardInterrupt

    assert json.loads((journal.dir / "run.json").read_text())["status"] == "cancelled"


def test_leaving_the_context_after_finish_keeps_the_status(start_run: StartRun) -> None:
    with start_run() as journal:
        journal.finish("succeeded")

    assert json.loads((journal.dir / "run.json").read_text())["status"] == "succeeded"


def test_messages_are_saved_whole_per_agent_and_replaced_on_each_save(start_run: StartRun) -> None:
    journal = start_run()

    journal.save_messages("worker:fix", b'[{"kind": "request", "parts": []}]')
    path = journal.save_messages("worker:fix", b'[{"kind": "request", "parts": [{"content": "caf\xc3\xa9"}]}]')

    assert path == journal.dir / "messages" / "worker-fix.json"
    assert json.loads(path.read_bytes()) == [{"kind": "request", "parts": [{"content": "café"}]}]
    assert [p.name for p in path.parent.iterdir()] == ["worker-fix.json"]  # no temporary file left behind


def test_messages_that_are_not_json_are_kept_byte_for_byte_outside_secrets(start_run: StartRun) -> None:
    journal = start_run()

    path = journal.save_messages("supervisor", b"\xff\xfe not json sk-ant-api03-Xa9d0FQ2mZbq7LkPpR3tV8wYc1nE5uH")

    assert path.read_bytes() == b"\xff\xfe not json [REDACTED:ANTHROPIC_API_KEY]"


def test_the_final_diff_is_written(start_run: StartRun) -> None:
    journal = start_run()

    journal.write_diff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n")

    assert (journal.dir / "final.diff").read_text() == "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n"


def test_records_from_many_threads_get_unique_seqs_in_file_order(start_run: StartRun) -> None:
    journal = start_run()
    threads_count, per_thread = 8, 150
    barrier = threading.Barrier(threads_count)

    def work(worker: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            journal.record(Notice(step=f"s{worker}", message=f"{worker}:{i} " + "x" * (i * 37 % 3000)))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    recorded = lines(journal)  # every line is whole JSON, or this fails
    assert [line["seq"] for line in recorded] == list(range(1, threads_count * per_thread + 1))
    for worker in range(threads_count):
        mine = [line["message"].split(" ")[0] for line in recorded if line["step"] == f"s{worker}"]
        assert mine == [f"{worker}:{i}" for i in range(per_thread)]
