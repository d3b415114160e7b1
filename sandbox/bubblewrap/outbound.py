"""Outbound network for a bubblewrap sandbox: slirp4netns on the sandbox's own network namespace, never the host's.

bwrap always unshares the network. When a step may use the network, bwrap reports its child's pid on `--info-fd`
and holds the command on `--block-fd`; slirp4netns then gives that namespace a tap interface and a default route
through a user-mode network stack, with `--disable-host-loopback` so the gateway never leads to the host's
127.0.0.0/8 (and no IPv6, so not to ::1 either); only once it is ready does the command start. It stops with the
command.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from interns.sandbox.base import SandboxUnavailable

SLIRP_HINT = (
    "a sandbox with network needs slirp4netns, which gives it a network of its own that cannot reach this "
    "machine's loopback: `apt-get install slirp4netns` (Debian/Ubuntu), `dnf install slirp4netns` (Fedora/RHEL). "
    "Or set `guardrails.network: false`."
)
TAP_NAME = "tap0"
GATEWAY = "10.0.2.2"
"""slirp4netns's gateway: with --disable-host-loopback it refuses what would reach the host's 127.0.0.1."""
MTU = 65520
NS_GET_USERNS = 0xB701
"""ioctl on a namespace file: a descriptor of the user namespace that owns it (linux/nsfs.h)."""
_INFO_LIMIT = 64 * 1024
_STOP_GRACE = 2.0
_LOOPBACK_WAIT = 10.0


def find_slirp4netns(search_path: str | None = None) -> str | None:
    """The slirp4netns executable on `search_path` (default: $PATH)."""
    return shutil.which("slirp4netns", path=search_path)


def require_slirp4netns(search_path: str | None = None) -> str:
    """The slirp4netns executable, or SandboxUnavailable naming the package: a sandbox never gets the host's network."""
    found = find_slirp4netns(search_path)
    if found is None:
        raise SandboxUnavailable(f"slirp4netns was not found: {SLIRP_HINT}")
    return found


@dataclass
class _Pipe:
    read: int
    write: int

    @classmethod
    def make(cls) -> _Pipe:
        read, write = os.pipe()
        return cls(read, write)

    def close(self) -> None:
        for fd in (self.read, self.write):
            with contextlib.suppress(OSError):
                os.close(fd)


class Outbound:
    """One command's network: the descriptors bwrap reports and waits on, and the slirp4netns behind them."""

    def __init__(self, slirp: str) -> None:
        self.slirp = slirp
        self._info, self._block = _Pipe.make(), _Pipe.make()
        self._stop = _Pipe.make()
        self._process: asyncio.subprocess.Process | None = None
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (a file, not a pipe nobody drains; closed by close())

    @property
    def info_fd(self) -> int:
        """Where bwrap writes its child's pid (as JSON)."""
        return self._info.write

    @property
    def block_fd(self) -> int:
        """What bwrap reads before it starts the command: written once the network is up."""
        return self._block.read

    @property
    def child_fds(self) -> Sequence[int]:
        """The descriptors bwrap must inherit."""
        return (self.info_fd, self.block_fd)

    async def attach(self) -> None:
        """Wait for bwrap's child, give its namespace the network, then let the command start."""
        info = await _read_json(self._info.read)
        pid = info.get("child-pid")
        if not isinstance(pid, int) or pid <= 0:
            raise SandboxUnavailable(f"bwrap reported no child pid on --info-fd: {info!r}")
        await _loopback_up(pid)
        netns = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            owner = _owning_userns(netns)
            ready = _Pipe.make()
            try:
                await self._start(netns, owner, ready.write)
                os.close(ready.write)
                ready.write = -1
                await self._wait_ready(ready.read)
            finally:
                ready.close()
                if owner is not None:
                    os.close(owner)
        finally:
            os.close(netns)
        os.write(self._block.write, b"1")

    async def _start(self, netns: int, owner: int | None, ready: int) -> None:
        # No built-in DNS either: it forwards to the host's resolver, which may listen on the host's loopback.
        command = [self.slirp, "--configure", f"--mtu={MTU}", "--disable-host-loopback", "--disable-dns"]
        command += ["--enable-sandbox", "--enable-seccomp", f"--ready-fd={ready}", f"--exit-fd={self._stop.read}"]
        if owner is not None:
            command += [f"--userns-path=/proc/self/fd/{owner}"]
        command += ["--netns-type=path", f"/proc/self/fd/{netns}", TAP_NAME]
        fds = (netns, ready, self._stop.read, *(() if owner is None else (owner,)))
        try:
            self._process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=self._errors,
                pass_fds=fds,
                env={"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"},
            )
        except OSError as exc:
            raise SandboxUnavailable(f"slirp4netns ({self.slirp}) could not start: {exc}. {SLIRP_HINT}") from exc

    async def _wait_ready(self, ready: int) -> None:
        assert self._process is not None
        signal = asyncio.ensure_future(_read_some(ready))
        exited = asyncio.ensure_future(self._process.wait())
        try:
            await asyncio.wait({signal, exited}, return_when=asyncio.FIRST_COMPLETED)
            if signal.done() and signal.result() == b"1":
                return
            with contextlib.suppress(TimeoutError):  # it failed: let it finish saying why
                await asyncio.wait_for(asyncio.shield(exited), _STOP_GRACE)
        finally:
            for task in (signal, exited):
                task.cancel()
        raise SandboxUnavailable(f"slirp4netns could not give the sandbox its network: {self.errors() or 'no error'}")

    def errors(self) -> str:
        """What slirp4netns wrote to stderr, its seccomp notice left out."""
        self._errors.seek(0)
        lines = self._errors.read(8192).decode("utf-8", "replace").splitlines()
        return "; ".join(line for line in lines if line.strip() and "seccomp is experimental" not in line)

    async def close(self) -> None:
        """Stop slirp4netns (it exits when its exit descriptor closes) and release every descriptor."""
        os.close(self._stop.write)
        self._stop.write = -1
        if self._process is not None and self._process.returncode is None:
            try:
                await asyncio.wait_for(self._process.wait(), _STOP_GRACE)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self._process.kill()
                await self._process.wait()
        for pipe in (self._info, self._block, self._stop):
            pipe.close()
        self._errors.close()


