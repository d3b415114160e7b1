"""A folder over read-only inputs: a run's workspace that holds only what it writes, the inputs never copied."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from interns.sandbox.workspace.tree_scan import SKIPPED_NAMES


@dataclass(frozen=True)
class InputView:
    """A folder that holds only what a run writes, over a folder of inputs a sandbox shows read-only at their paths.

    Nothing is copied: each top-level entry of `source` is bound read-only at its own name inside `path`, so
    the run sees the inputs where a copy would have them. The binds leave empty mount points behind in `path`;
    `diff` ignores them and `remove_stubs` deletes them.
    """

    source: Path
    path: Path

    @classmethod
    def create(cls, source: Path, dest: Path) -> InputView:
        """An empty dest (which must not exist) over source; source's top-level symbolic links are copied as links."""
        dest.mkdir(parents=True)
        view = cls(source=source.resolve(), path=dest.resolve())
        for name in view.linked_names():
            os.symlink(os.readlink(view.source / name), view.path / name)
        return view

    @cached_property
    def _entries(self) -> tuple[os.DirEntry[str], ...]:
        """The inputs' top-level entries, read once: the sandboxes and the host must agree on them all run long."""
        with os.scandir(self.source) as entries:
            return tuple(sorted((e for e in entries if e.name not in SKIPPED_NAMES), key=lambda e: e.name))

    def linked_names(self) -> tuple[str, ...]:
        """Top-level symbolic links of the inputs: a bind would follow them out of the folder, so they are copied."""
        return tuple(e.name for e in self._entries if e.is_symlink())

    @cached_property
    def bound_names(self) -> frozenset[str]:
        """Top-level files and folders of the inputs, each bound read-only (VCS data, caches and links are not)."""
        return frozenset(e.name for e in self._entries if not e.is_symlink() and (e.is_dir() or e.is_file()))

    def owner(self, rel: str) -> Path:
        """The root a workspace-relative path lives under: the inputs' for a bound name, else the written folder."""
        return self.source if rel.split("/", 1)[0] in self.bound_names else self.path

    def read_only(self) -> tuple[tuple[Path, str], ...]:
        """(host path, path under the workspace mount) of each input a sandbox binds read-only."""
        return tuple((self.source / name, name) for name in sorted(self.bound_names))

    def _stubs(self) -> list[Path]:
        """Mount points a bind left in the folder: empty files and folders named as a bound input."""
        stubs = []
        for name in sorted(self.bound_names):
            stub = self.path / name
            if stub.is_symlink():
                continue
            if (stub.is_file() and stub.stat().st_size == 0) or (stub.is_dir() and not any(stub.iterdir())):
                stubs.append(stub)
        return stubs

    def stub_names(self) -> frozenset[str]:
        """The names of the mount points binds left in the folder now."""
        return frozenset(stub.name for stub in self._stubs())

    def diff(self) -> str:
        """The files the run wrote (the inputs' top-level links, copied in, only where they changed)."""
        from interns.sandbox.workspace.changes import list_changes, run_baseline  # they read views
        from interns.sandbox.workspace.tree_diff import render_diff

        before = run_baseline(self)
        return render_diff(list_changes(before, self), before, self.path)

    def remove_stubs(self) -> None:
        """Delete the mount points binds left behind; one still mounted somewhere stays."""
        for stub in self._stubs():
            with contextlib.suppress(OSError):
                if stub.is_dir():
                    stub.rmdir()
                else:
                    stub.unlink()

    def commit(self, message: str) -> str | None:
        """A folder has no history: nothing to record."""
        return None

    def remove(self) -> None:
        """Delete the folder of written files; the inputs stay."""
        shutil.rmtree(self.path, ignore_errors=True)
