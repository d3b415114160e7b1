"""Attacks through paths: globs, `..`, absolute paths, symbolic and hard links."""

from __future__ import annotations

import os
from pathlib import Path

from tests.security.attack import Attack, Seen, Turns, call, leaked, leaked_or_touched, sh
from tests.security.conftest import Host

UP = "../../../host"
"""The host folder, from the workspace (<tmp>/runs/<run>/workspace), through `..`."""


def _write_outside_globs(host: Host, backend: str) -> Turns:
    return [call("write", path="notes.txt", content="no"), call("edit", path="keep.txt", old="keep", new="gone")]


def _wrote_outside_globs(host: Host, seen: Seen) -> bool:
    return (seen.workspace / "notes.txt").exists() or (seen.workspace / "keep.txt").read_text() != "keep"


def _dotdot(host: Host, backend: str) -> Turns:
    return [
        call("read", path=f"{UP}/secret.txt"),
        call("write", path=f"{UP}/markers/dotdot", content="x"),
        call("write", path="src/../../../../host/markers/dotdot-nested", content="x"),
        call("list", path=UP),
        call("search", pattern="host-secret", path=UP),
    ]


def _absolute(host: Host, backend: str) -> Turns:
    return [
        call("read", path=str(host.secret_file)),
        call("write", path=str(host.marker("absolute")), content="x"),
        call("edit", path=str(host.secret_file), old="host", new="pwned"),
        call("list", path=str(host.root)),
        call("search", pattern="host-secret", path=str(host.root)),
        call("read", path=f"/workspace/{UP}/secret.txt"),
    ]


def _secret_changed(host: Host, seen: Seen) -> bool:
    return leaked_or_touched(host, seen) or host.secret_file.read_text() != host.secret + "\n"


def _link_file(host: Host, project: Path) -> None:
    (project / "link.txt").symlink_to(host.secret_file)


def _symlink_read(host: Host, backend: str) -> Turns:
    return [call("read", path="link.txt"), call("search", pattern="secret", path="link.txt"), sh("cat link.txt")]


def _symlink_write(host: Host, backend: str) -> Turns:
    return [
        call("write", path="link.txt", content="pwned"),
        call("edit", path="link.txt", old="host", new="pwned"),
        sh("echo pwned > link.txt"),
    ]


def _link_dir(host: Host, project: Path) -> None:
    (project / "linkdir").symlink_to(host.root)


def _symlink_dir(host: Host, backend: str) -> Turns:
    return [
        call("read", path="linkdir/secret.txt"),
        call("write", path="linkdir/markers/symlink-dir", content="x"),
        call("list", path="linkdir"),
        sh("cat linkdir/secret.txt; touch linkdir/markers/symlink-dir-run"),
    ]


def _worker_symlinks(host: Host, backend: str) -> Turns:
    return [
        sh(f"ln -s {host.secret_file} mine.txt; ln -s {UP}/markers mdir; ln -s / root"),
        call("read", path="mine.txt"),
        call("write", path="mdir/worker-link", content="x"),
        call("read", path=f"root{host.secret_file}"),
        call("edit", path="mine.txt", old="host", new="pwned"),
    ]


def _link_hard(host: Host, project: Path) -> None:
    shared = host.root / "hardlinked.txt"
    shared.write_text("original\n")
    os.link(shared, project / "hard.txt")


def _hard_link_written(host: Host, seen: Seen) -> bool:
    shared = host.root / "hardlinked.txt"
    copy = seen.workspace / "hard.txt"
    return shared.read_text() != "original\n" or (copy.exists() and copy.stat().st_ino == shared.stat().st_ino)


def _hard_link_project(host: Host, backend: str) -> Turns:
    return [call("write", path="hard.txt", content="pwned\n"), sh("echo pwned-run >> hard.txt")]


def _hard_link_recorded(seen: Seen) -> bool:
    """Writing through the copied hard link is allowed (it is a file of the workspace): the journal shows the write."""
    return any(e.tool == "write" and e.ok and e.args["path"] == "hard.txt" for e in seen.tool_calls())


def _worker_hard_link(host: Host, backend: str) -> Turns:
    return [sh(f"ln {host.secret_file} hard.txt"), call("read", path="hard.txt")]


PATH_ATTACKS = [
    Attack(
        "write outside the write globs",
        _write_outside_globs,
        _wrote_outside_globs,
        guardrails={"write": ["src/**"]},
        files={"keep.txt": "keep"},
    ),
    Attack("../ paths", _dotdot, _secret_changed, files={"src/a.txt": "a"}),
    Attack("absolute paths", _absolute, _secret_changed),
    Attack(
        "symlink to a host file: read",
        _symlink_read,
        leaked,
        prepare=_link_file,
        known_local="`cat link.txt` follows the link on the host",
    ),
    Attack(
        "symlink to a host file: write",
        _symlink_write,
        _secret_changed,
        prepare=_link_file,
        known_local="`echo > link.txt` follows the link on the host",
    ),
    Attack(
        "symlink to a host folder",
        _symlink_dir,
        leaked_or_touched,
        prepare=_link_dir,
        known_local="commands follow the link on the host",
    ),
    Attack("symlinks the worker makes", _worker_symlinks, _secret_changed),
    Attack(
        "hard link in the project to a host file",
        _hard_link_project,
        _hard_link_written,
        prepare=_link_hard,
        recorded=_hard_link_recorded,
    ),
    Attack(
        "hard link the worker makes to a host file",
        _worker_hard_link,
        leaked,
        known_local="`ln` of a host file into the workspace works on the host; the read tool then sees a plain file",
    ),
]
