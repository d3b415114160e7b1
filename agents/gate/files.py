"""Files the gate reads from a worked copy and lands in a person's folder: never through a link, never outside it.

A worked copy is what a sandbox wrote, so it is hostile data: each path is opened one folder at a time with
`O_NOFOLLOW`, and only regular files are read. Landing is all or nothing: every new file is staged next to its
target, the targets are checked to still hold what the caller saw, then everything is renamed into place and read
back; on any failure what was done is undone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from interns.errors import RunError

__all__ = ["ABSENT", "MAX_FILE_BYTES", "Change", "Entry", "LandingError", "land", "read_entry", "safe_mode", "umask"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO must not hang us
_PERMISSIONS = 0o777
MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest file the gate reads: a sandbox must not make the host read a file that fills its memory."""


class LandingError(RunError):
    """The files could not land exactly as planned; nothing was changed. The message says why."""


@dataclass(frozen=True)
class Entry:
    """What is at a path, read without following links: a regular file's bytes and mode, or another kind."""

    kind: str  # "file", "absent", "link", "folder", "special" or "large" (a file over MAX_FILE_BYTES)
    content: bytes = b""
    mode: int = 0

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def described(self) -> str:
        """What is there, in words."""
        words = {"link": "a symbolic link", "special": "a special file (FIFO, socket or device)"}
        words["large"] = f"a file over {MAX_FILE_BYTES // 2**20} MiB"
        return words.get(self.kind, f"a {self.kind}")

    def same_as(self, other: Entry) -> bool:
        """Same kind, and for files the same bytes (modes aside, as the run's diff has them); unread files never."""
        return self.kind == other.kind != "large" and self.content == other.content


ABSENT = Entry("absent")


@dataclass(frozen=True)
class Change:
    """One file to land: its new content (None: remove it), what the target must hold until then, and its mode."""

    rel: str
    content: bytes | None
    before: Entry
    """What the target must still hold when the change lands: a file's bytes, or absent."""
    mode: int = 0o644
    """The permission bits of a new file, masked by the umask and stripped of set-id bits before use."""
    keep_mode: bool = False
    """Give a replaced file the mode the file it replaces has, not `mode`."""


def parts_of(rel: str) -> list[str]:
    """The names along a relative path; ValueError for one that is absolute, empty or climbs with `..`."""
    parts = rel.split("/")
    if not rel or "\0" in rel or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a plain relative path: {rel!r}")
    return parts


