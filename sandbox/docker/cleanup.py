"""Finding and removing the containers of runs that died without removing them (a SIGKILL, a power cut)."""

from __future__ import annotations

from dataclasses import dataclass

from interns.sandbox.docker.engine import LABEL_PID, LABEL_RUN, connect, engine_errors, owner_alive


@dataclass(frozen=True)
class Leftover:
    """A container whose owning process is gone."""

    container_id: str
    name: str
    run_id: str
    pid: str
    status: str

    def describe(self) -> str:
        """One line for a person: which container, which run, which process was its owner."""
        run = f"run {self.run_id}" if self.run_id else "no run"
        return f"{self.name} ({self.container_id[:12]}, {self.status}; {run}, process {self.pid} is gone)"


def find_leftovers() -> list[Leftover]:
    """Containers labelled by interns whose owning process on this host no longer runs."""
    client = connect()
    try:
        with engine_errors("listing containers"):
            containers = client.containers.list(all=True, filters={"label": LABEL_PID})
        return [
            Leftover(
                container_id=str(c.id),
                name=c.name or "",
                run_id=c.labels.get(LABEL_RUN, ""),
                pid=c.labels.get(LABEL_PID, ""),
                status=c.status,
            )
            for c in containers
            if not owner_alive(c.labels)
        ]
    finally:
        client.close()


def remove_leftovers() -> list[Leftover]:
    """Remove every leftover container (stopping what runs in it); return those removed."""
    import docker.errors

    leftovers = find_leftovers()
    client = connect()
    removed = []
    try:
        for leftover in leftovers:
            with engine_errors(f"removing {leftover.name}"):
                try:
                    client.api.remove_container(leftover.container_id, force=True)
                except docker.errors.NotFound:  # removed meanwhile by someone else
                    continue
            removed.append(leftover)
    finally:
        client.close()
    return removed
