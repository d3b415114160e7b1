"""The peer agent, mini-swe-agent: installed from PyPI into the benchmarks' own virtualenv, driven in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MINI_SWE_AGENT = "mini-swe-agent==2.4.6"
PEERS_VENV = Path(__file__).parent / ".venv"
DRIVER = Path(__file__).parent / "peer_driver.py"


class PeerUnavailable(Exception):
    """The peer could not be installed or run here; the message says why."""


@dataclass
class Peer:
    """A Python interpreter of a virtualenv that has mini-swe-agent, and the driver script run with it."""

    python: Path

    def call(self, *args: str, stdin: str = "", timeout: float = 600) -> Any:
        """Run the driver with `args` and return the JSON it prints; PeerUnavailable if it fails."""
        done = subprocess.run(
            [str(self.python), str(DRIVER), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise PeerUnavailable(f"the mini-swe-agent driver failed: {done.stderr.strip()[-2000:]}")
        return json.loads(done.stdout)


def ensure_peer(venv_dir: Path = PEERS_VENV, *, install: bool = True) -> Peer:
    """The peer's virtualenv, made and filled with mini-swe-agent on first use; PeerUnavailable when that fails."""
    python = venv_dir / "bin" / "python"
    if _has_mini(python):
        return Peer(python)
    if not install:
        raise PeerUnavailable(f"mini-swe-agent is not installed in {venv_dir} (run the harness once to install it)")
    try:
        if not python.exists():
            venv.EnvBuilder(with_pip=True).create(venv_dir)
        print(f"installing {MINI_SWE_AGENT} into {venv_dir} ...", file=sys.stderr)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", MINI_SWE_AGENT],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise PeerUnavailable(f"cannot make the peers' virtualenv: {exc}") from None
    if done.returncode != 0 or not _has_mini(python):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PeerUnavailable(f"pip could not install {MINI_SWE_AGENT} (no network?): {last}")
    return Peer(python)


def _has_mini(python: Path) -> bool:
    if not python.exists():
        return False
    probe = "import importlib.metadata as m; print(m.version('mini-swe-agent'))"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    return done.returncode == 0 and done.stdout.strip() == MINI_SWE_AGENT.split("==")[1]
