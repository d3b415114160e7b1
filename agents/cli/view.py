"""`interns view`: the review viewer in a browser; its accept, reject and retry do what `interns review` does, its
approve, deny and resume what `interns approve` and `interns resume` do."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from interns.agents.cli import collector
from interns.agents.cli.common import DEFAULT_RUNS_DIR, EXIT_FAILED, RunsDir, err, fail, out
from interns.agents.gate import review as review_gate
from interns.agents.gate.approvals import answer_requests, ready_to_resume
from interns.journal import RunLookupError, RunStore

__all__ = ["GateActions", "view"]


def _refused(message: str) -> Exception:
    """The viewer's refusal of an action; the viewer itself is loaded only by `interns view`."""
    from interns.journal.viewer import ActionRefused

    return ActionRefused(message)


class GateActions:
    """The viewer's actions, carried out by the human gate exactly as `interns review`, `approve` and `resume` do."""

    def __init__(self, runs_dir: Path) -> None:
        """Act on the runs under `runs_dir`."""
        self.runs_dir = runs_dir.resolve()
        self.store = RunStore(self.runs_dir)
        self._started: dict[str, subprocess.Popen[bytes]] = {}
        """The retry or continuation this viewer started for each run, in the background."""
        self._lock = threading.Lock()

    def accept(self, run_id: str) -> str:
        """Land the run's work (`interns review RUN --accept`)."""
        try:
            decision = review_gate.accept(self.store, self.store.load(run_id), by="viewer")
        except (review_gate.GateError, RunLookupError) as exc:
            raise _refused(str(exc)) from None
        return f"{run_id}: {decision.decision}. {decision.detail}"

    def reject(self, run_id: str, note: str) -> str:
        """Reject the run with a note (`interns review RUN --reject NOTE`)."""
        try:
            decision = review_gate.reject(self.store, self.store.load(run_id), note, by="viewer")
        except (review_gate.GateError, RunLookupError) as exc:
            raise _refused(str(exc)) from None
        return f"{run_id}: {decision.decision}. {decision.detail}".rstrip(". ") + "."

    def retry(self, run_id: str, note: str) -> str:
        """Start `interns review RUN --retry NOTE` in the background: a whole new run, which takes its time."""
        with self._lock:
            self._ensure_idle(run_id)
            try:
                review_gate.ensure_undecided(self.store, self.store.load(run_id))
                started = review_gate.run_started(self.store, run_id)
            except (review_gate.GateError, RunLookupError) as exc:
                raise _refused(str(exc)) from None
            if not started.task_file or not Path(started.task_file).exists():
                raise _refused(f"the task file of run {run_id} is gone ({started.task_file or 'unknown'})")
            # No terminal for it to ask on: a call that needs a person's yes is refused, as in any unattended run.
            self._start(run_id, ["review", run_id, "--retry", note, "--by", "viewer"], detached=False)
        return (
            f"retrying {run_id} with your note: the new run appears in the list as soon as it starts, and this run "
            "is marked retried when it ends (its progress prints where interns view runs)"
        )

    def approve(self, run_id: str, call: str | None) -> str:
        """Say yes to a request the paused run waits on, or to all (`interns approve RUN [--call ID]`)."""
        return self._answer(run_id, None, call)

    def deny(self, run_id: str, reason: str, call: str | None) -> str:
        """Say no to a request, or to all, saying why (`interns approve RUN --deny WHY [--call ID]`)."""
        return self._answer(run_id, reason, call)

    def _answer(self, run_id: str, deny: str | None, call: str | None) -> str:
        try:
            answered = answer_requests(self.store, run_id, deny=deny, calls=[call] if call else None, by="viewer")
        except review_gate.GateError as exc:
            raise _refused(str(exc)) from None
        if not answered.answered:
            return f"nothing in run {run_id} waits for an answer: resume it to go on"
        verb = "approved" if answered.approved else "denied"
        what = ", ".join(f"{request.tool} {request.target}" for request in answered.answered)
        then = f"{answered.left} more request(s) wait" if answered.left else "resume the run to go on"
        return f"{verb}: {what}; {then}"

    def resume(self, run_id: str) -> str:
        """Start `interns resume RUN` in the background, detached from the viewer: the run goes on where it stopped."""
        with self._lock:
            self._ensure_idle(run_id)
            try:
                ready_to_resume(self.store, run_id)
            except review_gate.GateError as exc:
                raise _refused(str(exc)) from None
            self._start(run_id, ["resume", run_id, "--by", "viewer"], detached=True)
        return f"going on with {run_id}: this page follows it (its progress prints where interns view runs)"

    def _ensure_idle(self, run_id: str) -> None:
        running = self._started.get(run_id)
        if running is not None and running.poll() is None:
            raise _refused(f"a retry or continuation of {run_id} is already under way")

    def _start(self, run_id: str, arguments: list[str], *, detached: bool) -> None:
        command = [sys.executable, "-m", "interns", *arguments, "--runs-dir", str(self.runs_dir)]
        # A detached run goes on when the viewer stops, as `interns resume` in another terminal would.
        self._started[run_id] = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=detached)

    def wait(self) -> None:
        """Wait for the retries and continuations started so far to end."""
        for process in list(self._started.values()):
            process.wait()


def view(
    runs_dir: RunsDir = DEFAULT_RUNS_DIR,
    port: Annotated[int, typer.Option("--port", help="The port to listen on; 0 picks a free one.")] = 0,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="The address to listen on; anything but loopback lets other machines reach it, over plain HTTP.",
        ),
    ] = "127.0.0.1",
) -> None:
    """Open the runs in a browser: the list, each run's plan, timeline, diffs and costs, and act on them.

    The printed link carries a one-time key: opening it signs that browser in (an HttpOnly cookie). Everything else
    is refused: without the cookie no one on this machine can read your runs (pages, run list, events, diffs) or
    act on them (accept, reject, retry, approve, deny, resume); an action also needs the viewer's page as its Origin.
    """
    from interns.journal.viewer import ViewerServer

    actions = GateActions(runs_dir)
    try:
        server = ViewerServer(runs_dir, host=host, port=port, actions=actions)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_FAILED) from None
    if not server.loopback:
        err.print(
            f"warning: listening on {host}, not on loopback: anyone who can reach this machine on port {server.port} "
            "can read your runs (model text, command output, diffs). Use it only on a network you trust.",
            style="yellow",
            markup=False,
        )
    out.print(f"viewing the runs in {runs_dir.resolve()}", markup=False)
    out.print(f"open {server.sign_in_url}   (Ctrl-C to stop)", markup=False)
    out.print("that link signs in one browser, once: keep it to yourself", markup=False)
    collector.work_begins()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    out.print("viewer stopped", markup=False)
