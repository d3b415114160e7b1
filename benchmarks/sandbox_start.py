"""How long a sandbox takes to give its first result, and what each later command costs, per backend.

For local, bubblewrap and docker it measures, as medians over repeated runs:

- first: open a sandbox over a fresh folder and get the result of `true` (what a new step pays);
- per command: one more `true` in a sandbox already open (what each later command pays);

against the raw floors: `true` run directly, `bwrap ... true` (the sandbox's own command line),
`docker run --rm IMAGE true` and `docker exec CONTAINER true`. It prints a table of medians and
ratios and writes every raw figure as JSON. Backends that cannot run here are left out, saying why.

    .venv/bin/python benchmarks/sandbox_start.py [--runs 15] [--commands 30] [--json sandbox_start.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox import (
    DEFAULT_IMAGE,
    BackendName,
    BubblewrapSandbox,
    SandboxSpec,
    SandboxUnavailable,
    check_backend,
    open_sandbox,
)

BACKENDS: tuple[BackendName, ...] = ("local", "bubblewrap", "docker")
TARGET_FIRST_S = 1.0
TARGET_PER_COMMAND_S = 0.1


def timed(work: Callable[[], object], runs: int) -> list[float]:
    """Seconds each of `runs` calls of `work` took."""
    figures = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        figures.append(time.perf_counter() - started)
    return figures


def run_quietly(command: list[str]) -> None:
    """Run a command to completion, failing loudly if it fails."""
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def backend_figures(backend: BackendName, runs: int, commands: int, image: str) -> dict[str, list[float]]:
    """Open-to-first-result times over `runs` fresh sandboxes, and per-command times in one open sandbox."""
    first, per_command = [], []
    with tempfile.TemporaryDirectory(prefix="interns-bench-") as scratch:
        spec = SandboxSpec(backend=backend, workspace=Path(scratch), image=image)
        for _ in range(runs):
            started = time.perf_counter()
            box = await open_sandbox(spec)
            result = await box.exec(["true"])
            first.append(time.perf_counter() - started)
            assert result.ok, result
            await box.aclose()
        box = await open_sandbox(spec)
        try:
            for _ in range(commands):
                started = time.perf_counter()
                await box.exec(["true"])
                per_command.append(time.perf_counter() - started)
        finally:
            await box.aclose()
    return {"first": first, "per_command": per_command}


def floor_figures(backend: str, runs: int, commands: int, image: str) -> dict[str, list[float]]:
    """The same two figures for the raw tool each backend is built on."""
    if backend == "local":
        direct = timed(lambda: run_quietly(["true"]), commands)
        return {"first": direct, "per_command": direct}
    with tempfile.TemporaryDirectory(prefix="interns-bench-") as scratch:
        if backend == "bubblewrap":
            command = BubblewrapSandbox(SandboxSpec(backend="bubblewrap", workspace=Path(scratch))).command(["true"])
            direct = timed(lambda: run_quietly(command), commands)
            return {"first": direct, "per_command": direct}
        docker = shutil.which("docker")
        if docker is None:
            return {}
        first = timed(lambda: run_quietly([docker, "run", "--rm", "--network", "none", image, "true"]), runs)
        container = subprocess.run(
            [docker, "run", "-d", "--rm", "--network", "none", image, "sleep", "600"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        try:
            per_command = timed(lambda: run_quietly([docker, "exec", container, "true"]), commands)
        finally:
            run_quietly([docker, "rm", "-f", container])
        return {"first": first, "per_command": per_command}


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:8.1f}"


def main() -> None:
    """Measure every backend that runs here, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="fresh sandboxes opened per backend")
    parser.add_argument("--commands", type=int, default=30, help="commands timed in one open sandbox")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="docker image")
    parser.add_argument("--json", type=Path, default=Path("sandbox_start.json"), help="where to write raw figures")
    args = parser.parse_args()

    backends: dict[str, Any] = {}
    report = {"host": platform.node(), "runs": args.runs, "commands": args.commands, "backends": backends}
    rows = []
    for backend in BACKENDS:
        try:
            check_backend(backend, image=args.image)
        except SandboxUnavailable as exc:
            print(f"{backend}: left out, it cannot run here: {exc}")
            continue
        measured = asyncio.run(backend_figures(backend, args.runs, args.commands, args.image))
        floor = floor_figures(backend, args.runs, args.commands, args.image)
        backends[backend] = {"sandbox": measured, "floor": floor}
        for figure in ("first", "per_command"):
            ours = statistics.median(measured[figure])
            raw = statistics.median(floor[figure]) if floor.get(figure) else None
            rows.append((backend, figure, ours, raw))

    print(f"\nmedians in ms ({args.runs} fresh sandboxes, {args.commands} commands each)")
    print(f"{'backend':<11} {'figure':<12} {'sandbox':>8} {'floor':>8} {'ratio':>6}  target")
    for backend, figure, ours, raw in rows:
        ratio = f"{ours / raw:6.1f}" if raw else "     -"
        target = TARGET_FIRST_S if figure == "first" else TARGET_PER_COMMAND_S
        verdict = "" if backend != "docker" else ("met" if ours < target else "MISSED") + f" (< {target * 1000:g} ms)"
        print(f"{backend:<11} {figure:<12} {ms(ours)} {ms(raw)} {ratio}  {verdict}")
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nraw figures: {args.json}")


if __name__ == "__main__":
    main()
