"""Where a run's steps work: one copy of a folder, or a git worktree per step merged into the run's branch."""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import git

from interns.sandbox import FolderCopy, GitWorktree, InputView, Workspace
from interns.sandbox.git.host_git import HostGit
from interns.sandbox.git.merge import Integration, continue_merging, create_from, finish_merge, integrate
from interns.sandbox.git.repo import commit_step, copy_untracked, merge_in_progress, run_branch, step_branch
from interns.sandbox.git.resume import clear_worktrees, drop_branch, reopen_step
from interns.sandbox.workspace.changes import list_changes, run_baseline
from interns.sandbox.workspace.snapshot import Snapshot
from interns.sandbox.workspace.tree_diff import render_diff
from interns.tasks import FolderWorkspace, TaskSpec

__all__ = ["START_SNAPSHOT", "FolderSpace", "RepoSpace", "RunSpace", "open_space", "views_inputs"]

START_SNAPSHOT = "baselines/start.json"
"""Where a folder run keeps the snapshot of its worked copy as made, before setup or any step."""

VIEWING_BACKENDS = frozenset({"bubblewrap", "docker"})
"""Backends that can show the inputs read-only over an empty workspace; `local` works on a copy."""


def views_inputs(spec: TaskSpec) -> bool:
    """Whether the run's folder is shown read-only under a workspace that holds only what the run writes.

    For a folder task with `outputs` on an isolating backend: a large folder is then never copied.
    """
    ws = spec.workspace
    return isinstance(ws, FolderWorkspace) and ws.outputs is not None and spec.guardrails.sandbox in VIEWING_BACKENDS


def output_folders(spec: TaskSpec) -> frozenset[str]:
    """The folders a run's outputs go into, as far as the task names them: each step's `output` and each
    `workspace.outputs` glob, up to its first wildcard (`raw` for `raw/draft_*.md`; nothing for `**/draft.md`)."""
    ws = spec.workspace
    patterns = [step.output for step in spec.steps if step.output is not None]
    if isinstance(ws, FolderWorkspace) and ws.outputs is not None:
        patterns += ws.outputs.files
    folders = set()
    for pattern in patterns:
        literal = []
        for part in pattern.split("/")[:-1]:
            if any(char in part for char in "*?["):
                break
            literal.append(part)
        if literal:
            folders.add("/".join(literal))
    return frozenset(folders)


class RunSpace(Protocol):
    """The workspaces of one run."""

    def setup_workspace(self) -> Workspace:
        """Where `workspace.setup` commands run; what they make is given to every step."""
        ...

    def open_step(self, step_id: str, needs: list[str], *, paused: bool = False) -> tuple[Workspace, list[str]]:
        """A workspace for the step, holding the work of the steps it needs; and the files whose merge conflicted.

        With `paused`, the workspace the step had when it paused for approval, its work in it.
        """
        ...

    def resume_step(self, step_id: str, label: str) -> tuple[Workspace, list[str]]:
        """After a worker resolved the conflicts: finish that merge, go on merging; the files of the next conflict."""
        ...

    def close_step(self, step_id: str, workspace: Workspace, message: str) -> None:
        """Keep the step's work (a commit on its branch) and release its workspace."""
        ...

    def final_diff(self) -> str:
        """Everything the run changed, against where it started."""
        ...

    def close(self) -> None:
        """Release every workspace still held; committed work stays."""
        ...

    @property
    def output(self) -> str:
        """Where a person finds the result."""
        ...


