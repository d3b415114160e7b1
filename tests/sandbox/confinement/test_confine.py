"""The launcher that confines a command: rlimits, Landlock, and signals restored, run as real processes."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from interns.sandbox import BubblewrapSandbox, Sandbox
from interns.sandbox.confinement.host import launcher
from interns.sandbox.confinement.launcher import landlock_abi
from interns.sandbox.process import clean_env

needs_landlock = pytest.mark.skipif(landlock_abi() < 1, reason="this kernel offers no Landlock")
on_bubblewrap = pytest.mark.parametrize("open_box", ["bubblewrap"], indirect=True)
PYTHON = "/usr/bin/python3"


def confined(config: dict[str, object], argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run argv through the launcher on the host, as the local backend does."""
    return subprocess.run(
        launcher(PYTHON, config, argv), capture_output=True, text=True, timeout=30, check=False, env=clean_env("/")
    )


@pytest.fixture(autouse=True)
def _needs_python() -> None:
    if not Path(PYTHON).exists():
        pytest.skip(f"{PYTHON} is not here")


@needs_landlock
def test_landlock_leaves_only_the_named_folders_writable(tmp_path: Path) -> None:
    (tmp_path / "open").mkdir()
    (tmp_path / "shut").mkdir()
    script = "echo a > open/a && echo opened; echo b > shut/b || echo refused; rm -f open/a && echo removed"
    result = confined({"writable": [str(tmp_path / "open")]}, ["sh", "-c", f"cd {tmp_path} && {script}"])
    assert result.stdout.split() == ["opened", "refused", "removed"]
    assert not (tmp_path / "shut" / "b").exists()


def test_rlimits_bind_and_a_file_past_its_limit_stops_the_writer(tmp_path: Path) -> None:
    big = tmp_path / "big"
    limits = {"FSIZE": 1024 * 1024, "DATA": 64 * 1024 * 1024}
    result = confined({"rlimits": limits}, ["sh", "-c", "ulimit -f; ulimit -d"])
    assert result.stdout.split() == ["2048", "65536"]  # 512-byte blocks and kilobytes
    filled = confined({"rlimits": {"FSIZE": 1024 * 1024}}, ["sh", "-c", f"head -c 5000000 /dev/zero > {big}"])
    assert filled.returncode == 128 + 25  # SIGXFSZ: not ignored, as Python leaves it for itself
    assert big.stat().st_size == 1024 * 1024


def test_the_command_gets_default_signal_handling() -> None:
    result = confined({}, ["grep", "^SigIgn:", "/proc/self/status"])
    ignored = int(result.stdout.split()[1], 16)
    assert ignored & (1 << (13 - 1)) == 0  # SIGPIPE
    assert ignored & (1 << (25 - 1)) == 0  # SIGXFSZ


def test_a_missing_program_reads_like_a_shell_says_it() -> None:
    result = confined({}, ["no-such-program-xyz"])
    assert (result.returncode, result.stderr) == (127, "no-such-program-xyz: No such file or directory\n")


def test_confinement_that_cannot_be_set_up_runs_nothing(tmp_path: Path) -> None:
    result = confined({"rlimits": {"NO_SUCH_LIMIT": 1}}, ["touch", str(tmp_path / "ran")])
    assert result.returncode == 125 and "did not run" in result.stderr
    assert not (tmp_path / "ran").exists()


@needs_landlock
@on_bubblewrap
@pytest.mark.anyio
async def test_landlock_blocks_a_write_the_mount_layout_would_allow(box: Sandbox, tmp_path: Path) -> None:
    assert isinstance(box, BubblewrapSandbox)
    extra = tmp_path / "extra"
    extra.mkdir()
    command = box.command(["sh", "-c", "echo x > /extra/f && echo wrote"])
    # A writable bind the sandbox never makes: only Landlock stands between the command and it.
    at = command.index("--remount-ro")
    with_bind = [*command[:at], "--bind", str(extra), "/extra", *command[at:]]
    result = subprocess.run(with_bind, capture_output=True, text=True, timeout=30, check=False, env=clean_env("/"))
    assert "Permission denied" in result.stderr and "wrote" not in result.stdout
    assert not (extra / "f").exists()
    unconfined = [*with_bind[: with_bind.index("--")], "--", "sh", "-c", "echo x > /extra/f && echo wrote"]
    control = subprocess.run(unconfined, capture_output=True, text=True, timeout=30, check=False, env=clean_env("/"))
    assert control.stdout == "wrote\n"  # the same bind without the launcher is writable