def umask() -> int:
    """This process's umask, read without changing it where the system says it."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


def safe_mode(mode: int) -> int:
    """Permission bits no wider than the umask allows, with no set-uid, set-gid or sticky bit."""
    return mode & _PERMISSIONS & ~umask()


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISLNK(mode):
        return "link"
    return "folder" if stat.S_ISDIR(mode) else "special"


class _NotAFolder(LandingError):
    """A step of a path is not a folder: a link (never followed) or something else."""

    def __init__(self, message: str, is_link: bool) -> None:
        super().__init__(message)
        self.is_link = is_link


@contextlib.contextmanager
def _folder(root_fd: int, names: Sequence[str], made: list[tuple[int, str]] | None = None) -> Iterator[int]:
    """An fd of the folder at `names` under `root_fd`, every step opened without following a link.

    With `made`, missing folders are created (and recorded, to be removed on rollback); else FileNotFoundError.
    A LandingError when a step is a link or not a folder.
    """
    fds: list[int] = []
    here = root_fd
    try:
        for index, name in enumerate(names):
            try:
                here = os.open(name, _DIR_FLAGS, dir_fd=here)
            except FileNotFoundError:
                if made is None:
                    raise
                os.mkdir(name, 0o777, dir_fd=here)  # the umask applies
                made.append((os.dup(here), name))
                here = os.open(name, _DIR_FLAGS, dir_fd=here)
            except OSError as exc:
                where = "/".join(names[: index + 1])
                try:
                    is_link = stat.S_ISLNK(os.stat(name, dir_fd=here, follow_symlinks=False).st_mode)
                except OSError:
                    is_link = False
                what = "a symbolic link" if is_link else "not a folder"
                raise _NotAFolder(f"{where} is {what}; nothing is written through it", is_link) from exc
            fds.append(here)
        yield here
    finally:
        for fd in fds:
            os.close(fd)


def _read_at(dir_fd: int, name: str) -> Entry:
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return ABSENT
    if not stat.S_ISREG(info.st_mode):
        return Entry(_kind(info.st_mode))
    if info.st_size > MAX_FILE_BYTES:
        return Entry("large")
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
    except OSError:  # replaced by a link or removed since the stat
        return Entry("special")
    with os.fdopen(fd, "rb") as file:
        opened = os.fstat(file.fileno())
        if not stat.S_ISREG(opened.st_mode):
            return Entry(_kind(opened.st_mode))
        content = file.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            return Entry("large")
        return Entry("file", content, stat.S_IMODE(opened.st_mode))


def read_entry(root: Path, rel: str) -> Entry:
    """What is at `rel` under `root`, never following a link; a link on the way reads as a link."""
    names = parts_of(rel)
    root_fd = os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW)  # the root is the person's, reached however they made it
    try:
        with _folder(root_fd, names[:-1]) as here:
            return _read_at(here, names[-1])
    except FileNotFoundError:
        return ABSENT
    except _NotAFolder as exc:
        return Entry("link") if exc.is_link else ABSENT
    finally:
        os.close(root_fd)


@dataclass
class _Staged:
    change: Change
    dir_fd: int
    name: str
    mode: int = 0
    temp: str | None = None
    backup: str | None = None
    swapped: bool = False


@dataclass
class _Landing:
    root: Path
    root_fd: int
    made: list[tuple[int, str]] = field(default_factory=list)
    staged: list[_Staged] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_hex(4))

    def stage(self, change: Change) -> None:
        names = parts_of(change.rel)
        with _folder(self.root_fd, names[:-1], self.made if change.content is not None else None) as here:
            dir_fd = os.dup(here)
        item = _Staged(change, dir_fd, names[-1])
        self.staged.append(item)
        current = _read_at(dir_fd, item.name)
        if current.kind not in ("file", "absent"):
            raise LandingError(f"{change.rel} is {current.described} in {self.root}, which an accept never replaces")
        if change.content is None:
            return
        # A replaced file keeps the person's mode, less any set-id bit: it now holds the run's bytes.
        kept = change.keep_mode and current.is_file
        mode = item.mode = current.mode & _PERMISSIONS if kept else safe_mode(change.mode)
        item.temp = f".interns-{self.token}-{len(self.staged)}.new"
        fd = os.open(
            item.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd
        )
        with os.fdopen(fd, "wb") as file:
            file.write(change.content)
            os.fchmod(file.fileno(), mode)
            file.flush()
            os.fsync(file.fileno())

    def changed_since(self) -> list[str]:
        """The targets that no longer hold what the caller saw when it planned the changes."""
        return [s.change.rel for s in self.staged if not _read_at(s.dir_fd, s.name).same_as(s.change.before)]

    def swap(self) -> None:
        for item in self.staged:
            if _read_at(item.dir_fd, item.name).is_file:
                item.backup = f".interns-{self.token}-{self.staged.index(item) + 1}.old"
                os.rename(item.name, item.backup, src_dir_fd=item.dir_fd, dst_dir_fd=item.dir_fd)
            item.swapped = True
            if item.temp is not None:
                os.rename(item.temp, item.name, src_dir_fd=item.dir_fd, dst_dir_fd=item.dir_fd)
                item.temp = None

    def wrong(self) -> list[str]:
        """The targets that do not hold exactly what was meant to land."""
        wrong = []
        for item in self.staged:
            now = _read_at(item.dir_fd, item.name)
            change = item.change
            if change.content is None:
                ok = now.kind == "absent"
            else:
                ok = now.is_file and now.content == change.content and now.mode == item.mode
            if not ok:
                wrong.append(change.rel)
        return wrong

    def roll_back(self) -> None:
        for item in reversed(self.staged):
            if item.temp is not None:
                _quietly(os.unlink, item.temp, dir_fd=item.dir_fd)
            elif item.swapped and item.change.content is not None:
                _quietly(os.unlink, item.name, dir_fd=item.dir_fd)
            if item.backup is not None:
                _quietly(os.rename, item.backup, item.name, src_dir_fd=item.dir_fd, dst_dir_fd=item.dir_fd)
        for parent_fd, name in reversed(self.made):
            _quietly(os.rmdir, name, dir_fd=parent_fd)

    def finish(self) -> None:
        for item in self.staged:
            if item.backup is not None:
                with contextlib.suppress(OSError):
                    os.unlink(item.backup, dir_fd=item.dir_fd)

    def close(self) -> None:
        for item in self.staged:
            os.close(item.dir_fd)
        for parent_fd, _ in self.made:
            os.close(parent_fd)
        os.close(self.root_fd)


def _quietly(action: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Undo one thing if it can be undone; rolling back goes on either way."""
    with contextlib.suppress(OSError):
        action(*args, **kwargs)


def land(root: Path, changes: Sequence[Change]) -> None:
    """Make `root` hold every change, or leave it as it was and raise a LandingError saying why."""
    landing = _Landing(root, os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW))
    try:
        try:
            for change in changes:
                landing.stage(change)
            if changed := landing.changed_since():
                raise LandingError(
                    f"these files in {root} changed while the run was being accepted: {', '.join(changed)}"
                )
            landing.swap()
            if wrong := landing.wrong():
                raise LandingError(
                    f"after landing, these files in {root} do not hold what was meant: {', '.join(wrong)}"
                )
        except (LandingError, OSError, ValueError) as exc:
            landing.roll_back()
            if isinstance(exc, LandingError):
                raise
            raise LandingError(f"writing to {root} failed ({exc}); nothing was changed") from exc
        landing.finish()
    finally:
        landing.close()
