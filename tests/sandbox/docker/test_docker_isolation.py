"""What a docker sandbox must keep out and clean up: network, host files and env, stray containers, bad images."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from interns.sandbox import (
    DEFAULT_IMAGE,
    DockerSandbox,
    Sandbox,
    SandboxSpec,
    SandboxUnavailable,
    check_backend,
    find_leftovers,
    open_sandbox,
    remove_leftovers,
)
from interns.sandbox.docker.container import NO_BRIDGE, SANDBOX_NETWORK, container_env
from interns.sandbox.docker.engine import LABEL_PID, LABEL_RUN, connect
from interns.sandbox.process import clean_env
from tests.sandbox.conftest import OpenSandbox, skip_unless_runs

pytestmark = pytest.mark.anyio
on_docker = pytest.mark.parametrize("open_box", ["docker"], indirect=True)

OPEN_AND_WAIT = """
import asyncio, sys
from pathlib import Path
from interns.sandbox import SandboxSpec, open_sandbox

async def main():
    box = await open_sandbox(SandboxSpec(backend="docker", workspace=Path(sys.argv[1]), run_id=sys.argv[2]))
    print(box.container_id, flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


@pytest.fixture
def engine() -> Iterator[docker.DockerClient]:
    """A client of the docker engine, when the docker backend runs here."""
    skip_unless_runs("docker")
    client = connect()
    yield client
    client.close()


def exists(client: docker.DockerClient, container_id: str) -> bool:
    """Whether the engine still has the container."""
    try:
        client.containers.get(container_id)
    except docker.errors.NotFound:
        return False
    return True


@on_docker
async def test_no_network_by_default(box: Sandbox) -> None:
    lines = (await box.exec(["cat", "/proc/net/dev"])).stdout.splitlines()[2:]
    assert {line.split(":", 1)[0].strip() for line in lines} == {"lo"}
    result = await box.exec(["bash", "-c", "echo x > /dev/tcp/1.1.1.1/53"], timeout=10)
    assert result.exit_code != 0


@on_docker
async def test_with_network_a_container_never_gets_the_hosts(
    open_box: OpenSandbox, engine: docker.DockerClient
) -> None:
    box = await open_box(network=True)
    assert isinstance(box, DockerSandbox)
    mode = engine.containers.get(box.container_id).attrs["HostConfig"]["NetworkMode"]
    lines = (await box.exec(["cat", "/proc/net/dev"])).stdout.splitlines()[2:]
    seen = {line.split(":", 1)[0].strip() for line in lines}

    assert mode != "host", "the host's network would give the container the host's loopback"
    if engine.networks.list(names=[SANDBOX_NETWORK]) or engine.networks.list(names=["bridge"]):
        assert (mode, box.notices) == (SANDBOX_NETWORK, ())
        assert seen - {"lo"}
    else:  # an engine without a bridge (dockerd --bridge=none, as CI runs it): no network, and the journal says why
        assert (mode, seen) == ("none", {"lo"})
        assert box.notices == (NO_BRIDGE,) and "no bridge network" in NO_BRIDGE


@on_docker
async def test_the_root_is_read_only_but_tmp_and_home_are_writable(box: Sandbox) -> None:
    for target in ("/usr/intruder", "/etc/intruder", "/intruder", "/var/intruder"):
        result = await box.exec(["sh", "-c", 'echo x > "$1"', "_", target])
        assert result.exit_code != 0
        assert "Read-only file system" in result.stderr
    assert (await box.exec(["sh", "-c", 'echo x > /tmp/ok && echo x > "$HOME/ok" && cat /tmp/ok'])).stdout == "x\n"


@on_docker
async def test_the_environment_is_exactly_the_sandboxs(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERNS_HOST_ONLY_SECRET", "s3cret-value")
    result = await box.exec(["env"])
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines()}
    assert names == {*clean_env("/home"), "INTERNS_EXEC_ID"}  # what bubblewrap gives, plus the command's marker
    assert {"PATH", "HOME", "LANG", "TERM"} <= names
    assert "s3cret-value" not in result.stdout


def test_an_images_own_path_is_kept_and_the_spec_has_the_last_word() -> None:
    image_env = ["PATH=/opt/tool/bin:/usr/bin:/bin", "TOOL_HOME=/opt/tool"]
    env = container_env(image_env, {"LANG": "C", "EXTRA": "1"})
    assert env == {**clean_env("/home/intern"), "PATH": "/opt/tool/bin:/usr/bin:/bin", "LANG": "C", "EXTRA": "1"}
    assert container_env(None, {})["PATH"] == clean_env("/home/intern")["PATH"]


@on_docker
async def test_no_capabilities_and_no_new_privileges(box: Sandbox) -> None:
    status = (await box.exec(["cat", "/proc/self/status"])).stdout
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert fields["CapEff"].strip() == "0" * 16
    assert fields["CapBnd"].strip() == "0" * 16
    assert fields["NoNewPrivs"].strip() == "1"


@on_docker
async def test_memory_and_process_limits_apply(box: Sandbox) -> None:
    # cgroup v1 and v2 keep the limits in different files
    pids = await box.exec(["sh", "-c", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"])
    memory = await box.exec(
        ["sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"]
    )
    assert pids.stdout.strip() == "1024"
    assert memory.stdout.strip() == str(4 * 1024**3)


@on_docker
async def test_host_files_and_the_engine_socket_are_out_of_reach(box: Sandbox, workspace: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("host secret")
    (workspace / "link-out").symlink_to(secret)
    assert (await box.exec(["cat", str(secret)])).exit_code != 0
    assert "host secret" not in (await box.exec(["cat", "link-out"])).stdout
    with pytest.raises(FileNotFoundError):
        await box.read_file("link-out")
    assert (await box.exec(["ls", "/var/run/docker.sock"])).exit_code != 0
    assert (await box.exec(["ls", os.getcwd()])).exit_code != 0


@on_docker
async def test_files_written_inside_belong_to_the_invoking_user(box: Sandbox, workspace: Path) -> None:
    await box.exec(["sh", "-c", "mkdir made && echo x > made/by-command"])
    await box.write_file("by-write-file", b"x")
    for path in (workspace / "made", workspace / "made" / "by-command", workspace / "by-write-file"):
        info = path.stat()
        assert (info.st_uid, info.st_gid) == (os.getuid(), os.getgid())


@on_docker
async def test_commands_run_as_the_workspace_owner_who_is_not_root(open_box: OpenSandbox, workspace: Path) -> None:
    owner = (os.getuid(), os.getgid())
    if owner[0] == 0:  # as root, hand the workspace to a plain user, as a person's own folder would be
        owner = (12345, 12345)
        os.chown(workspace, *owner)
    box = await open_box()
    assert (await box.exec(["id", "-u"])).stdout.strip() == str(owner[0])
    assert (await box.exec(["id", "-g"])).stdout.strip() == str(owner[1])
    await box.exec(["sh", "-c", "echo x > by-command"])
    info = (workspace / "by-command").stat()
    assert (info.st_uid, info.st_gid) == owner != (0, 0)


async def test_the_container_carries_its_owner_and_is_removed_at_close(
    workspace: Path, engine: docker.DockerClient
) -> None:
    box = await open_sandbox(SandboxSpec(backend="docker", workspace=workspace, run_id="run-xyz"))
    assert isinstance(box, DockerSandbox)
    labels = engine.containers.get(box.container_id).labels
    assert labels[LABEL_RUN] == "run-xyz"
    assert labels[LABEL_PID] == str(os.getpid())
    await box.aclose()
    assert not exists(engine, box.container_id)
    with pytest.raises(SandboxUnavailable, match="closed"):
        await box.exec(["true"])


@on_docker
async def test_a_container_that_vanishes_mid_command_is_unavailable_not_a_result(
    box: Sandbox, engine: docker.DockerClient
) -> None:
    assert isinstance(box, DockerSandbox)
    running = asyncio.ensure_future(box.exec(["sleep", "30"]))
    await asyncio.sleep(0.3)
    engine.api.remove_container(box.container_id, force=True)
    with pytest.raises(SandboxUnavailable, match="docker engine"):
        await asyncio.wait_for(running, 10)
    with pytest.raises(SandboxUnavailable, match="docker engine"):
        await box.exec(["true"])


def test_a_killed_runs_container_is_left_and_then_removed_by_cleanup(
    workspace: Path, tmp_path: Path, engine: docker.DockerClient
) -> None:
    run_id = f"killed-{uuid.uuid4().hex[:8]}"
    child = subprocess.Popen(
        [sys.executable, "-c", OPEN_AND_WAIT, str(workspace), run_id], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        container_id = child.stdout.readline().strip()
        assert container_id, "the child could not open a sandbox"
        assert container_id not in {c.container_id for c in find_leftovers()}, "its owner is still alive"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert exists(engine, container_id), "a SIGKILLed run cannot remove its container"
    assert container_id in {c.container_id for c in find_leftovers()}
    removed = remove_leftovers()
    assert run_id in [c.run_id for c in removed]
    assert not exists(engine, container_id)


@on_docker
async def test_cleanup_leaves_the_containers_of_live_runs(box: Sandbox) -> None:
    assert isinstance(box, DockerSandbox)
    assert box.container_id not in {c.container_id for c in remove_leftovers()}
    assert (await box.exec(["echo", "still here"])).stdout == "still here\n"


async def test_a_missing_image_says_how_to_build_it(workspace: Path, engine: docker.DockerClient) -> None:
    with pytest.raises(SandboxUnavailable, match=r"interns-no-such-image:0 is missing.*interns sandbox build"):
        check_backend("docker", image="interns-no-such-image:0")
    with pytest.raises(SandboxUnavailable, match=r"interns-no-such-image:0 is missing.*interns sandbox build"):
        await open_sandbox(SandboxSpec(backend="docker", workspace=workspace, image="interns-no-such-image:0"))
    assert DEFAULT_IMAGE == "interns-worker:1"


def test_an_image_without_a_shell_is_refused_before_any_command(engine: docker.DockerClient) -> None:
    name = f"interns-test-no-shell:{uuid.uuid4().hex[:8]}"
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("etc/readme")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"empty"))
    repo, tag = name.split(":")
    engine.api.import_image_from_data(data.getvalue(), repository=repo, tag=tag)
    try:
        with pytest.raises(SandboxUnavailable, match="cannot run a shell"):
            check_backend("docker", image=name)
    finally:
        engine.images.remove(name, force=True)
