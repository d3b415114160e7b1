"""What runs on a cluster node: one row's `interns run`, its journal streamed back as it is written.

This is a plain generator; the driver makes it a Ray task (`ray.remote(stream_row)`), so each value it yields
reaches the driver while the run goes on. The node checks its sandbox backend first and refuses the row, with the
reason, rather than run it with less isolation than the task asks for.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from interns.agents.cluster.messages import Ended, Message, Refused, Started
from interns.agents.cluster.tail import RunTail

__all__ = ["POLL_SECONDS", "stream_row"]

POLL_SECONDS = 0.2
"""How often the node looks at the run's directory for what is new."""
LOG_TAIL_BYTES = 4000


def stream_row(run_args: list[str], backend: str, image: str | None = None) -> Iterator[Message]:
    """Run `interns run RUN_ARGS` here, under a journal root of its own, yielding the journal as it grows."""
    node, node_id = socket.gethostname(), _node_id()
    refusal = _backend_problem(backend, image)
    if refusal is not None:
        yield Refused(node, node_id, f"node {node} ({node_id[:12]}) cannot run a {backend} sandbox: {refusal}")
        return
    scratch = Path(tempfile.mkdtemp(prefix="interns-node-"))
    log = scratch / "run.log"
    argv = [sys.executable, "-m", "interns", "run", *run_args, "--runs-dir", str(scratch / "journal")]
    with log.open("wb") as output:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
    tail: RunTail | None = None
    try:
        while True:
            ended = child.poll() is not None
            if tail is None and (run_dir := _run_dir(scratch / "journal")) is not None:
                tail = RunTail(run_dir)
                yield Started(tail.run_id, node)
            if tail is not None:
                yield from tail.chunks(final=ended)
            if ended:
                break
            time.sleep(POLL_SECONDS)
        yield Ended(child.returncode, log.read_bytes()[-LOG_TAIL_BYTES:].decode("utf-8", "replace"))
    finally:
        if child.poll() is None:  # the driver went away: the run stops here too, journaled as cancelled
            child.terminate()
            child.wait()
        shutil.rmtree(scratch, ignore_errors=True)


def _run_dir(journal: Path) -> Path | None:
    try:
        with os.scandir(journal / "runs") as entries:
            found = [Path(e.path) for e in entries if e.is_dir() and (Path(e.path) / "run.json").is_file()]
    except FileNotFoundError:
        return None
    return found[0] if found else None


def _backend_problem(backend: str, image: str | None) -> str | None:
    """Why this node cannot run the backend, or None if it can."""
    from interns import sandbox

    try:
        sandbox.check_backend(backend, image=image)
    except sandbox.SandboxUnavailable as exc:
        return str(exc)
    return None


def _node_id() -> str:
    try:
        import ray

        return ray.get_runtime_context().get_node_id()
    except Exception:  # not in a Ray worker (the node code run directly)
        return ""
