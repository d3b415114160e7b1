"""Batches at scale: N scripted runs of the offline example (`examples/fix-failing-test`) as a batch with
concurrency 1, 2 and 4, on this machine and on a local Ray cluster (a head and one more node), against the same
runs one by one (`interns run` after `interns run`); and the run store, a batch's rows and the viewer's list with
many runs (100,000 by default)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.stats import median_ms, timed
from benchmarks.table import BenchResult, Row, at_most
from interns.agents.batch import Executor, LocalExecutor, new_batch, run_batch
from interns.journal import BatchLink, RunHeader, RunIndex, RunStore
from interns.journal.batches import BatchRow, BatchStore
from interns.journal.header import write_header
from interns.journal.viewer.views import RunViews

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fix-failing-test"
MODEL = f"scripted:{EXAMPLE / 'script.yaml'}"
FIRST_SCREEN_MS = 2000
"""The viewer's first-screen target, which its run list's first page is held to as well."""


def one_by_one(runs: int, root: Path) -> float:
    """Wall seconds of `runs` runs of the example, each its own `interns run`, one after the other."""
    argv = [sys.executable, "-m", "interns", "run", str(EXAMPLE / "task.yaml"), "--model", MODEL]
    started = time.perf_counter()
    for _ in range(runs):
        quiet = subprocess.DEVNULL
        done = subprocess.run([*argv, "--runs-dir", str(root)], stdout=quiet, stderr=quiet, stdin=quiet)
        if done.returncode != 0:
            raise RuntimeError(f"a run of the example failed (exit {done.returncode})")
    return time.perf_counter() - started


def as_batch(runs: int, concurrency: int, on: str, root: Path) -> float:
    """Wall seconds of the example run `runs` times as one batch, `concurrency` at a time, `on` local or ray."""
    store = BatchStore(root)
    batch = new_batch(store, EXAMPLE / "task.yaml", [{}] * runs, models=[MODEL], concurrency=concurrency, on=on)
    executor: Executor
    if on == "local":
        executor = LocalExecutor(root, store.folder(batch) / "logs")
    else:
        from interns.agents.cluster import RayExecutor

        executor = RayExecutor(on, root, store.folder(batch) / "logs", concurrency=concurrency)
    started = time.perf_counter()
    states = asyncio.run(run_batch(store, batch, executor))
    took = time.perf_counter() - started
    failed = [s.status for s in states if s.status != "succeeded"]
    if failed:
        raise RuntimeError(f"{len(failed)} rows of the {on} batch did not succeed: {sorted(set(failed))}")
    return took


class Progress:
    """A line on stderr as each phase ends: its time, and the runs done of all the benchmark's runs so far."""

    def __init__(self, total: int) -> None:
        """`total` runs in all phases."""
        self.total, self.done, self.started = total, 0, time.perf_counter()

    def phase(self, name: str, runs: int, seconds: float) -> None:
        """Say that the phase `name` ran `runs` runs in `seconds`."""
        self.done += runs
        elapsed = time.perf_counter() - self.started
        left = elapsed / self.done * (self.total - self.done)
        line = f"  batch · {name}: {runs} runs in {seconds:.0f} s; {self.done}/{self.total} runs done"
        print(f"{line}, {elapsed / 60:.1f} min so far, about {left / 60:.0f} min left", file=sys.stderr, flush=True)


def throughput(runs: int, concurrency: tuple[int, ...], ray: bool) -> tuple[list[Row], dict[str, Any]]:
    """Rows per placement and concurrency: seconds per run against one by one, and runs per minute."""
    raw: dict[str, Any] = {"runs": runs}
    rows: list[Row] = []
    places = ["local"] + (["ray"] if ray else [])
    progress = Progress(runs * (1 + len(places) * len(concurrency)))
    with tempfile.TemporaryDirectory(prefix="interns-bench-batch-") as scratch:
        alone = one_by_one(runs, Path(scratch) / "alone") / runs
        progress.phase("one by one", runs, alone * runs)
        raw["one_by_one_s_per_run"] = alone
        cluster = _cluster() if ray else None
        try:
            for on in places:
                for c in concurrency:
                    wall = as_batch(runs, c, on, Path(scratch) / f"{on}-{c}")
                    progress.phase(f"{on} · concurrency={c}", runs, wall)
                    raw[f"{on}_concurrency_{c}_s"] = wall
                    row = Row(f"batch · {on} · concurrency={c}", wall / runs, unit="s", other=alone,
                              other_label="one by one")  # fmt: skip
                    row.note = f"{runs} runs, {60 * runs / wall:.1f} runs/min"
                    rows.append(row)
        finally:
            if cluster is not None:
                import ray

                ray.shutdown()  # first: a driver whose cluster goes away under it ends its own process
                cluster.stop()
    return rows, raw


