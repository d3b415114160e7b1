"""Journal and index: appending events (ms per event, bytes on disk) against a raw JSON-lines append, and listing,
filtering and re-indexing thousands of runs with `interns runs` and `RunStore`."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.stats import interleaved, median_ms, timed
from benchmarks.table import BenchResult, Row, at_most
from interns.journal import (
    CommandRun,
    Event,
    ModelResponse,
    PolicyDecision,
    RunHeader,
    RunStatus,
    RunStore,
    ToolCall,
    Usage,
    open_run,
)

LIST_TARGET_MS = 200.0
STATUSES: tuple[RunStatus, ...] = ("succeeded", "failed", "limit_exceeded", "cancelled")


def step_events(i: int) -> list[Event]:
    """The four events one worker step journals: the model turn, the policy's verdict, the command, the tool call."""
    command = f"pytest -q tests/test_{i % 50}.py"
    call: dict[str, Any] = {"tool": "run", "args": {"command": command}, "id": f"toolu_{i:08d}"}
    usage = Usage(requests=1, input_tokens=1800, output_tokens=90, cache_read_tokens=1500)
    output = "." * 40 + f"\n{i % 7} passed in 0.{i % 10}1s\n"
    return [
        ModelResponse(step="fix", attempt=1, text="Running the tests again.", tool_calls=[call], usage=usage),
        PolicyDecision(step="fix", tool="run", target=command, verdict="allow", rule="allow: *", reason="allowed"),
        CommandRun(step="fix", argv=["bash", "-c", command], exit_code=0, duration=0.4, stdout=output),
        ToolCall(step="fix", tool="run", args=call["args"], ok=True, result=f"[exit code 0]\n{output}"),
    ]


def measure_append(events: int = 100_000, blocks: int = 10) -> tuple[dict[str, Any], list[Row]]:
    """Seconds per event of `Journal.record` and of a bare flushed JSON-lines append, block by block, interleaved."""
    sample = [e for i in range(25) for e in step_events(i)]
    per_block = max(events // blocks, 1)
    with tempfile.TemporaryDirectory(prefix="interns-bench-journal-") as scratch:
        journal = open_run(Path(scratch), task="bench", goal="append", task_text="", model="scripted:x", workspace=".")
        raw_file = (Path(scratch) / "raw.jsonl").open("ab")

        def ours() -> float:
            return timed(lambda: [journal.record(sample[i % len(sample)]) for i in range(per_block)]) / per_block

        def floor() -> float:
            def write() -> None:
                for i in range(per_block):
                    raw_file.write(sample[i % len(sample)].model_dump_json().encode() + b"\n")
                    raw_file.flush()

            return timed(write) / per_block

        samples = interleaved({"ours": ours, "floor": floor}, blocks)
        journal.finish("succeeded")
        raw_file.close()
        size = (journal.dir / "events.jsonl").stat().st_size
    raw = {"events": per_block * blocks, "per_event_s": samples, "events_bytes": size}
    row = Row(
        f"journal · append {per_block * blocks:,} events", median_ms(samples["ours"]), other=median_ms(samples["floor"])
    )
    row.other_label, row.note = (
        "raw append",
        f"{size / 2**20:.1f} MiB on disk, {size / (per_block * blocks):.0f} B/event",
    )
    return raw, [row]


def make_runs(root: Path, count: int) -> None:
    """`count` finished runs' headers under `root/runs/`, as a journal leaves them (listings never read events)."""
    runs = root / "runs"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        started = start + timedelta(minutes=i)
        header = RunHeader(
            run_id=f"{started:%Y%m%d-%H%M%S}-task-{i % 20}-{i:04x}",
            task=f"task-{i % 20}",
            task_sha256="0" * 64,
            goal="A benchmark run.",
            model="anthropic:claude-sonnet-4-5",
            workspace="/srv/project",
            status=STATUSES[i % len(STATUSES)],
            usage=Usage(requests=5, input_tokens=9000, output_tokens=700, cost_usd=0.04),
            started=started,
            finished=started + timedelta(seconds=40),
            event_count=60,
            host="bench",
        )
        folder = runs / header.run_id
        folder.mkdir(parents=True)
        (folder / "run.json").write_text(header.model_dump_json(indent=2) + "\n")


def _cli(root: Path, *args: str) -> None:
    """Run `interns runs` over `root` as a person would, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-m", "interns", "runs", "--runs-dir", str(root), *args], capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"interns runs failed: {done.stderr.decode()[-500:]}")


def import_profile(module: str = "interns.agents.cli.app", top: int = 8) -> list[dict[str, Any]]:
    """Where importing `module` spends its time: self time summed by top-level package (`python -X importtime`)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True
    )
    by_package: dict[str, int] = {}
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            package = parts[2].strip().split(".")[0]
            by_package[package] = by_package.get(package, 0) + int(parts[0])
    heaviest = sorted(by_package.items(), key=lambda item: -item[1])[:top]
    return [{"package": package, "self_ms": us / 1000} for package, us in heaviest]


