"""The docker backend: one container per step, reused by every command of the step, removed when the step ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from interns.sandbox.base import WORKSPACE_MOUNT, SandboxSpec, SandboxUnavailable
from interns.sandbox.bubblewrap.args import sandbox_path
from interns.sandbox.docker.container import container_env, container_options, network_mode
from interns.sandbox.docker.engine import DEFAULT_IMAGE, connect, engine_errors, missing_image_message
from interns.sandbox.docker.exec import MARKER_VARIABLE, ExecSession, wrapper_command
from interns.sandbox.exec_files import CommandSandbox
from interns.sandbox.network import PORT, NetworkAccess, ProxyServer, proxy_env
from interns.sandbox.network.authority import proxy_for
from interns.sandbox.process import TIMEOUT_EXIT_CODE, ProcessResult

if TYPE_CHECKING:
    import docker

ENGINE_VARIABLES = ("HOSTNAME", "PWD", "OLDPWD")
"""Variables the engine and the wrapper's `cd` set, removed so a command's environment matches bubblewrap's."""

_INNER_GRACE = 2.0  # the in-container time limit is a backstop behind the host's own
_STREAM_GRACE = 1.0  # after a kill, how long the output stream may take to close
_KILLED_EXIT_CODE = 128 + 9

log = logging.getLogger(__name__)


def _in_background(work: Callable[[], object]) -> None:
    """Run `work` in a thread nobody waits for: the cleanup of a cancelled call must not wait for the caller."""

    def guarded() -> None:
        try:
            work()
        except Exception as exc:
            log.warning("docker sandbox cleanup failed: %s", exc)

    threading.Thread(target=guarded, daemon=True).start()