@dataclass
class FolderSpace:
    """One copy of the folder (or one folder over the read-only inputs), shared by the run's steps in turn."""

    copy: FolderCopy | InputView
    _open: set[str] = field(default_factory=set)

    def setup_workspace(self) -> Workspace:
        """The copy itself."""
        return self.copy

    def open_step(self, step_id: str, needs: list[str], *, paused: bool = False) -> tuple[Workspace, list[str]]:
        """The shared copy; steps see each other's work as it is written."""
        self._open.add(step_id)
        return self.copy, []

    def resume_step(self, step_id: str, label: str) -> tuple[Workspace, list[str]]:
        """A folder has no merges to resume."""
        return self.copy, []

    def close_step(self, step_id: str, workspace: Workspace, message: str) -> None:
        """The copy keeps the work; once no step is open, the mount points its sandboxes left go."""
        self._open.discard(step_id)
        if isinstance(self.copy, InputView) and not self._open:
            # Not while another step works: unlinking a mount point detaches that mount in its sandbox too.
            self.copy.remove_stubs()

    def final_diff(self) -> str:
        """The copy against the original folder."""
        return self.copy.diff()

    def close(self) -> None:
        """The copy stays: it is the run's result; only the mount points sandboxes left go."""
        if isinstance(self.copy, InputView):
            self.copy.remove_stubs()

    @property
    def output(self) -> str:
        """The worked copy's folder."""
        return str(self.copy.path)


@dataclass
class RepoSpace:
    """A worktree per step on `interns/steps/<run>/<step>`, merged into `interns/<run>` once every step is done."""

    repo: Path
    run_id: str
    base_commit: str
    root: Path
    _setup: GitWorktree | None = None
    _setup_made: tuple[str, ...] = ()
    _steps: dict[str, Integration] = field(default_factory=dict)
    _closed: list[str] = field(default_factory=list)
    integration: Integration | None = None

    def setup_workspace(self) -> Workspace:
        """A detached worktree at the base commit, made on first use."""
        if self._setup is None:
            dest = self.root / "setup"
            HostGit.of_repository(self.repo).add_worktree(dest, self.base_commit, detach=True)
            self._setup = GitWorktree(repo=self.repo, path=dest, branch="", base_commit=self.base_commit)
        return self._setup

    def _with_setup(self, merged: Integration) -> Integration:
        """Give a worktree what setup made, kept out of its diffs and commits."""
        if self._setup is None:
            return merged
        made = tuple(copy_untracked(self._setup, merged.worktree.path))
        return replace(merged, worktree=replace(merged.worktree, exclude=(*merged.worktree.exclude, *made)))

    def open_step(self, step_id: str, needs: list[str], *, paused: bool = False) -> tuple[Workspace, list[str]]:
        """A worktree on the step's branch, made from the base and the branches of the steps it needs.

        With `paused`, the step's branch as its pause left it; otherwise a branch a stopped run left is made anew.
        """
        branches = [step_branch(self.run_id, n) for n in needs]
        dest, branch = self.root / step_id, step_branch(self.run_id, step_id)
        if paused:
            merged = self._with_setup(Integration(reopen_step(self.repo, dest, branch, step_id), merged=branches))
            self._steps[step_id] = merged
            return merged.worktree, []
        drop_branch(self.repo, branch)
        merged = self._with_setup(create_from(self.repo, dest, branch, self.base_commit, branches))
        self._steps[step_id] = merged
        return merged.worktree, merged.conflict.files if merged.conflict else []

    def resume_step(self, step_id: str, label: str) -> tuple[Workspace, list[str]]:
        """Commit the resolved merge in the step's worktree and merge the branches still pending."""
        merged = self._steps[step_id]
        finish_merge(merged.worktree, self.run_id, label)
        merged = self._steps[step_id] = continue_merging(merged)
        return merged.worktree, merged.conflict.files if merged.conflict else []

    def close_step(self, step_id: str, workspace: Workspace, message: str) -> None:
        """Commit the step's work with the run and step in the trailer, then remove its worktree."""
        worktree = self._steps.pop(step_id).worktree
        self._closed.append(step_id)
        try:
            if merge_in_progress(worktree):  # a merge of its needs that no one resolved: keep no half-merge
                worktree.git().run("merge", "--abort")
            commit_step(worktree, self.run_id, step_id, message)
        finally:
            worktree.remove()

    def integrate(self, order: list[str]) -> Integration:
        """Merge the steps' branches, in order, into the run branch; stops at the first conflict."""
        branches = [step_branch(self.run_id, s) for s in order]
        drop_branch(self.repo, run_branch(self.run_id))  # an integration a stopped run began is done again
        self.integration = integrate(self.repo, self.root / "run", self.run_id, self.base_commit, branches)
        self.integration = self._with_setup(self.integration)
        return self.integration

    def resume_integration(self, label: str) -> Integration:
        """Commit the merge a worker resolved on the run branch, and merge the step branches still pending."""
        assert self.integration is not None
        finish_merge(self.integration.worktree, self.run_id, label)
        self.integration = continue_merging(self.integration)
        return self.integration

    def final_diff(self) -> str:
        """The run branch against the base, from its files (no `.gitattributes` hides a change); "" if none merged."""
        if self.integration is None:
            return ""
        worktree = self.integration.worktree
        base = run_baseline(worktree)
        return render_diff(list_changes(base, worktree), base, worktree.path)

    def close(self) -> None:
        """Commit what integration holds, remove every worktree; the branches stay until the run is reviewed."""
        held = [m.worktree for m in self._steps.values()]
        held += [self._setup] if self._setup is not None else []
        held += [self.integration.worktree] if self.integration is not None else []
        for worktree in held:
            with contextlib.suppress(git.GitCommandError, ValueError):  # already gone: prune below forgets it
                worktree.remove()
        self._steps.clear()
        shutil.rmtree(self.root, ignore_errors=True)
        HostGit.of_repository(self.repo).run("worktree", "prune")

    @property
    def output(self) -> str:
        """The run's branch once steps were merged; else the steps' own branches; else nothing."""
        if self.integration is not None:
            return f"branch {run_branch(self.run_id)}"
        if self._closed:
            return "branches " + ", ".join(step_branch(self.run_id, s) for s in self._closed)
        return ""