def _cluster() -> Any:
    from interns.agents.cluster.local import LocalCluster

    cluster = LocalCluster.start(nodes=2)
    os.environ["RAY_ADDRESS"] = cluster.address
    return cluster


def many_runs(count: int, root: Path, batch_rows: int = 1000) -> str:
    """`count` finished runs written as a journal root holds them (a header and an empty journal each), indexed;
    the first `batch_rows` of them are the rows of one batch, whose id is returned."""
    store = BatchStore(root)
    rows = [BatchRow(params={"n": str(i)}) for i in range(batch_rows)]
    batch = store.create(kind="batch", task="bench", task_file=root / "task.yaml", rows=rows)
    runs = root / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    headers = []
    for i in range(count):
        started = start + timedelta(seconds=i)
        run_id = f"{started:%Y%m%d-%H%M%S}-bench-{i:06x}"
        link = BatchLink(batch_id=batch.batch_id, row=i) if i < batch_rows else None
        header = RunHeader(run_id=run_id, task="bench", task_sha256="0" * 64, goal="g", model="scripted:x",
                           workspace="w", status="succeeded" if i % 3 else "failed", started=started,
                           finished=started + timedelta(seconds=2), batch=link)  # fmt: skip
        (runs / run_id).mkdir()
        (runs / run_id / "events.jsonl").write_bytes(b"")
        write_header(runs / run_id, header)
        headers.append(header)
    RunIndex(root / "index.db").upsert(headers)
    return batch.batch_id


def store_figures(count: int, repeats: int = 5) -> tuple[list[Row], dict[str, Any]]:
    """Milliseconds to list the newest runs, a batch's rows and the viewer's first page, over `count` runs."""
    with tempfile.TemporaryDirectory(prefix="interns-bench-store-") as scratch:
        root = Path(scratch)
        made = time.perf_counter()
        batch_id = many_runs(count, root)
        made = time.perf_counter() - made
        print(f"  batch · {count:,} runs written and indexed in {made:.0f} s", file=sys.stderr, flush=True)
        batches = BatchStore(root)
        views = RunViews(RunStore(root))  # as the viewer's server keeps it between requests
        batch = batches.load(batch_id)
        work: dict[str, Callable[[], object]] = {  # a fresh store is what each `interns` command starts with
            "run store · newest 50": lambda: RunStore(root).list(limit=50),
            "batch · states of 1,000 rows": lambda: BatchStore(root).states(batch),
            "batch · each of 1,000 rows as it ends": lambda: [batches.state(batch, i) for i in range(len(batch.rows))],
            "viewer · run list, first 200, fresh server": lambda: RunViews(RunStore(root)).listing(limit=200),
            "viewer · run list, first 200, again": lambda: views.listing(limit=200),
            "viewer · run list, awaiting review": lambda: views.listing(limit=200, awaiting_review=True),
            "viewer · run list, text search": lambda: views.listing(limit=200, text="no such text"),
        }
        samples = {}
        for name, job in work.items():
            samples[name] = [timed(job) for _ in range(repeats)]
            print(f"  {name}: {median_ms(samples[name]):,.1f} ms", file=sys.stderr, flush=True)
    rows = [Row(f"{name} ({count:,} runs)", median_ms(times), unit="ms") for name, times in samples.items()]
    for row in rows:
        if "first 200" in row.benchmark:  # the viewer's first screen
            row.target, row.met = f"< {FIRST_SCREEN_MS:,} ms", at_most(row.ours, FIRST_SCREEN_MS)
    return rows, {"runs": count, "make_s": made, "samples_s": samples}


def measure(
    runs: int = 200, concurrency: tuple[int, ...] = (1, 2, 4), ray: bool = True, store_runs: int = 100_000
) -> BenchResult:
    """Every batch figure; `ray` False (or Ray not installed) leaves the cluster out."""
    try:
        import ray as _ray  # noqa: F401
    except ImportError:
        ray = False
    rows, raw = throughput(runs, concurrency, ray)
    store_rows, store_raw = store_figures(store_runs)
    return BenchResult("batch", rows=rows + store_rows, raw={"throughput": raw, "store": store_raw})
