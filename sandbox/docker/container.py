"""What a step's container looks like: its image's environment, its mounts, limits and labels, its network.

A container never runs on the host's network (`network_mode: host` would give it the host's loopback, where the
viewer and other local services listen).
"""

from __future__ import annotations

import os
import posixpath
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interns.sandbox.base import WORKSPACE_MOUNT, SandboxSpec, SandboxUnavailable
from interns.sandbox.bubblewrap.args import SANDBOX_HOME
from interns.sandbox.docker.engine import engine_errors, owner_labels
from interns.sandbox.network import SOCKET_DIR, ProxyServer, serve_argv
from interns.sandbox.network.environment import SYSTEM_CA_BUNDLE
from interns.sandbox.process import clean_env

if TYPE_CHECKING:
    import docker

CPU_LIMIT = 4.0
"""CPUs a step's container may use, at most the host's count."""
MB = 1024 * 1024
TMP_SIZE, HOME_SIZE = "1g", "512m"
"""Sizes of the in-memory /tmp and HOME."""

KEEPALIVE = "while :; do sleep 86400; done"
"""The container's own process: it only keeps the container up for the commands exec'd into it."""


def container_env(image_env: Sequence[str] | None, spec_env: Mapping[str, str]) -> dict[str, str]:
    """Every backend's clean environment, with the image's own PATH when it sets one, then spec.env.

    Nothing comes from the host. The image's other ENV entries stay too (the engine adds them):
    they belong to the image's toolchain, like its PATH.
    """
    declared = dict(entry.split("=", 1) for entry in image_env or () if "=" in entry)
    path = {"PATH": declared["PATH"]} if "PATH" in declared else None
    return clean_env(SANDBOX_HOME, path, spec_env)


def container_options(
    spec: SandboxSpec,
    image: str,
    workspace: Path,
    env: Mapping[str, str],
    *,
    network_mode: str = "none",
    proxy: ProxyServer | None = None,
) -> dict[str, Any]:
    """Keyword arguments of `containers.create` for a step's container over `workspace`.

    With a `proxy`, the container's own process is the forwarder from its loopback to the proxy's socket, whose
    folder is mounted read-only (its CA bundle, when there is one, over the system's too).
    """
    from docker.types import Ulimit

    owner = workspace.stat()
    memory, file_size = spec.memory_mb * MB, spec.file_size_mb * MB
    slug = re.sub(r"[^a-zA-Z0-9_.-]+", "-", spec.run_id).strip("-.") or "sandbox"
    volumes = {
        str(workspace): {"bind": WORKSPACE_MOUNT, "mode": "rw"},
        **{str(host): {"bind": posixpath.join(WORKSPACE_MOUNT, at), "mode": "ro"} for host, at in spec.read_only},
    }
    if proxy is not None:
        volumes[str(proxy.socket_dir)] = {"bind": SOCKET_DIR, "mode": "ro"}
        if proxy.ca_bundle is not None:
            volumes[str(proxy.ca_bundle)] = {"bind": SYSTEM_CA_BUNDLE, "mode": "ro"}
    return {
        "image": image,
        "command": ["sh", "-c", KEEPALIVE] if proxy is None else serve_argv(),
        "name": f"interns-{slug[:60]}-{secrets.token_hex(3)}",
        "init": True,  # reaps the orphans of killed commands
        "user": f"{owner.st_uid}:{owner.st_gid}",  # files come back owned by the workspace's owner
        "environment": dict(env),
        "working_dir": WORKSPACE_MOUNT,
        "volumes": volumes,
        "read_only": True,
        "tmpfs": {
            "/tmp": f"rw,exec,nosuid,nodev,size={TMP_SIZE},mode=1777",
            SANDBOX_HOME: f"rw,exec,nosuid,nodev,size={HOME_SIZE},uid={owner.st_uid},gid={owner.st_gid},mode=0700",
        },
        "network_mode": network_mode,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "mem_limit": memory,  # tmpfs contents included; no swap beyond it
        "memswap_limit": memory,
        "nano_cpus": int(min(CPU_LIMIT, os.cpu_count() or 1) * 1e9),
        "pids_limit": spec.processes,
        "ulimits": [Ulimit(name="fsize", soft=file_size, hard=file_size)],
        "labels": owner_labels(spec.run_id),
        "hostname": "sandbox",
    }


SANDBOX_NETWORK = "interns-sandbox"
"""The user-defined bridge network a step with network joins: containers on it cannot reach one another."""
NO_BRIDGE = (
    "the docker engine has no bridge network, so this step runs with no network at all (network_mode none), "
    "although it asked for one: a sandbox never shares the host's network and its loopback. To give steps a network, "
    f"run dockerd with a bridge, or create one: `docker network create -o com.docker.network.bridge.enable_icc=false "
    f"{SANDBOX_NETWORK}`; or use the bubblewrap sandbox, which reaches out through slirp4netns"
)
"""The notice journaled for a step that asked for network on an engine without a bridge."""


def network_mode(client: docker.DockerClient, allowed: bool) -> tuple[str, str]:
    """The container's network and a notice for the journal ("" when none is due); never the host's network.

    No network unless the step allows it. Then the user-defined bridge `interns-sandbox`: used when the engine has
    it, made (labelled, inter-container traffic off) when the engine has its default bridge. An engine without any
    bridge (dockerd --bridge=none) gives `none` and the notice saying why.
    """
    if not allowed:
        return "none", ""
    import docker.errors

    with engine_errors("looking up the networks"):
        if _bridge(client, SANDBOX_NETWORK):
            return SANDBOX_NETWORK, ""
        if not _bridge(client, "bridge"):
            return "none", NO_BRIDGE
        try:
            client.networks.create(
                SANDBOX_NETWORK,
                driver="bridge",
                options={"com.docker.network.bridge.enable_icc": "false"},
                labels={"interns.network": "sandbox"},
            )
        except docker.errors.APIError as exc:
            if not _bridge(client, SANDBOX_NETWORK):  # another run made it meanwhile: fine; anything else is not
                raise SandboxUnavailable(f"cannot create the docker network {SANDBOX_NETWORK}: {exc}") from exc
    return SANDBOX_NETWORK, ""


def _bridge(client: docker.DockerClient, name: str) -> bool:
    """Whether the engine has a bridge network of exactly this name (the engine's filter matches parts of names)."""
    return any(n.name == name and n.attrs.get("Driver") == "bridge" for n in client.networks.list(names=[name]))
