"""The bubblewrap command line: what of the host a sandbox sees, built by pure functions."""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interns.sandbox.base import WORKSPACE_MOUNT
from interns.sandbox.network.environment import CA_BUNDLE_NAME, SYSTEM_CA_BUNDLE
from interns.sandbox.network.forwarder import SOCKET_DIR

SANDBOX_UID = 1000
SANDBOX_GID = 1000
SANDBOX_HOME = "/home/intern"
TMP_SIZE, HOME_SIZE = 1024 * 1024 * 1024, 512 * 1024 * 1024
"""Bytes the in-memory /tmp and HOME may hold, where bwrap can size them (0.8+): they take the host's memory."""

# Only these /etc entries are shown, never /etc wholesale: when host root runs bwrap, every file
# host root owns appears owned by the sandbox user, so /etc/shadow and its kind would be readable.
ETC_WHITELIST = (
    "passwd",
    "group",
    "hosts",
    "host.conf",
    "resolv.conf",
    "nsswitch.conf",
    "gai.conf",
    "protocols",
    "services",
    "networks",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
    "pki",
    "crypto-policies",
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "locale.alias",
    "mime.types",
    "magic",
    "magic.mime",
    "os-release",
    "debian_version",
    "inputrc",
)
ETC_WHITELIST_PREFIXES = ("python3",)
TOP_LEVEL_SYSTEM_DIRS = ("bin", "lib", "lib32", "lib64", "libx32", "sbin")


@dataclass(frozen=True)
class HostLayout:
    """The parts of the host filesystem a sandbox is built from, read once per sandbox."""

    etc_entries: tuple[str, ...] = ()
    """Whitelisted names that exist under /etc."""
    top_symlinks: tuple[tuple[str, str], ...] = ()
    """(name, target) for /bin, /lib... that are symlinks on the host (usually into usr/)."""
    top_dirs: tuple[str, ...] = ()
    """/bin, /lib... that are real directories on the host."""
    hidden: tuple[tuple[str, bool], ...] = ()
    """(path, is_dir) inside the shown /etc entries that are not world-readable: masked in the sandbox."""

    @classmethod
    def probe(cls, root: Path = Path("/")) -> HostLayout:
        """Read the layout of the host filesystem under `root`."""
        etc = root / "etc"
        names = sorted(os.listdir(etc)) if etc.is_dir() else []
        entries = tuple(n for n in names if n in ETC_WHITELIST or n.startswith(ETC_WHITELIST_PREFIXES))
        links, dirs = [], []
        for name in TOP_LEVEL_SYSTEM_DIRS:
            path = root / name
            if path.is_symlink():
                links.append((name, os.readlink(path)))
            elif path.is_dir():
                dirs.append(name)
        hidden = [hit for name in entries for hit in _not_world_readable(etc / name, f"/etc/{name}")]
        return cls(tuple(entries), tuple(links), tuple(dirs), tuple(hidden))


def _not_world_readable(host_path: Path, shown_as: str) -> list[tuple[str, bool]]:
    """Paths under host_path (itself included) that others may not read, as they appear in the sandbox."""
    try:
        mode = host_path.lstat().st_mode
    except OSError:
        return []
    if stat.S_ISLNK(mode):
        return []
    is_dir = stat.S_ISDIR(mode)
    if not mode & stat.S_IROTH:
        return [(shown_as, is_dir)]
    if not is_dir:
        return []
    try:
        children = sorted(os.listdir(host_path))
    except OSError:
        return [(shown_as, True)]
    return [hit for child in children for hit in _not_world_readable(host_path / child, f"{shown_as}/{child}")]


def sandbox_path(cwd: str | None) -> str:
    """Where `cwd` (relative to the workspace root, or absolute inside the sandbox) is in the sandbox."""
    return posixpath.normpath(posixpath.join(WORKSPACE_MOUNT, cwd or "."))


def bwrap_command(
    bwrap: str,
    layout: HostLayout,
    *,
    workspace: Path,
    argv: Sequence[str],
    cwd: str | None = None,
    user_namespace: bool = True,
    seccomp_fd: int | None = None,
    sized_tmpfs: bool = False,
    read_only: Sequence[tuple[Path, str]] = (),
    network_fds: tuple[int, int] | None = None,
    proxy_dir: tuple[Path, bool] | None = None,
) -> list[str]:
    """The full bwrap command line that runs argv over `workspace`; the environment is passed by the caller.

    With `user_namespace` the command runs as uid/gid 1000 inside a new user namespace; without it
    (hosts where user namespaces are disabled but bwrap is setuid) it runs as the invoking user.
    `seccomp_fd` is an open descriptor bwrap reads a seccomp filter from; `sized_tmpfs` caps /tmp and HOME.
    `read_only` binds host paths read-only over places in the workspace (bwrap makes their mount points in it).
    The network namespace is always the sandbox's own, never the host's: `network_fds` (info fd, block fd) make bwrap
    report its child's pid and wait before the command starts, while the network is attached (`outbound`).
    `proxy_dir` (the proxy's socket folder, whether it holds a CA bundle) is shown read-only at SOCKET_DIR; with a
    bundle, it also stands in for the system's.
    """
    args = [bwrap, "--unshare-all"]
    if network_fds is not None:
        args += ["--info-fd", str(network_fds[0]), "--block-fd", str(network_fds[1])]
    if user_namespace:
        args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID)]
    args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args += ["--ro-bind", "/usr", "/usr"]
    for name, target in layout.top_symlinks:
        args += ["--symlink", target, f"/{name}"]
    for name in layout.top_dirs:
        args += ["--ro-bind", f"/{name}", f"/{name}"]
    for name in layout.etc_entries:
        args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += ["--symlink", "../proc/self/mounts", "/etc/mtab"]
    for path, is_dir in layout.hidden:
        args += ["--tmpfs", path, "--remount-ro", path] if is_dir else ["--ro-bind", "/dev/null", path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for path, size in (("/tmp", TMP_SIZE), (SANDBOX_HOME, HOME_SIZE)):
        args += ["--size", str(size), "--tmpfs", path] if sized_tmpfs else ["--tmpfs", path]
    args += ["--bind", str(workspace), WORKSPACE_MOUNT]
    for host_path, inside in read_only:
        args += ["--ro-bind", str(host_path), sandbox_path(inside)]
    if proxy_dir is not None:
        args += ["--ro-bind", str(proxy_dir[0]), SOCKET_DIR]
        if proxy_dir[1]:
            args += ["--ro-bind", str(proxy_dir[0] / CA_BUNDLE_NAME), SYSTEM_CA_BUNDLE]
    args += ["--remount-ro", "/", "--chdir", sandbox_path(cwd)]
    return [*args, "--", *argv]
