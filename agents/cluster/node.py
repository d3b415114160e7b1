"""What runs on a cluster node: one row's `interns run`, its journal sent back as it is written.

`NodeRow` starts the run and says, at each look, what is new. The driver reaches it one of two ways: as a Ray
generator task (`stream_row`, each value reaching the driver while the run goes on), or, through Ray Client, which
has no generator tasks, as an actor the driver asks for what is new (`RowActor`). The node checks its sandbox
backend first and refuses the row, with the reason, rather than run it with less isolation than the task asks for.
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

__all__ = ["POLL_SECONDS", "NodeRow", "RowActor", "stream_row"]

POLL_SECONDS = 0.2
"""How often the node looks at the run's directory for what is new."""
LOG_TAIL_BYTES = 4000


class NodeRow:
    """One row's `interns run` on this node, under a journal root of its own, looked at for what is new."""

    def __init__(self, run_args: list[str], backend: str, image: str | None = None) -> None:
        """Start `interns run RUN_ARGS` here, unless this node cannot run the backend (then `refusal` says why)."""
        self.node, node_id = socket.gethostname(), _node_id()
        self.refusal: Refused | None = None
        self.child: subprocess.Popen[bytes] | None = None
        self.tail: RunTail | None = None
        self.ended = False
        if (problem := _backend_problem(backend, image)) is not None:
            reason = f"node {self.node} ({node_id[:12]}) cannot run a {backend} sandbox: {problem}"
            self.refusal = Refused(self.node, node_id, reason)
            return
        self.scratch = Path(tempfile.mkdtemp(prefix="interns-node-"))
        self.log = self.scratch / "run.log"
        argv = [sys.executable, "-m", "interns", "run", *run_args, "--runs-dir", str(self.scratch / "journal")]
        with self.log.open("wb") as output:
            self.child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output)

    def look(self) -> list[Message]:
        """What is new since the last look; the last look (after which `ended` is true) ends with `Ended`."""
        if self.ended:
            return []
        if self.child is None:
            self.ended = True
            return [self.refusal] if self.refusal is not None else []
        new: list[Message] = []
        ended = self.child.poll() is not None
        if self.tail is None and (run_dir := _run_dir(self.scratch / "journal")) is not None:
            self.tail = RunTail(run_dir)
            new.append(Started(self.tail.run_id, self.node))
        if self.tail is not None:
            new += self.tail.chunks(final=ended)
        if ended:
            self.ended = True
            log_tail = self.log.read_bytes()[-LOG_TAIL_BYTES:].decode("utf-8", "replace")
            new.append(Ended(self.child.returncode, log_tail))
        return new

    def close(self) -> None:
        """Stop the run if it still goes (it is journaled as cancelled) and remove its scratch folder."""
        if self.child is None:
            return
        if self.child.poll() is None:
            self.child.terminate()
            self.child.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


def stream_row(run_args: list[str], backend: str, image: str | None = None) -> Iterator[Message]:
    """Run `interns run RUN_ARGS` here, yielding the journal as it grows (a Ray generator task)."""
    row = NodeRow(run_args, backend, image)
    try:
        while True:
            for message in row.look():  # noqa: UP028 - Ray sends into the generator, which a list's iterator refuses
                yield message
            if row.ended:
                return
            time.sleep(POLL_SECONDS)
    finally:  # also when the driver went away: the run stops here too
        row.close()


class RowActor:
    """A `NodeRow` kept in a Ray actor, for a driver that can only ask (Ray Client): `look` until it has ended."""

    def __init__(self, run_args: list[str], backend: str, image: str | None = None) -> None:
        """Start the row on the node the actor was placed on."""
        self.row = NodeRow(run_args, backend, image)

    def look(self) -> tuple[list[Message], bool]:
        """What is new since the last look, and whether the run has ended."""
        return self.row.look(), self.row.ended

    def close(self) -> None:
        """Stop the run if it still goes and clean up after it."""
        self.row.close()


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
    """This node's Ray id; empty outside a Ray worker (asking there would start a Ray instance of its own)."""
    try:
        import ray

        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else ""
    except Exception:
        return ""
