"""What a step's container looks like: its image's environment, its mounts, limits and labels, its network."""

from __future__ import annotations

import os
import posixpath
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interns.sandbox.base import WORKSPACE_MOUNT, SandboxSpec
from interns.sandbox.bubblewrap.args import SANDBOX_HOME
from interns.sandbox.docker.engine import engine_errors, owner_labels
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
    spec: SandboxSpec, image: str, workspace: Path, env: Mapping[str, str], *, network_mode: str = "none"
) -> dict[str, Any]:
    """Keyword arguments of `containers.create` for a step's container over `workspace`."""
    from docker.types import Ulimit

    owner = workspace.stat()
    memory, file_size = spec.memory_mb * MB, spec.file_size_mb * MB
    slug = re.sub(r"[^a-zA-Z0-9_.-]+", "-", spec.run_id).strip("-.") or "sandbox"
    return {
        "image": image,
        "command": ["sh", "-c", KEEPALIVE],
        "name": f"interns-{slug[:60]}-{secrets.token_hex(3)}",
        "init": True,  # reaps the orphans of killed commands
        "user": f"{owner.st_uid}:{owner.st_gid}",  # files come back owned by the workspace's owner
        "environment": dict(env),
        "working_dir": WORKSPACE_MOUNT,
        "volumes": {
            str(workspace): {"bind": WORKSPACE_MOUNT, "mode": "rw"},
            **{str(host): {"bind": posixpath.join(WORKSPACE_MOUNT, at), "mode": "ro"} for host, at in spec.read_only},
        },
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


def network_mode(client: docker.DockerClient, allowed: bool) -> str:
    """`none`, or when the task allows network the engine's default bridge (the host's, on an engine without one)."""
    if not allowed:
        return "none"
    with engine_errors("looking up the networks"):
        return "bridge" if client.networks.list(names=["bridge"]) else "host"
