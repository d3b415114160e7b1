"""Agent step overhead: a scripted worker runs `true` N times, journal on, per backend, against the raw command
floor and against mini-swe-agent doing the same N steps with its deterministic model and trajectory saving."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.peers import Peer, PeerUnavailable, ensure_peer
from benchmarks.stats import flatness, interleaved, median_ms, timed
from benchmarks.table import BenchResult, Row, at_most
from interns import tasks
from interns.agents.runtime.supervisor import Supervisor, TaskSource
from interns.agents.worker.models import select_model
from interns.journal import Event
from interns.sandbox import (
    BackendName,
    BubblewrapSandbox,
    DockerSandbox,
    SandboxSpec,
    SandboxUnavailable,
    check_backend,
)
from interns.sandbox import open_sandbox as open_box

BACKENDS: tuple[BackendName, ...] = ("local", "bubblewrap", "docker")
TARGETS = {"local": ("mini-swe-agent", 0.5), "bubblewrap": ("raw bwrap", 1.3), "docker": ("raw docker exec", 1.05)}
FLAT_TARGET = 1.2
COMMAND = ["bash", "-c", "true"]


def write_task(folder: Path, backend: str, steps: int) -> Path:
    """A one-step task whose script runs `true` `steps` times, then answers; returns the task file."""
    (folder / "project").mkdir(parents=True, exist_ok=True)
    (folder / "project" / "README").write_text("a workspace for the benchmark\n")
    turns: list[dict[str, Any]] = [{"call": {"run": {"command": "true"}}} for _ in range(steps)]
    (folder / "script.yaml").write_text(yaml.safe_dump({"work": [*turns, {"final": "done"}]}))
    task = {
        "version": 1,
        "name": f"bench-steps-{backend}",
        "goal": "Run `true` until told to stop.",
        "workspace": {"folder": "project"},
        "steps": [{"id": "work", "instructions": "Run `true` until told to stop.", "tools": ["run"]}],
        "guardrails": {
            "sandbox": backend,
            # The same `true` every turn: a loop the kit would end as stuck, allowed here since it is the measure.
            "limits": {"turns": steps + 5, "tokens": 10**12, "minutes": 60.0, "repeated_calls": steps + 1},
        },
        "review": {"retries": 0, "human": False, "supervisor": False},
    }
    path = folder / "task.yaml"
    path.write_text(yaml.safe_dump(task, sort_keys=False))
    return path


async def run_worker(task_path: Path) -> list[float]:
    """Run the task through the supervisor, journal on; seconds of each step, from one model turn to the next."""
    stamps: list[float] = []

    def stamp(event: Event) -> None:
        if event.type == "model_response":
            stamps.append(time.perf_counter())

    spec = tasks.load(task_path)
    model = select_model(None, f"scripted:{task_path.parent / 'script.yaml'}")
    supervisor = Supervisor(
        spec, model, TaskSource(task_path.read_text()), runs_root=task_path.parent / "runs", on_event=stamp
    )
    result = await supervisor.run()
    if result.status != "succeeded":
        raise RuntimeError(f"the benchmark run did not succeed: {result.status} {result.reason}")
    return [b - a for a, b in itertools.pairwise(stamps)]


def floor_command(backend: BackendName, workspace: Path) -> tuple[list[str], str | None]:
    """The raw command line of `bash -c true` on the backend, and the container it needs (docker), to remove after."""
    if backend == "local":
        return COMMAND, None
    if backend == "bubblewrap":
        return BubblewrapSandbox(SandboxSpec(backend="bubblewrap", workspace=workspace)).bare_command(COMMAND), None

    async def start() -> str:
        box = await open_box(SandboxSpec(backend="docker", workspace=workspace))
        assert isinstance(box, DockerSandbox)
        return box.container_id  # left running: `docker rm -f` removes it when the floor is measured

    container = asyncio.run(start())
    docker = shutil.which("docker") or "docker"
    return [docker, "exec", "-w", "/workspace", container, *COMMAND], container


def raw_floor(command: list[str], count: int) -> list[float]:
    """Seconds each of `count` runs of the raw command took."""

    def run() -> None:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    return [timed(run) for _ in range(count)]


def measure(
    steps: int = 1000,
    rounds: int = 1,
    backends: tuple[BackendName, ...] = BACKENDS,
    sandbox_steps: int | None = None,
    floor_commands: int = 200,
    peer: bool = True,
    install_peer: bool = True,
) -> BenchResult:
    """Per backend: ms per step of our worker (and its flatness), the raw floor, and (local) mini-swe-agent's.

    `steps` is the run's length on the local backend, `sandbox_steps` on bubblewrap and docker (None: `steps`)."""
    result = BenchResult("step_overhead", raw={"steps": steps, "rounds": rounds, "backends": {}})
    mini: Peer | None = None
    mini_note = "left out (peer=False)"
    if peer:
        try:
            mini = ensure_peer(install=install_peer)
        except PeerUnavailable as exc:
            mini_note = str(exc)
    for backend in backends:
        try:
            check_backend(backend)
        except SandboxUnavailable as exc:
            result.raw["backends"][backend] = {"left_out": str(exc)}
            result.rows.append(Row(f"step · {backend}", None, note=f"cannot run here: {exc}"[:120]))
            continue
        n = sandbox_steps if backend != "local" and sandbox_steps else steps
        result.rows += _backend(result, backend, n, rounds, floor_commands, mini if backend == "local" else None)
    if peer and mini is None:
        result.raw["mini_swe_agent"] = mini_note
        result.rows.append(Row("step · local vs mini-swe-agent", None, note=mini_note[:160]))
    return result


