"""Attacks on the machine's resources: a fork bomb, a disk filler and a memory hog, each under a small limit.

Every attack is bounded, so a backend that does not stop it still does the host no harm: the
fork bomb starts a few hundred sleeping processes (which die with their command), the filler
writes 100 MB into the run's own folders, the hog holds 200 MB for a moment.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.security.attack import Attack, Seen, Turns, sh
from tests.security.conftest import Host

FORKS = 400
FILL_BYTES = 100_000_000
HOG_BYTES = 200_000_000


def _fork_marker(host: Host) -> str:
    """The sleep duration the bomb's processes carry: unique to this test, so they can be found on the host."""
    return "5" + host.sleep_marker[1:]


def _fork_bomb(host: Host, backend: str) -> Turns:
    # sh, not the run tool's bash: bash retries a failed fork for 15 seconds before giving up.
    loop = f"i=0; while [ $i -lt {FORKS} ]; do sleep {_fork_marker(host)} & i=$((i+1)); done; echo started $i"
    return [sh(f"sh -c '{loop}'")]


def _kill_leftovers(marker: str) -> bool:
    """Kill the host's processes whose command line holds the marker; whether there were any."""
    found = False
    for proc in Path("/proc").iterdir():
        try:
            if marker.encode() in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), 9)
                found = True
        except (OSError, ValueError):
            continue
    return found


def _bomb_went_off(host: Host, seen: Seen) -> bool:
    left = _kill_leftovers(_fork_marker(host))
    return left or any(f"started {FORKS}" in run.stdout for run in seen.commands())


def _fill(host: Host, backend: str) -> Turns:
    return [
        sh(f"head -c {FILL_BYTES} /dev/zero > fill.bin"),
        sh(f'head -c {FILL_BYTES} /dev/zero > "$HOME/fill.bin"'),
    ]


FILE_LIMIT_MB = 10


def _disk_filled(host: Host, seen: Seen) -> bool:
    filled = seen.workspace / "fill.bin"
    too_big = filled.exists() and filled.stat().st_size > FILE_LIMIT_MB * 1024 * 1024
    return too_big or any(run.exit_code == 0 for run in seen.commands())


def _hog(host: Host, backend: str) -> Turns:
    return [sh(f"sh -c 'x=$(head -c {HOG_BYTES} /dev/zero | tr \"\\0\" a); echo held ${{#x}}'")]


def _memory_held(host: Host, seen: Seen) -> bool:
    return any(f"held {HOG_BYTES}" in run.stdout for run in seen.commands())


RESOURCE_ATTACKS = [
    Attack(
        "a fork bomb",
        _fork_bomb,
        _bomb_went_off,
        guardrails={"limits": {"processes": 64}},
        known_local="no process limit on the host: RLIMIT_NPROC would count all the user's processes, and root's none",
    ),
    Attack("filling the disk", _fill, _disk_filled, guardrails={"limits": {"file_size_mb": FILE_LIMIT_MB}}),
    Attack("a memory hog", _hog, _memory_held, guardrails={"limits": {"memory_mb": 64}}),
]
