"""Merging step branches: a step's worktree made from the steps it needs, the run branch, and finishing conflicts.

Branches are merged one at a time, in the order given, with `--no-ff`. A conflict stops the sequence with the merge
left in progress (conflict markers in the files) for a worker to resolve; `finish_merge` commits the resolution and
`continue_merging` merges the branches still pending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import git

from interns.sandbox.git.host_git import HostGit
from interns.sandbox.git.repo import STEP_PREFIX, GitRunError, is_ancestor, merge_in_progress, run_branch
from interns.sandbox.workspace.workspaces import GitWorktree

# Lines git writes around a conflict (`|||||||` only with merge.conflictStyle=diff3 or zdiff3).
_MARKERS = {kind: re.compile(rf"^{re.escape(kind)}(?: |$)", re.MULTILINE) for kind in ("<<<<<<<", "|||||||", ">>>>>>>")}
_MARKERS["======="] = re.compile(r"^=======$", re.MULTILINE)


@dataclass(frozen=True)
class ConflictInfo:
    """A merge that stopped on conflicts: the branch being merged and the files in conflict."""

    branch: str
    files: list[str]


@dataclass(frozen=True)
class Integration:
    """How far merging a list of branches into a worktree got."""

    worktree: GitWorktree
    merged: list[str]
    conflict: ConflictInfo | None = None
    pending: list[str] = field(default_factory=list)  # the branches after the conflicting one, not merged yet
    # For a step's worktree the base follows the merges, so the step's diff and changed lines are its own work.
    base_follows_merges: bool = False

    @property
    def done(self) -> bool:
        """Whether every branch is merged."""
        return self.conflict is None and not self.pending


def merge_message(branch: str) -> str:
    """The message of the merge commit that brings branch in: the step and run ids as trailers for a step branch."""
    if not branch.startswith(STEP_PREFIX):
        return f"interns: merge {branch}"
    run_id, step_id = branch.removeprefix(STEP_PREFIX).rsplit("/", 1)
    return f"interns: merge step {step_id}\n\nInterns-Run: {run_id}\nInterns-Step: {step_id}"


def _git_names(output: str) -> list[str]:
    return [name for name in output.split("\0") if name]


def unmerged_files(repo: HostGit) -> list[str]:
    """The paths git still marks as in conflict in the worktree's index."""
    return sorted(set(_git_names(repo.out("diff", "--name-only", "-z", "--diff-filter=U"))))


def _merge_one(repo: HostGit, tree: GitWorktree, branch: str) -> list[str]:
    """Merge branch into the worktree; the files in conflict (the merge left in progress), or [] once committed."""
    options = ["--no-ff", "--no-edit", "--no-verify", "--no-gpg-sign", "--no-autostash", "--no-verify-signatures"]
    try:
        repo.run("merge", *options, "-m", merge_message(branch), branch, env=repo.identity())
    except git.GitCommandError as exc:
        files = unmerged_files(repo)
        if not files:
            raise GitRunError(f"Could not merge {branch} into {tree.branch}: {str(exc.stderr).strip()}") from exc
        return files
    return []


def _merge_all(start: Integration, branches: list[str]) -> Integration:
    tree, merged, repo = start.worktree, list(start.merged), start.worktree.git()
    for index, branch in enumerate(branches):
        conflicted = _merge_one(repo, tree, branch)
        if conflicted:
            conflict = ConflictInfo(branch, conflicted)
            return replace(start, worktree=tree, merged=merged, conflict=conflict, pending=branches[index + 1 :])
        merged.append(branch)
        if start.base_follows_merges:
            tree = replace(tree, base_commit=repo.head())
    return replace(start, worktree=tree, merged=merged, conflict=None, pending=[])


def _new_worktree(repo: Path, dest: Path, branch: str, base: str) -> GitWorktree:
    try:
        return GitWorktree.create(repo, dest, branch=branch, base=base)
    except (git.GitCommandError, ValueError) as exc:
        detail = str(exc.stderr).strip() if isinstance(exc, git.GitCommandError) else str(exc)
        raise GitRunError(f"Could not make a worktree on {branch} from {base} at {dest}: {detail}") from exc