def _backend(
    result: BenchResult, backend: BackendName, n: int, rounds: int, floor_commands: int, mini: Peer | None
) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="interns-bench-steps-") as scratch:
        root = Path(scratch)
        workspace = root / "floor"
        workspace.mkdir()
        command, container = floor_command(backend, workspace)
        counter = iter(range(10**6))

        def ours() -> list[float]:
            folder = root / f"ours-{next(counter)}"
            return asyncio.run(run_worker(write_task(folder, backend, n)))

        def peer() -> list[float]:
            folder = root / f"mini-{next(counter)}"
            folder.mkdir()
            assert mini is not None
            return list(mini.call("steps", str(n), str(folder))["per_step_s"])

        # The floor is measured in two halves, before and after our run, so a change in the machine's load
        # during a long run weighs on both alike.
        before = floor_commands // 2
        variants = {"floor_before": lambda: raw_floor(command, before), "ours": ours}
        variants["floor_after"] = lambda: raw_floor(command, floor_commands - before)
        if mini is not None:
            variants["mini_swe_agent"] = peer
        try:
            samples = interleaved(variants, rounds)
            samples["floor"] = [
                a + b for a, b in zip(samples.pop("floor_before"), samples.pop("floor_after"), strict=True)
            ]
        finally:
            if container:
                subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
    result.raw["backends"][backend] = {"steps": n, "samples_s": samples}
    ours_all = [s for run in samples["ours"] for s in run]
    ours_ms, floor_ms = median_ms(ours_all), median_ms([s for run in samples["floor"] for s in run])
    flat = [flatness(run) for run in samples["ours"]]
    result.raw["backends"][backend]["flatness"] = flat
    rows = [Row(f"step · {backend}", ours_ms, other=floor_ms, other_label="floor", note=f"N={n}, {rounds} runs")]
    peer_label, limit = TARGETS[backend]
    if backend != "local":
        rows[0].target, rows[0].met = f"≤ {limit}× {peer_label}", at_most(rows[0].ratio, limit)
    if "mini_swe_agent" in samples:
        mini_ms = median_ms([s for run in samples["mini_swe_agent"] for s in run])
        mini_flat = [flatness(run) for run in samples["mini_swe_agent"]]
        result.raw["backends"][backend]["mini_flatness"] = mini_flat
        row = Row("step · local vs mini-swe-agent", ours_ms, other=mini_ms, other_label="mini")
        row.target, row.met = f"≤ {limit}× mini-swe-agent", at_most(row.ratio, limit)
        rows.append(row)
    first = median_ms([f["first_10pct_ms"] / 1000 for f in flat if f["first_10pct_ms"] is not None])
    last = median_ms([f["last_10pct_ms"] / 1000 for f in flat if f["last_10pct_ms"] is not None])
    flat_row = Row(f"step · {backend} flatness", last, other=first, other_label="first 10%", note="last 10% of steps")
    flat_row.target, flat_row.met = f"≤ {FLAT_TARGET}× first 10%", at_most(flat_row.ratio, FLAT_TARGET)
    rows.append(flat_row)
    return rows


def profile_worker(steps: int = 300, backend: BackendName = "local", top: int = 25) -> dict[str, Any]:
    """Where one run of our worker spends its time: own time summed by package, and the costliest functions."""
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory(prefix="interns-bench-profile-") as scratch:
        task = write_task(Path(scratch), backend, steps)
        profiler = cProfile.Profile()
        profiler.enable()
        per_step = asyncio.run(run_worker(task))
        profiler.disable()
    stats = pstats.Stats(profiler)
    functions = []
    for (filename, line, name), (_calls, _primitive, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        package = _package_of(filename)
        where = f"{package}:{Path(filename).name}:{line}({name})"
        functions.append(
            {
                "function": where,
                "package": package,
                "own_ms_per_step": 1000 * own / steps,
                "cum_ms_per_step": 1000 * cumulative / steps,
            }
        )
    # The event loop's and the graph runner's frames wrap everything: the costs worth naming are below them.
    named = [f for f in functions if f["package"] not in ("stdlib", "builtins", "anyio", "pydantic_graph", "sniffio")]
    return {
        "steps": steps,
        "backend": backend,
        "ms_per_step": median_ms(per_step),
        "flatness": flatness(per_step),
        "top_cumulative": sorted(named, key=lambda f: -f["cum_ms_per_step"])[:top],
        "top_own": sorted(functions, key=lambda f: -f["own_ms_per_step"])[:top],
    }


def _package_of(filename: str) -> str:
    """The top-level package a source file belongs to: the folder after site-packages, or ours, or the stdlib."""
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    for ours in ("agents", "journal", "sandbox", "tasks", "prompts", "benchmarks"):
        if ours in parts:
            return ours
    return "builtins" if filename.startswith("~") or filename.startswith("<") else "stdlib"