@contextlib.asynccontextmanager
async def outbound(slirp: str | None) -> AsyncIterator[Outbound | None]:
    """An `Outbound` for one command when `slirp` is given (the sandbox may use the network), else None."""
    if slirp is None:
        yield None
        return
    made = Outbound(slirp)
    try:
        yield made
    finally:
        await made.close()


def _owning_userns(netns: int) -> int | None:
    """The user namespace that owns `netns`, or None when it is this process's own (nothing to join)."""
    owner: int = fcntl.ioctl(netns, NS_GET_USERNS)
    mine = os.stat("/proc/self/ns/user")
    theirs = os.fstat(owner)
    if (theirs.st_dev, theirs.st_ino) == (mine.st_dev, mine.st_ino):
        os.close(owner)
        return None
    return owner


async def _loopback_up(pid: int) -> None:
    """Wait until bwrap's child has brought up its namespace's loopback, which it does after reporting its pid.

    slirp4netns brings `lo` up too: were it first, bwrap's own setup of `lo` would fail (the address exists).
    An interface that is up has joined the all-hosts group (igmp) and has its IPv6 link address (if_inet6).
    """
    deadline = asyncio.get_running_loop().time() + _LOOPBACK_WAIT
    while True:
        seen = False
        for name in ("igmp", "if_inet6"):
            try:
                lines = Path(f"/proc/{pid}/net/{name}").read_text().splitlines()
            except FileNotFoundError:
                continue
            except OSError as exc:  # the child is gone: bwrap failed, and says why in its own result
                raise SandboxUnavailable(f"bwrap's child ended before its network was attached: {exc}") from None
            seen = True
            if any(_names_lo(line, name) for line in lines):
                return
        if not seen:
            raise SandboxUnavailable(
                "this kernel shows neither /proc/PID/net/igmp nor if_inet6: cannot attach a network"
            )
        if asyncio.get_running_loop().time() > deadline:
            raise SandboxUnavailable("the sandbox's loopback did not come up: cannot attach its network")
        await asyncio.sleep(0.002)


def _names_lo(line: str, table: str) -> bool:
    fields = line.split()
    if table == "igmp":  # "1\tlo        :     1      V3"
        return len(fields) > 1 and fields[1] == "lo"
    return bool(fields) and fields[-1] == "lo"


async def _read_some(fd: int) -> bytes:
    """The next bytes on a pipe (b"" at its end), without blocking the event loop."""
    loop = asyncio.get_running_loop()
    os.set_blocking(fd, False)
    while True:
        try:
            return os.read(fd, 4096)
        except BlockingIOError:
            pass
        arrived: asyncio.Future[None] = loop.create_future()

        def wake(arrived: asyncio.Future[None] = arrived) -> None:
            if not arrived.done():
                arrived.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await arrived
        finally:
            loop.remove_reader(fd)


async def _read_json(fd: int) -> dict[str, object]:
    """One JSON object from bwrap's info pipe, read until it parses."""
    data = b""
    while len(data) < _INFO_LIMIT:
        chunk = await _read_some(fd)
        if not chunk:
            break
        data += chunk
        with contextlib.suppress(ValueError):
            found = json.loads(data)
            if isinstance(found, dict):
                return found
    raise SandboxUnavailable(f"bwrap ended before it reported its child on --info-fd: {data[:200]!r}")