def open_space(spec: TaskSpec, run_id: str, run_dir: Path) -> FolderSpace | RepoSpace:
    """The workspaces for a run of `spec`, under its run directory."""
    ws = spec.workspace
    if isinstance(ws, FolderWorkspace):
        dest = run_dir / "workspace"
        if views_inputs(spec):
            return FolderSpace(InputView.create(ws.folder, dest, output_folders(spec)))
        copy = FolderCopy.create(ws.folder, dest)
        # What the run starts from, as it was copied: an accept lands a change only where the folder still holds it.
        Snapshot.of_folder(copy.path).save(run_dir / START_SNAPSHOT)
        return FolderSpace(copy)
    base = HostGit.of_repository(ws.repo).out("rev-parse", "--verify", f"{ws.base}^{{commit}}")
    return RepoSpace(repo=ws.repo, run_id=run_id, base_commit=base, root=run_dir / "worktrees")


def reopen_space(spec: TaskSpec, run_id: str, run_dir: Path, base_commit: str | None) -> FolderSpace | RepoSpace:
    """The workspaces of a run that stopped, to go on with: the folder's worked copy, or the run's branches.

    Worktrees a killed run left are removed; the branches of finished and paused steps stay.
    """
    ws = spec.workspace
    if isinstance(ws, FolderWorkspace):
        copy = run_dir / "workspace"
        if not copy.is_dir():
            raise FileNotFoundError(f"the run's worked copy {copy} is gone; it cannot be resumed")
        if views_inputs(spec):
            return FolderSpace(InputView(ws.folder.resolve(), copy.resolve(), output_folders(spec)))
        return FolderSpace(FolderCopy(source=ws.folder.resolve(), path=copy.resolve()))
    if base_commit is None:
        raise ValueError(f"run {run_id} did not journal the commit it started from; it cannot be resumed")
    root = run_dir / "worktrees"
    clear_worktrees(ws.repo, root)
    return RepoSpace(repo=ws.repo, run_id=run_id, base_commit=base_commit, root=root)
