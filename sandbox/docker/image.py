"""Building the default worker image: `docker build` of image/Dockerfile, or offline with debootstrap + docker import.

Both ways install the packages listed in image/packages.txt on Debian bookworm. The offline way
needs no registry, only Debian's package mirror: it runs on hosts that cannot pull base images.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from interns.sandbox.base import SandboxError
from interns.sandbox.docker.engine import DEFAULT_IMAGE, connect, engine_errors
from interns.sandbox.process import DEFAULT_PATH

if TYPE_CHECKING:
    import docker

IMAGE_DIR = Path(__file__).with_name("image")
"""The build context of the default image: its Dockerfile and package list."""
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
IMPORT_CHANGES = [
    f"ENV PATH={DEFAULT_PATH}",
    "ENV LANG=C.UTF-8",
    'LABEL org.opencontainers.image.title="interns-worker"',
    'CMD ["bash"]',
]
"""What the Dockerfile's last lines set, applied to an imported root."""

Progress = Callable[[str], None]


class ImageBuildError(SandboxError):
    """The image could not be built; the message says why and what to try."""


@dataclass(frozen=True)
class BuiltImage:
    """An image now on the engine, and whether it came from the offline build."""

    name: str
    image_id: str
    offline: bool


def packages() -> list[str]:
    """The Debian packages of the default image."""
    text = (IMAGE_DIR / "packages.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip()]


def build_image(
    name: str = DEFAULT_IMAGE,
    *,
    offline: bool | None = None,
    progress: Progress | None = None,
    mirror: str | None = None,
) -> BuiltImage:
    """Build the worker image as `name`: with `docker build`, or offline, or (None) offline when the build fails.

    `progress` gets each line of build output. ImageBuildError says what went wrong.
    """
    say = progress or (lambda _line: None)
    client = connect()
    try:
        if not offline:
            try:
                return _build_with_dockerfile(client, name, say)
            except ImageBuildError as exc:
                if offline is False:
                    raise
                say(f"docker build failed ({exc}); building offline with debootstrap instead")
        return _build_offline(client, name, say, mirror or os.environ.get("INTERNS_DEBIAN_MIRROR") or DEFAULT_MIRROR)
    finally:
        client.close()


def _build_with_dockerfile(client: docker.DockerClient, name: str, say: Progress) -> BuiltImage:
    import docker.errors

    say(f"building {name} from {IMAGE_DIR / 'Dockerfile'}")
    try:
        for chunk in client.api.build(path=str(IMAGE_DIR), tag=name, rm=True, forcerm=True, decode=True):
            if "error" in chunk:
                raise ImageBuildError(str(chunk["error"]).strip())
            if line := str(chunk.get("stream", "")).strip():
                say(line)
        image_id = str(client.images.get(name).id)
    except docker.errors.DockerException as exc:
        raise ImageBuildError(str(exc)) from exc
    return BuiltImage(name, image_id, offline=False)


def _build_offline(client: docker.DockerClient, name: str, say: Progress, mirror: str) -> BuiltImage:
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise ImageBuildError("the offline build needs debootstrap: `apt-get install debootstrap` (Debian/Ubuntu)")
    if os.geteuid() != 0:
        raise ImageBuildError("the offline build runs debootstrap, which needs root: run it with sudo")
    scratch = Path(tempfile.mkdtemp(prefix="interns-image-"))
    root = scratch / "root"
    try:
        say(f"debootstrap {SUITE} from {mirror} with {', '.join(packages())}")
        command = [debootstrap, "--variant=minbase", f"--include={','.join(packages())}", SUITE, str(root), mirror]
        _run_showing(command, say)
        _trim(root)
        say(f"importing the root into docker as {name}")
        image_id = _import_root(client, root, name)
    finally:
        if _unmount_under(root):
            shutil.rmtree(scratch, ignore_errors=True)
        else:  # deleting through a mount (debootstrap bind-mounts /dev in containers) would reach the host's files
            say(f"left {scratch} in place: something is still mounted inside it")
    say(f"built {name} ({image_id})")
    return BuiltImage(name, image_id, offline=True)


def _run_showing(command: list[str], say: Progress) -> None:
    """Run a command, passing each output line to `say`; ImageBuildError with its last lines if it fails."""
    tail: deque[str] = deque(maxlen=15)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace") as p:
        assert p.stdout is not None
        for line in p.stdout:
            tail.append(line.rstrip())
            say(line.rstrip())
    if p.returncode != 0:
        raise ImageBuildError(f"{Path(command[0]).name} failed (exit {p.returncode}):\n" + "\n".join(tail))


def _trim(root: Path) -> None:
    """Drop what an image does not need: downloaded packages, package lists and documentation."""
    for folder in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info"):
        path = root / folder
        for entry in path.glob("*") if path.is_dir() else ():
            if entry.is_file() or entry.is_symlink():
                entry.unlink()
            elif entry.name != "partial":
                shutil.rmtree(entry)
    for cache in (root / "var/cache/apt").glob("*.bin"):
        cache.unlink()


def _split_name(name: str) -> tuple[str, str]:
    """`repo:tag` → (repo, tag); a name without a tag gets `latest` (a registry port is not a tag)."""
    repo, _, tag = name.rpartition(":")
    if not repo or "/" in tag:
        return name, "latest"
    return repo, tag


def _import_root(client: docker.DockerClient, root: Path, name: str) -> str:
    """Stream `root` as a tar into `docker import`; the new image's id."""
    repo, tag = _split_name(name)
    tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    try:
        with engine_errors(f"importing {name}"):
            reply = client.api.import_image_from_stream(tar.stdout, repository=repo, tag=tag, changes=IMPORT_CHANGES)
    finally:
        with contextlib.suppress(OSError):
            assert tar.stdout is not None
            tar.stdout.close()
        tar.wait()
    if tar.returncode != 0:
        raise ImageBuildError(f"tar of {root} failed (exit {tar.returncode})")
    for line in str(reply).splitlines():
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if "error" in message:
                raise ImageBuildError(f"docker import failed: {message['error']}")
    return str(client.images.get(name).id)


def _mounts_under(root: Path) -> list[str]:
    """Mount points inside `root`, deepest first."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    prefix = str(root) + "/"
    inside = [fields[1] for line in lines if len(fields := line.split()) > 1 and fields[1].startswith(prefix)]
    return sorted(inside, key=len, reverse=True)


def _unmount_under(root: Path) -> bool:
    """Unmount what a failed debootstrap left mounted in the root (proc, sys, dev); whether nothing is left."""
    for mount_point in _mounts_under(root):
        subprocess.run(["umount", "-l", mount_point], check=False, capture_output=True)
    return not _mounts_under(root)