def measure_runs(count: int = 10_000, rounds: int = 5, cli: bool = True) -> tuple[dict[str, Any], list[Row]]:
    """Listing and filtering `count` runs in-process and (with `cli`) through `interns runs`, and re-indexing them."""
    with tempfile.TemporaryDirectory(prefix="interns-bench-runs-") as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        make_runs(root, count)
        made = time.perf_counter() - started
        store = RunStore(root)
        first_rebuild = timed(store.rebuild_index)
        variants: dict[str, Callable[[], float]] = {
            "store_list": lambda: timed(lambda: store.list(limit=50)),
            "store_status": lambda: timed(lambda: store.list(status="failed", limit=50)),
            "store_task": lambda: timed(lambda: store.list(task="task-3", limit=50)),
            "rebuild": lambda: timed(store.rebuild_index),
        }
        if cli:
            python = sys.executable
            variants |= {
                "cli_list": lambda: timed(lambda: _cli(root)),
                "cli_status": lambda: timed(lambda: _cli(root, "--status", "failed")),
                "cli_task": lambda: timed(lambda: _cli(root, "--task", "task-3")),
                "python_start": lambda: timed(lambda: subprocess.run([python, "-c", "pass"], check=True)),
                "cli_import": lambda: timed(
                    lambda: subprocess.run([python, "-c", "import interns.agents.cli.app"], check=True)
                ),
            }
        samples = interleaved(variants, rounds)
    raw: dict[str, Any] = {"runs": count, "rounds": rounds, "make_runs_s": made, "first_rebuild_s": first_rebuild}
    raw["samples_s"] = samples
    ms = {name: median_ms(values) for name, values in samples.items()}
    if not cli:
        rows = [
            Row(f"runs · RunStore.list ({count:,} runs)", ms["store_list"]),
            Row("runs · RunStore.list, one status", ms["store_status"]),
            Row("runs · RunStore.list, one task", ms["store_task"]),
            Row(f"runs · rebuild the index ({count:,} runs)", ms["rebuild"]),
        ]
        return raw, rows
    raw["cli_import_profile"] = import_profile()
    heaviest = ", ".join(f"{r['package']} {r['self_ms']:.0f} ms" for r in raw["cli_import_profile"][:3])
    rows = [
        Row(f"runs · interns runs ({count:,} runs)", ms["cli_list"], other=ms["store_list"], other_label="in-process"),
        Row(
            "runs · interns runs --status failed", ms["cli_status"], other=ms["store_status"], other_label="in-process"
        ),
        Row("runs · interns runs --task task-3", ms["cli_task"], other=ms["store_task"], other_label="in-process"),
        Row(
            "runs · import of the CLI",
            ms["cli_import"],
            other=ms["python_start"],
            other_label="python -c pass",
            note=heaviest,
        ),
        Row(f"runs · rebuild the index ({count:,} runs)", ms["rebuild"]),
    ]
    # The target, as issue 18 set it: under 200 ms over the interpreter's own start (`python -c pass`, interleaved).
    python = ms["python_start"]
    for row in rows[:3]:
        over = None if row.ours is None or python is None else row.ours - python
        row.target, row.met = f"≤ python + {LIST_TARGET_MS:g} ms", at_most(over, LIST_TARGET_MS)
        row.note = f"python -c pass: {python:.1f} ms" if python is not None else ""
    return raw, rows


def measure(events: int = 100_000, runs: int = 10_000, rounds: int = 3, cli: bool = True) -> BenchResult:
    """Both halves: appending events, and listing, filtering and re-indexing runs."""
    append_raw, append_rows = measure_append(events)
    runs_raw, runs_rows = measure_runs(runs, rounds, cli)
    return BenchResult("journal_index", rows=append_rows + runs_rows, raw={"append": append_raw, "runs": runs_raw})
