"""Reaching the docker engine: connecting with clear errors, the labels that mark our containers, preflight checks."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from interns.sandbox.base import SandboxUnavailable

if TYPE_CHECKING:
    import docker

DEFAULT_IMAGE = "interns-worker:1"
"""The kit's own worker image, built by `interns sandbox build`."""

LABEL_RUN = "interns.run"
LABEL_PID = "interns.pid"
LABEL_PID_START = "interns.pid_start"
LABEL_HOST = "interns.host"
"""Labels on every container we start: the run, and the host process that must remove it."""

DEFAULT_SOCKET = "/var/run/docker.sock"
BUILD_HINT = "build it with: interns sandbox build"
INSTALL_HINT = (
    "Install Docker: `apt-get install docker.io` (Debian/Ubuntu) or see https://docs.docker.com/engine/install/. "
    "Or set `guardrails.sandbox: bubblewrap`."
)
START_HINT = "start the docker daemon: `sudo systemctl start docker` (or run `sudo dockerd &`), or check DOCKER_HOST"
PERMISSION_HINT = "let your user use the engine: `sudo usermod -aG docker $USER`, then log in again"


def _unreachable_hint(detail: str) -> str:
    """What to do when the engine does not answer, judged from the error and what is installed."""
    host = os.environ.get("DOCKER_HOST", "")
    if "Permission denied" in detail or "PermissionError" in detail:
        return f"the docker engine refused this user ({detail}); {PERMISSION_HINT}"
    local = not host or host.startswith("unix://")
    if local and shutil.which("dockerd") is None and shutil.which("docker") is None:
        return f"Docker is not installed on this machine. {INSTALL_HINT}"
    return f"cannot reach the docker engine ({detail}); {START_HINT}"


def _probe_local_socket() -> None:
    """SandboxUnavailable if the engine's unix socket does not answer: said here, since the SDK leaks the socket."""
    host = os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    if not host.startswith("unix://"):
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(5)
        probe.connect(host.removeprefix("unix://"))
    except OSError as exc:
        raise SandboxUnavailable(_unreachable_hint(f"{host}: {exc.strerror or exc}")) from None
    finally:
        probe.close()


def connect() -> docker.DockerClient:
    """A client of the engine that DOCKER_HOST (default: the local socket) names; SandboxUnavailable if it is down."""
    try:
        import docker
    except ImportError:
        raise SandboxUnavailable("the docker backend needs the `docker` Python package: pip install docker") from None
    _probe_local_socket()
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # the SDK wraps socket, HTTP and config errors alike in DockerException
        raise SandboxUnavailable(_unreachable_hint(str(exc))) from exc
    return client


@contextlib.contextmanager
def engine_errors(doing: str) -> Iterator[None]:
    """Turn any failure of the engine or of the connection to it into SandboxUnavailable, naming what we were doing."""
    import docker.errors
    import requests

    try:
        yield
    except (docker.errors.DockerException, requests.RequestException, OSError) as exc:
        raise SandboxUnavailable(f"the docker engine failed while {doing}: {exc}") from exc


def _process_start(pid: int) -> str:
    """When process `pid` started (clock ticks since boot), or "" where /proc cannot tell; it tells pid reuse apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def owner_labels(run_id: str) -> dict[str, str]:
    """The labels naming this process as the owner of a container, so cleanup can tell when the owner is gone."""
    pid = os.getpid()
    return {
        LABEL_RUN: run_id,
        LABEL_PID: str(pid),
        LABEL_PID_START: _process_start(pid),
        LABEL_HOST: socket.gethostname(),
    }


def owner_alive(labels: dict[str, str]) -> bool:
    """Whether the host process named by a container's labels still runs; containers of other hosts count as alive."""
    if labels.get(LABEL_HOST, socket.gethostname()) != socket.gethostname():
        return True
    try:
        pid = int(labels.get(LABEL_PID, ""))
        os.kill(pid, 0)
    except ValueError:
        return False
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        pass
    started = labels.get(LABEL_PID_START, "")
    return not started or started == _process_start(pid)


def missing_image_message(image: str) -> str:
    """What to say when `image` is not on the engine."""
    if image == DEFAULT_IMAGE:
        return f"the docker image {image} is missing; {BUILD_HINT}"
    return f"the docker image {image} is missing; pull it (`docker pull {image}`) or {BUILD_HINT} --image {image}"


def check_image(client: docker.DockerClient, image: str) -> None:
    """Check that `image` is on the engine and has a shell to run commands with; SandboxUnavailable says what to do."""
    import docker.errors

    with engine_errors(f"looking up the image {image}"):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            raise SandboxUnavailable(missing_image_message(image)) from None
    # The container's own process is the shell, so an image without one fails at start, before any wait.
    with engine_errors(f"trying the image {image}"):
        command = ["sh", "-c", "exit 0"]
        container = client.containers.create(image, command, network_mode="none", labels=owner_labels(""))
        try:
            container.start()
        except docker.errors.APIError as exc:
            raise SandboxUnavailable(
                f"the docker image {image} cannot run a shell (sh), which every command runs through: "
                f"{exc.explanation or exc}. Use an image with /bin/sh, or {BUILD_HINT}"
            ) from None
        finally:
            container.remove(force=True)


def check_docker(image: str | None = None) -> None:
    """Raise SandboxUnavailable now, before any model call, if the docker backend cannot run `image` here."""
    client = connect()
    try:
        check_image(client, image or DEFAULT_IMAGE)
    finally:
        client.close()