def create_from(repo: Path, dest: Path, branch: str, base_commit: str, merge: list[str]) -> Integration:
    """A worktree at dest on a new branch made from base_commit, with each branch in merge merged in, in order.

    The worktree's base commit moves with each merge, so its diff shows only the work done in it afterwards.
    """
    tree = _new_worktree(repo, dest, branch, base_commit)
    return _merge_all(Integration(tree, merged=[], base_follows_merges=True), list(merge))


def integrate(repo: Path, dest: Path, run_id: str, base_commit: str, step_branches: list[str]) -> Integration:
    """Make the run branch from base_commit in a worktree at dest and merge the step branches into it, in order."""
    tree = _new_worktree(repo, dest, run_branch(run_id), base_commit)
    return _merge_all(Integration(tree, merged=[]), list(step_branches))


def continue_merging(integration: Integration) -> Integration:
    """After finish_merge committed the conflicting merge, merge the branches still pending."""
    if integration.conflict is None:
        return integration
    tree, branch = integration.worktree, integration.conflict.branch
    repo = tree.git()
    if merge_in_progress(tree):
        raise GitRunError(f"The merge of {branch} in {tree.path} is not finished; resolve it and call finish_merge.")
    if not is_ancestor(repo, branch, "HEAD"):
        raise GitRunError(f"{branch} is not merged into {tree.branch}; the merge in {tree.path} was abandoned.")
    if integration.base_follows_merges:
        tree = replace(tree, base_commit=repo.head())
    resumed = replace(integration, worktree=tree, merged=[*integration.merged, branch], conflict=None, pending=[])
    return _merge_all(resumed, list(integration.pending))


def _blob(repo: HostGit, commit: str, path: str) -> bytes:
    return repo.blob(commit, path) or b""  # nothing when the file is not in that version


def _marker_counts(content: bytes) -> dict[str, int]:
    text = content.decode("utf-8", errors="replace")
    return {kind: len(pattern.findall(text)) for kind, pattern in _MARKERS.items()}


def _has_leftover_markers(repo: HostGit, path: str, versions: tuple[str, str, str]) -> bool:
    """Whether the file has more conflict-marker lines than merging its two sides can explain."""
    file = Path(repo.work_tree, path)
    if not file.is_file() or file.is_symlink():
        return False
    found = _marker_counts(file.read_bytes())
    base, ours, theirs = (_marker_counts(_blob(repo, commit, path)) for commit in versions)
    # A side may hold marker-like lines of its own (an RST heading, a test of merges): those are no leftovers.
    return any(found[kind] > max(ours[kind], theirs[kind], ours[kind] + theirs[kind] - base[kind]) for kind in found)


def leftover_conflicts(worktree: GitWorktree) -> list[str]:
    """The files of the merge in progress that still hold conflict markers."""
    repo = worktree.git()
    head, incoming = repo.head(), repo.out("rev-parse", "--verify", "MERGE_HEAD")
    base = repo.out("merge-base", head, incoming)

    def changed(since: str, until: str) -> set[str]:
        return set(_git_names(repo.out("diff", "--name-only", "-z", "--no-renames", since, until)))

    # The files git left in conflict, staged by now or not: those both sides changed since the merge base.
    candidates = set(unmerged_files(repo)) | (changed(base, head) & changed(base, incoming))
    return sorted(path for path in candidates if _has_leftover_markers(repo, path, (base, head, incoming)))


def finish_merge(worktree: GitWorktree, run_id: str, step_id: str) -> str:
    """Commit a resolved merge (every change in the worktree); refuses while conflict markers remain. The sha."""
    if not merge_in_progress(worktree):
        raise GitRunError(f"There is no merge in progress in {worktree.path} to finish.")
    leftovers = leftover_conflicts(worktree)
    if leftovers:
        raise GitRunError(
            f"The merge in {worktree.path} still has conflict markers (<<<<<<<, =======, >>>>>>>) in "
            f"{', '.join(leftovers)}; resolve them and finish the merge again."
        )
    repo = worktree.git()
    repo.stage_all(worktree.pathspec())
    unmerged = unmerged_files(repo)
    if unmerged:
        raise GitRunError(f"The merge in {worktree.path} still has unmerged paths: {', '.join(unmerged)}.")
    message = f"interns: merge step {step_id}"
    trailers = ["--trailer", f"Interns-Run: {run_id}", "--trailer", f"Interns-Step: {step_id}"]
    repo.run("commit", "--no-verify", "--no-gpg-sign", "-m", message, *trailers, env=repo.identity())
    return repo.head()