class DockerSandbox(CommandSandbox):
    """Runs commands in a container: no network (unless asked), read-only root, only the workspace writable."""

    def __init__(
        self,
        spec: SandboxSpec,
        client: docker.DockerClient,
        container_id: str,
        user: str,
        proxy: ProxyServer | None = None,
    ) -> None:
        self.spec = spec
        self._proxy = proxy
        self._client, self._api = client, client.api
        self.container_id = container_id
        self._user = user
        self._closed = False
        self.notices: tuple[str, ...] = ()
        """What the run's journal should say about this sandbox (a network it asked for and could not have)."""

    @classmethod
    async def open(cls, spec: SandboxSpec) -> DockerSandbox:
        """Start the step's container over spec.workspace (off the event loop) and check that it runs commands."""
        proxy = proxy_for(spec) if isinstance(spec.network, NetworkAccess) else None
        if proxy is not None:
            await proxy.start()
        starting = asyncio.ensure_future(asyncio.to_thread(cls._start, spec, proxy))
        try:
            return await asyncio.shield(starting)
        except asyncio.CancelledError:  # the container may still come up: remove it when it does
            starting.add_done_callback(_remove_when_started)
            if proxy is not None:
                asyncio.ensure_future(proxy.aclose())  # noqa: RUF006 (nothing may wait here: the caller is cancelled)
            raise
        except BaseException:
            if proxy is not None:
                await proxy.aclose()
            raise

    @classmethod
    def _start(cls, spec: SandboxSpec, proxy: ProxyServer | None = None) -> DockerSandbox:
        workspace = spec.workspace.resolve()
        if not workspace.is_dir():
            raise SandboxUnavailable(f"the workspace {spec.workspace} is not a folder")
        image = spec.image or DEFAULT_IMAGE
        client = connect()
        try:
            import docker.errors

            with engine_errors(f"looking up the image {image}"):
                try:
                    config = client.api.inspect_image(image).get("Config") or {}
                except docker.errors.ImageNotFound:
                    raise SandboxUnavailable(missing_image_message(image)) from None
            through_proxy = None if proxy is None else proxy_env(ca_bundle=proxy.ca_bundle is not None)
            env = container_env(config.get("Env"), {**(through_proxy or {}), **spec.env})
            mode, network_notice = network_mode(client, spec.network is True)
            options = container_options(spec, image, workspace, env, network_mode=mode, proxy=proxy)
            with engine_errors("creating the step's container"):
                container = client.containers.create(**options)
        except BaseException:
            client.close()
            raise
        box = cls(spec, client, str(container.id), options["user"], proxy)
        box.notices = (network_notice,) if network_notice else ()
        try:
            with engine_errors("starting the step's container"):
                container.start()
            box._probe(image)
            if proxy is not None:
                box._wait_for_forwarder(image)
        except BaseException:
            box._remove()
            raise
        return box

    def _probe(self, image: str) -> None:
        """Run one command, so an image that cannot run them fails now rather than at the model's first command."""
        session = self._session(["true"], cwd=None, env=None, stdin=None, limit=30.0, output_limit=4096)
        try:
            result = session.run()
        except SandboxUnavailable as exc:
            raise SandboxUnavailable(f"the docker image {image} cannot run commands: {exc}") from None
        if result.exit_code != 0:
            detail = (result.stderr or result.stdout).decode("utf-8", errors="replace").strip()
            raise SandboxUnavailable(
                f"the docker image {image} cannot run commands (exit {result.exit_code}): {detail}"
            )

    def _wait_for_forwarder(self, image: str) -> None:
        """Wait until the container's forwarder listens, so the first command's requests find it."""
        wait = (
            "import socket, time\n"
            "for _ in range(200):\n"
            f"    try: socket.create_connection(('127.0.0.1', {PORT}), 1).close(); break\n"
            "    except OSError: time.sleep(0.05)\n"
            "else: raise SystemExit(1)\n"
        )
        argv = ["python3", "-I", "-c", wait]
        session = self._session(argv, cwd=None, env=None, stdin=None, limit=30.0, output_limit=4096)
        result = session.run()
        if result.exit_code != 0:
            raise SandboxUnavailable(
                f"the docker image {image} cannot run the network forwarder (it needs python3 for an allowlisted "
                f"network): {(result.stderr or result.stdout).decode('utf-8', errors='replace').strip()}"
            )

    @property
    def workdir(self) -> str:
        """The workspace root as commands inside the sandbox see it."""
        return WORKSPACE_MOUNT

    def _session(
        self,
        argv: Sequence[str],
        *,
        cwd: str | None,
        env: Mapping[str, str] | None,
        stdin: bytes | None,
        limit: float,
        output_limit: int,
    ) -> ExecSession:
        wanted = {**self.spec.env, **(env or {})}
        drop = [name for name in ENGINE_VARIABLES if name not in wanted]
        return ExecSession(
            self._api,
            self.container_id,
            user=self._user,
            command=wrapper_command(argv, cwd=sandbox_path(cwd), limit=limit + _INNER_GRACE, drop=drop),
            env={**(env or {}), MARKER_VARIABLE: secrets.token_hex(8)},
            stdin=stdin,
            output_limit=output_limit,
        )

    def _stop(self, session: ExecSession) -> None:
        """Kill a command's processes; if even that cannot run (no pids left...), restart the container."""
        if not session.stop():
            log.warning("could not kill a command in %s; restarting the container", self.container_id)
            with engine_errors("restarting the step's container"):
                self._api.restart(self.container_id, timeout=0)

    def _stop_and_close(self, session: ExecSession) -> None:
        try:
            self._stop(session)
        finally:
            session.close()

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
        if not argv:
            raise ValueError("argv is empty: there is no command to run")
        if self._closed:
            raise SandboxUnavailable("the docker sandbox is closed")
        limit = self.spec.timeout if timeout is None else timeout
        session = self._session(argv, cwd=cwd, env=env, stdin=stdin, limit=limit, output_limit=output_limit)
        started = time.monotonic()
        running = asyncio.ensure_future(asyncio.to_thread(session.run))
        timed_out = False
        try:
            done, _ = await asyncio.wait({running}, timeout=limit)
            if not done:
                timed_out = True
                await asyncio.to_thread(self._stop, session)
                done, _ = await asyncio.wait({running}, timeout=_STREAM_GRACE)
                if not done:
                    session.close()
            output = await running
        except BaseException:  # cancelled, or the engine failed: the command must not go on
            if not running.done():
                running.add_done_callback(_ignore_outcome)
                _in_background(lambda: self._stop_and_close(session))
            raise
        duration = time.monotonic() - started
        timed_out = timed_out or (output.exit_code == _KILLED_EXIT_CODE and duration >= limit)
        return ProcessResult(
            exit_code=TIMEOUT_EXIT_CODE if timed_out else output.exit_code,
            stdout=output.stdout,
            stderr=output.stderr,
            duration=duration,
            timed_out=timed_out,
            truncated=output.truncated,
        )

    def _remove(self) -> None:
        """Remove the container and everything running in it; a container already gone is fine."""
        self._closed = True
        try:
            import docker.errors

            with contextlib.suppress(docker.errors.NotFound):
                self._api.remove_container(self.container_id, force=True)
        except Exception as exc:  # the engine is gone: `interns sandbox cleanup` removes it later
            log.warning("could not remove container %s: %s", self.container_id, exc)
        finally:
            self._client.close()

    async def aclose(self) -> None:
        """Remove the step's container; the removal finishes even if the caller is cancelled meanwhile."""
        if self._closed:
            return
        self._closed = True
        await asyncio.shield(asyncio.to_thread(self._remove))
        if self._proxy is not None:
            await self._proxy.aclose()


def _ignore_outcome(future: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned call's outcome, so asyncio does not report it as never retrieved."""
    if not future.cancelled():
        future.exception()


def _remove_when_started(future: asyncio.Future[DockerSandbox]) -> None:
    """Remove the container of an `open` whose caller was cancelled before it finished."""
    if not future.cancelled() and future.exception() is None:
        _in_background(future.result()._remove)
