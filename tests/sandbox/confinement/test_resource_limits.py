"""The spec's resource limits bind on every backend: a file past its size, memory past its cap, too many processes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from interns.sandbox import SandboxSpec
from interns.sandbox.bubblewrap.args import HostLayout, bwrap_command
from interns.sandbox.confinement.host import HostConfinement, rlimits
from interns.sandbox.confinement.pids_cgroup import PidsCgroup, own_pids_cgroup
from tests.sandbox.conftest import OpenSandbox

every_backend = pytest.mark.parametrize("open_box", ["bubblewrap", "docker", "local"], indirect=True)
isolating_backends = pytest.mark.parametrize("open_box", ["bubblewrap", "docker"], indirect=True)
MB = 1024 * 1024


@every_backend
@pytest.mark.anyio
async def test_a_file_cannot_grow_past_its_limit(open_box: OpenSandbox, workspace: Path) -> None:
    box = await open_box(file_size_mb=2)
    result = await box.exec(["sh", "-c", "head -c 10000000 /dev/zero > big"])
    assert result.exit_code == 128 + 25  # SIGXFSZ
    assert (workspace / "big").stat().st_size == 2 * MB
    assert (await box.exec(["sh", "-c", "head -c 1000000 /dev/zero > small"])).ok


@every_backend
@pytest.mark.anyio
async def test_memory_past_the_limit_is_refused(open_box: OpenSandbox) -> None:
    box = await open_box(memory_mb=48)
    held = await box.exec(["sh", "-c", 'x=$(head -c 150000000 /dev/zero | tr "\\0" a); echo ${#x}'])
    assert held.exit_code != 0 and "150000000" not in held.stdout
    assert (await box.exec(["sh", "-c", 'x=$(head -c 1000000 /dev/zero | tr "\\0" a); echo ${#x}'])).ok


@isolating_backends
@pytest.mark.anyio
async def test_processes_past_the_limit_fail_to_start(open_box: OpenSandbox) -> None:
    box = await open_box(processes=32)
    loop = "i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done; echo started $i"
    result = await box.exec(["sh", "-c", loop], timeout=20)
    assert result.exit_code != 0 and "started 200" not in result.stdout
    assert "fork" in result.stderr.lower()
    assert (await box.exec(["sh", "-c", "sleep 0 & wait; echo ok"])).stdout == "ok\n"


def test_the_specs_limits_become_rlimits_and_processes_only_where_they_bind(tmp_path: Path) -> None:
    spec = SandboxSpec(backend="bubblewrap", workspace=tmp_path, processes=50, file_size_mb=3, memory_mb=70)
    assert rlimits(spec, processes=True) == {"FSIZE": 3 * MB, "DATA": 70 * MB, "NPROC": 50}
    assert "NPROC" not in rlimits(spec, processes=False)


def test_the_launcher_is_dropped_cleanly_when_there_is_no_python(tmp_path: Path) -> None:
    spec = SandboxSpec(backend="bubblewrap", workspace=tmp_path)
    confinement = HostConfinement(python="/usr/bin/python3", landlock_abi=7, seccomp=b"", pids_parent=None)
    command = confinement.confined(spec, ["ls"], user_namespace=True)
    assert command[:4] == ["/usr/bin/python3", "-I", "-S", "-c"] and command[-1] == "ls"
    assert '"writable": ["/workspace", "/tmp", "/home/intern", "/dev"]' in command[5]
    assert confinement.without(python=True).confined(spec, ["ls"], user_namespace=True) == ["ls"]
    no_landlock = HostConfinement(python="/usr/bin/python3", landlock_abi=0, seccomp=None, pids_parent=None)
    assert "writable" not in no_landlock.confined(spec, ["ls"], user_namespace=True)[5]


def test_bwrap_gets_the_filter_and_sized_tmpfs_only_when_asked(tmp_path: Path) -> None:
    plain = bwrap_command("bwrap", HostLayout(), workspace=tmp_path, argv=["true"])
    assert "--seccomp" not in plain and "--size" not in plain
    hardened = bwrap_command("bwrap", HostLayout(), workspace=tmp_path, argv=["true"], seccomp_fd=7, sized_tmpfs=True)
    assert hardened[hardened.index("--seccomp") + 1] == "7"
    tmp = hardened.index("/tmp")
    assert hardened[tmp - 3 : tmp] == ["--size", str(1024 * MB), "--tmpfs"]


def test_the_own_pids_cgroup_is_found_from_proc_files(tmp_path: Path) -> None:
    hierarchy = tmp_path / "pids"
    (hierarchy / "jobs").mkdir(parents=True)
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "cgroup").write_text("5:memory:/jobs\n8:pids:/jobs\n0::/\n")
    (proc / "mountinfo").write_text(
        f"30 25 0:26 / {tmp_path}/mem rw,relatime shared:9 - cgroup cgroup rw,memory\n"
        f"31 25 0:27 / {hierarchy} rw,relatime shared:10 - cgroup cgroup rw,pids\n"
    )
    assert own_pids_cgroup(proc) == hierarchy / "jobs"
    (proc / "cgroup").write_text("0::/jobs\n")
    (proc / "mountinfo").write_text(f"31 25 0:27 / {hierarchy} rw - cgroup2 cgroup2 rw\n")
    assert own_pids_cgroup(proc) is None  # cgroup v2 without pids delegated to its children
    (hierarchy / "jobs" / "cgroup.subtree_control").write_text("cpu pids\n")
    assert own_pids_cgroup(proc) == hierarchy / "jobs"


def test_a_pids_cgroup_caps_and_is_removed_with_whatever_is_left_in_it() -> None:
    parent = own_pids_cgroup()
    if parent is None:
        pytest.skip("no writable pids cgroup here")
    group = PidsCgroup(parent, 5)
    assert (group.path / "pids.max").read_text().strip() == "5"
    sleeper = subprocess.Popen(group.wrap(["sh", "-c", "sleep 30 & sleep 30 & wait"]))
    try:
        deadline = time.monotonic() + 5
        while len((group.path / "cgroup.procs").read_text().split()) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len((group.path / "cgroup.procs").read_text().split()) == 3
        assert group.remove() and not group.path.exists()
        assert sleeper.wait(timeout=5) == -9  # killed by SIGKILL, with its children
    finally:
        sleeper.kill()
        sleeper.wait()
