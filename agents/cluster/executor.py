"""Rows run as Ray tasks: each on some node of the cluster, in its sandbox there, its journal streamed back.

A row whose node dies mid-run has that run marked interrupted and runs again on another node, as a new run of the
same row (so the row counts only the new one). A node that refuses the row (no sandbox backend there) is left out
of that row's next try; when no node is left, the row does not run, and its log says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from interns import tasks
from interns.agents.batch.local import run_args
from interns.agents.cluster.messages import Chunk, Ended, Message, Refused, Started
from interns.agents.cluster.node import POLL_SECONDS, RowActor, stream_row
from interns.agents.cluster.sink import JournalSink
from interns.errors import EnvironmentProblem
from interns.journal.batches import BatchSpec

__all__ = ["MAX_ATTEMPTS", "RayExecutor", "RayUnavailable", "connect"]

MAX_ATTEMPTS = 3
"""How many times a row is started on the cluster when its node dies under it."""

_connected = threading.Lock()
CLIENT_TRIES = 3
SERVER_START_FAILED = "Starting Ray client server failed"
"""What the head's Ray Client server says when the server process it starts for a driver dies on the way up,
now and then on a loaded machine; a new connection gets a new one."""


class RayUnavailable(EnvironmentProblem):
    """Ray is not installed, or the cluster cannot be reached."""


def connect(on: str) -> Any:
    """The `ray` module, connected to the cluster `on` names: `ray` (RAY_ADDRESS, or this machine's) or `ray://...`."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable("--on ray needs Ray: pip install 'interns[ray]'") from None
    if on.startswith("ray://") and importlib.util.find_spec("grpc") is None:
        raise RayUnavailable(f"--on {on} needs Ray Client: pip install 'interns[ray]' (or 'ray[client]')")
    with _connected:
        for attempt in range(CLIENT_TRIES):
            if ray.is_initialized():
                break
            try:
                ray.init(address="auto" if on == "ray" else on, log_to_driver=False, logging_level=logging.WARNING)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                if SERVER_START_FAILED in str(exc) and attempt + 1 < CLIENT_TRIES:
                    continue
                raise RayUnavailable(f"cannot reach the Ray cluster ({on}): {exc}") from None
    return ray


class RayExecutor:
    """Runs each row as a Ray generator task and writes what it streams into the run store."""

    def __init__(self, on: str, runs_dir: Path, logs: Path, concurrency: int = 64) -> None:
        """Rows run on the cluster `on` names; their journals land under `runs_dir`, their logs in `logs`."""
        self.ray = connect(on)
        self.client = on.startswith("ray://")
        """Connected through Ray Client, which has no generator tasks."""
        self.sink = JournalSink(runs_dir)
        self.logs = logs
        self.threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="interns-ray-row")

    async def run_row(self, batch: BatchSpec, index: int) -> None:
        """Run one row on the cluster to its end (in a thread: Ray's iteration blocks)."""
        await asyncio.get_running_loop().run_in_executor(self.threads, self._run_row, batch, index)

    def _run_row(self, batch: BatchSpec, index: int) -> None:
        spec = tasks.load(batch.task_file, batch.rows[index].params)
        guardrails = spec.guardrails
        refused: dict[str, str] = {}
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"row-{index}.log").open("a", encoding="utf-8") as log:
            deaths = 0
            while True:  # ends: each refusal leaves a node out, each death counts towards MAX_ATTEMPTS
                outcome = self._attempt(batch, index, guardrails.sandbox, guardrails.image, refused, log)
                if outcome == "no node":
                    print("no node of the cluster can run it: " + "; ".join(refused.values()), file=log, flush=True)
                if outcome == "died":
                    deaths += 1
                    if deaths < MAX_ATTEMPTS:
                        continue
                    print(f"its node died under it {deaths} times; it is left not done", file=log, flush=True)
                if outcome != "refused":
                    return

    def _attempt(
        self, batch: BatchSpec, index: int, backend: str, image: str | None, refused: dict[str, str], log: Any
    ) -> str:
        """One try of the row: `done`, `died` (its node did), `refused` (by its node) or `no node` (all refused)."""
        options: dict[str, Any] = {"num_cpus": 1, "max_retries": 0}
        if refused:
            others = [node for node in self._nodes() if node not in refused]
            if not others:
                return "no node"
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(others[index % len(others)], soft=False)
        run_id = ""
        try:
            for message in self._messages(options, run_args(batch, index), backend, image):
                if isinstance(message, Chunk):
                    self.sink.write(message)
                elif isinstance(message, Started):
                    run_id = message.run_id
                    print(f"run {run_id} on node {message.node}", file=log, flush=True)
                elif isinstance(message, Refused):
                    refused[message.node_id] = message.reason
                    print(message.reason, file=log, flush=True)
                    return "refused"
                elif isinstance(message, Ended):
                    print(message.log_tail, file=log, flush=True)
        except self.ray.exceptions.RayTaskError as exc:  # the node's code failed: running it again fails again
            print(f"run {run_id or '(not started)'}: the node's side failed: {exc}", file=log, flush=True)
            if run_id:
                self.sink.interrupt(run_id, f"the node's side failed ({type(exc).__name__})")
            return "done"
        except self.ray.exceptions.RayError as exc:
            reason = f"the node running it stopped ({type(exc).__name__}); the row runs again elsewhere"
            print(f"run {run_id or '(not started)'}: {reason}", file=log, flush=True)
            if run_id:
                self.sink.interrupt(run_id, reason)
            return "died"
        return "done"

    def _messages(self, options: dict[str, Any], args: list[str], backend: str, image: str | None) -> Iterator[Message]:
        """What the node sends while it runs the row: through a generator task, or, over Ray Client (which has no
        generator tasks), by asking a `RowActor` for what is new."""
        if not self.client:
            for ref in self.ray.remote(stream_row).options(**options).remote(args, backend, image):
                yield self.ray.get(ref)
            return
        placement = {key: value for key, value in options.items() if key != "max_retries"}  # an actor restarts none
        actor = self.ray.remote(RowActor).options(**placement).remote(args, backend, image)
        try:
            while True:
                new, ended = self.ray.get(actor.look.remote())
                yield from new
                if ended:
                    return
                time.sleep(POLL_SECONDS)
        finally:
            with contextlib.suppress(Exception):  # its node may be gone, which is why we are here
                self.ray.get(actor.close.remote(), timeout=30)
            with contextlib.suppress(Exception):
                self.ray.kill(actor)

    def _nodes(self) -> list[str]:
        """The ids of the cluster's live nodes."""
        return [node["NodeID"] for node in self.ray.nodes() if node.get("Alive")]
