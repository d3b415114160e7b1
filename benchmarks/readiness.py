"""Sandbox readiness: from "open a sandbox" to the first command's result, and each later command, per backend,
against the raw floors (`true`, `bwrap ... true`, `docker run --rm ... true`, `docker exec CONTAINER true`)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.stats import interleaved, median_ms, timed
from benchmarks.table import BenchResult, Row, at_most
from interns.sandbox import (
    DEFAULT_IMAGE,
    BackendName,
    BubblewrapSandbox,
    DockerSandbox,
    SandboxSpec,
    SandboxUnavailable,
    check_backend,
    open_sandbox,
)

BACKENDS: tuple[BackendName, ...] = ("local", "bubblewrap", "docker")
DOCKER_FIRST_TARGET = 1.1


def _quietly(command: list[str]) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def first_result(spec: SandboxSpec) -> float:
    """Seconds from opening a sandbox to the result of its first `true`; the sandbox is closed afterwards."""
    started = time.perf_counter()
    box = await open_sandbox(spec)
    try:
        result = await box.exec(["true"])
        took = time.perf_counter() - started
    finally:
        await box.aclose()
    if not result.ok:
        raise RuntimeError(f"`true` failed in the {spec.backend} sandbox: {result}")
    return took


def _floors(backend: BackendName, workspace: Path, image: str) -> tuple[list[str], list[str] | None]:
    """The raw command lines for a first result and for a later command (None: set up by the caller)."""
    if backend == "local":
        return ["true"], ["true"]
    if backend == "bubblewrap":
        command = BubblewrapSandbox(SandboxSpec(backend="bubblewrap", workspace=workspace)).bare_command(["true"])
        return command, command
    docker = shutil.which("docker") or "docker"
    mount = f"type=bind,source={workspace},target=/workspace"
    return [docker, "run", "--rm", "--network", "none", "--mount", mount, image, "true"], None


def measure(rounds: int = 15, commands: int = 30, backends: tuple[BackendName, ...] = BACKENDS) -> BenchResult:
    """Per backend, interleaved with the floor: a fresh sandbox's first result, and one more command in an open one."""
    result = BenchResult("readiness", raw={"rounds": rounds, "commands": commands, "backends": {}})
    for backend in backends:
        try:
            check_backend(backend)
        except SandboxUnavailable as exc:
            result.raw["backends"][backend] = {"left_out": str(exc)}
            result.rows.append(Row(f"ready · {backend}", None, note=f"cannot run here: {exc}"[:120]))
            continue
        result.rows += _backend(result, backend, rounds, commands)
    return result


def _backend(result: BenchResult, backend: BackendName, rounds: int, commands: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="interns-bench-ready-") as scratch:
        workspace = Path(scratch)
        spec = SandboxSpec(backend=backend, workspace=workspace, image=DEFAULT_IMAGE)
        first_floor, later_floor = _floors(backend, workspace, DEFAULT_IMAGE)
        first = interleaved(
            {"ours": lambda: asyncio.run(first_result(spec)), "floor": lambda: timed(lambda: _quietly(first_floor))},
            rounds,
        )
        later = asyncio.run(_later_commands(spec, later_floor, commands))
    result.raw["backends"][backend] = {"first_s": first, "per_command_s": later}
    first_row = Row(f"ready · {backend} first result", median_ms(first["ours"]), other=median_ms(first["floor"]))
    first_row.other_label = "docker run" if backend == "docker" else "bwrap" if backend == "bubblewrap" else "true"
    if backend == "docker":
        first_row.target = f"≤ {DOCKER_FIRST_TARGET}× docker run"
        first_row.met = at_most(first_row.ratio, DOCKER_FIRST_TARGET)
    later_row = Row(f"ready · {backend} later command", median_ms(later["ours"]), other=median_ms(later["floor"]))
    later_row.other_label = "docker exec" if backend == "docker" else first_row.other_label
    return [first_row, later_row]


async def _later_commands(spec: SandboxSpec, floor: list[str] | None, commands: int) -> dict[str, list[float]]:
    """One more `true` in an open sandbox, interleaved with the raw floor (docker: `docker exec` into its container)."""
    box = await open_sandbox(spec)
    try:
        if floor is None:
            assert isinstance(box, DockerSandbox)
            floor = [shutil.which("docker") or "docker", "exec", box.container_id, "true"]
        ours, raw = [], []
        for _ in range(commands):
            started = time.perf_counter()
            await box.exec(["true"])
            ours.append(time.perf_counter() - started)
            raw.append(await asyncio.to_thread(timed, lambda: _quietly(floor)))
    finally:
        await box.aclose()
    return {"ours": ours, "floor": raw}
