"""A folder over read-only inputs: a run's workspace that holds only what it writes, the inputs never copied."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from interns.sandbox.workspace.tree_scan import SKIPPED_NAMES


@dataclass(frozen=True)
class InputView:
    """A folder that holds only what a run writes, over a folder of inputs a sandbox shows read-only at their paths.

    Nothing is copied: each top-level entry of `source` is bound read-only at its own name inside `path`, so
    the run sees the inputs where a copy would have them. A folder named in `opened` (one the run's outputs go
    into, such as `raw` for `raw/draft_v1.md`) is not bound whole: it is made in `path` and each of its entries is
    bound instead, so a run can add files beside its inputs without the inputs becoming writable. The binds leave
    empty mount points behind in `path`; `diff` ignores them and `remove_stubs` deletes them.
    """

    source: Path
    path: Path
    opened: frozenset[str] = frozenset()
    """Input folders (relative paths) the run writes into: their entries are bound one by one, not the folder."""

    @classmethod
    def create(cls, source: Path, dest: Path, opened: Iterable[str] = ()) -> InputView:
        """An empty dest (which must not exist) over source; source's symbolic links are copied as links."""
        dest.mkdir(parents=True)
        view = cls(source=source.resolve(), path=dest.resolve(), opened=frozenset(opened))
        for folder in view.opened_folders():
            (view.path / folder).mkdir(parents=True, exist_ok=True)
        for name in view.linked_names():
            os.symlink(os.readlink(view.source / name), view.path / name)
        return view

    @cached_property
    def _layout(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(bound, linked, opened) relative paths of the inputs, read once: the sandboxes and the host must agree on
        them all run long. The walk goes into opened folders only, so it is as short as their listings."""
        split = [folder.split("/") for folder in self.opened]
        wanted = {"/".join(parts[:i]) for parts in split for i in range(1, len(parts) + 1)}
        bound, linked, opened = [], [], []
        pending = [""]
        while pending:
            folder = pending.pop()
            with os.scandir(self.source / folder) as entries:
                for entry in entries:
                    rel = f"{folder}/{entry.name}" if folder else entry.name
                    if entry.name in SKIPPED_NAMES:
                        continue
                    if entry.is_symlink():
                        linked.append(rel)
                    elif entry.is_dir() and rel in wanted:
                        opened.append(rel)
                        pending.append(rel)
                    elif entry.is_dir() or entry.is_file():
                        bound.append(rel)
        return tuple(sorted(bound)), tuple(sorted(linked)), tuple(sorted(opened))

    def linked_names(self) -> tuple[str, ...]:
        """Symbolic links of the inputs (top-level, and in opened folders): a bind would follow them out, so they are
        copied."""
        return self._layout[1]

    def opened_folders(self) -> tuple[str, ...]:
        """The input folders made in the run's folder, their entries bound one by one."""
        return self._layout[2]

    @cached_property
    def bound_names(self) -> frozenset[str]:
        """Files and folders of the inputs, each bound read-only (VCS data, caches and links are not): the top-level
        ones, and those inside opened folders, by their relative paths."""
        return frozenset(self._layout[0])

    def owner(self, rel: str) -> Path:
        """The root a workspace-relative path lives under: the inputs' for a bound path or one inside it, else the
        written folder."""
        parts = rel.split("/")
        bound = self.bound_names
        return self.source if any("/".join(parts[:i]) in bound for i in range(1, len(parts) + 1)) else self.path

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
        """The relative paths of the mount points binds left in the folder now."""
        return frozenset(stub.relative_to(self.path).as_posix() for stub in self._stubs())

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
        for folder in sorted(self.opened_folders(), reverse=True):  # deepest first; one the run wrote into stays
            with contextlib.suppress(OSError):
                (self.path / folder).rmdir()

    def commit(self, message: str) -> str | None:
        """A folder has no history: nothing to record."""
        return None

    def remove(self) -> None:
        """Delete the folder of written files; the inputs stay."""
        shutil.rmtree(self.path, ignore_errors=True)
