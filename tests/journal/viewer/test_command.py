"""`interns view` as a person starts it: a real process that prints its URL and serves the runs there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.journal.viewer.conftest import fetch, sign_in
from tests.journal.viewer.runs import StartRun, demo_run


@dataclass
class Viewing:
    """A running `interns view`: the link it printed; once stopped, its exit code and what it wrote to stderr."""

    link: str
    """The printed link, with the key that signs a browser in."""
    returncode: int | None = None
    stderr: str = ""

    @property
    def url(self) -> str:
        """Where the viewer is: the link without its key."""
        parts = urlsplit(self.link)
        return f"{parts.scheme}://{parts.netloc}/"


@contextmanager
def interns_view(*args: str, cwd: Path) -> Iterator[Viewing]:
    """Start `interns view`, yield where it listens, and stop it with Ctrl-C afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "interns", "view", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert process.stdout is not None
    printed = process.stdout.readline() + process.stdout.readline()
    viewing = Viewing(next((word for word in printed.split() if word.startswith("http://")), ""))
    try:
        yield viewing
    finally:
        process.send_signal(signal.SIGINT)
        _, viewing.stderr = process.communicate(timeout=10)
        viewing.returncode = process.returncode
    assert viewing.link, f"no URL in what interns view printed: {printed!r} {viewing.stderr}"


def test_view_serves_the_runs_on_loopback_at_the_url_it_prints(root: Path, start_run: StartRun) -> None:
    run = demo_run(start_run)

    with interns_view(cwd=root.parent) as viewing:
        sign_in(viewing.link)
        listing = fetch(f"{viewing.url}api/runs").json
        page = fetch(f"{viewing.url}runs/{run.run_id}")

    assert viewing.url.startswith("http://127.0.0.1:") and [r["run_id"] for r in listing["runs"]] == [run.run_id]
    assert page.status == 200 and 'name="interns-actions" content="on"' in page.body.decode()
    assert viewing.returncode == 0 and "warning" not in viewing.stderr


def test_view_warns_when_it_listens_beyond_loopback(root: Path, start_run: StartRun) -> None:
    demo_run(start_run)

    with interns_view("--runs-dir", str(root), "--host", "0.0.0.0", cwd=root.parent) as viewing:
        sign_in(viewing.link)
        assert fetch(f"{viewing.url}api/runs").status == 200

    assert "warning: listening on 0.0.0.0, not on loopback" in viewing.stderr
