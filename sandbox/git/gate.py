"""The human gate in the user's repo: accept a run (land its branch on the base branch) or reject it (delete it all).

Nothing here pushes, stashes, runs hooks or signs. The user's checkout is only touched when it has the base branch
checked out and is clean, and then only by a fast-forward to a commit already made and checked elsewhere.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import git

from interns.sandbox.git.host_git import HostGit
from interns.sandbox.git.merge import unmerged_files
from interns.sandbox.git.repo import GitRunError, is_ancestor, run_branch, run_branches, worktrees

_MERGE_OPTIONS = ["--no-verify", "--no-gpg-sign", "--no-autostash", "--no-verify-signatures"]


@dataclass(frozen=True)
class AcceptOutcome:
    """What accepting a run did: how the base branch moved, which checkout was updated, which branches went."""

    base_branch: str
    how: Literal["fast-forward", "merge", "already-there"]
    old_commit: str
    new_commit: str
    checkout: Path | None  # the checkout of the base branch whose files were updated, if any
    deleted_branches: list[str]


def _branch_commit(repo: HostGit, branch: str) -> str | None:
    try:
        return repo.out("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
    except git.GitCommandError:
        return None


def _checkout_of(repo: Path, branch: str) -> Path | None:
    """The worktree (the main checkout or a linked one) that has branch checked out, if one does."""
    return next((entry.path for entry in worktrees(repo) if entry.branch == branch and not entry.prunable), None)


def _has_uncommitted_changes(checkout: Path) -> bool:
    # GIT_OPTIONAL_LOCKS=0: looking must not refresh (write) the user's index.
    status = HostGit.of_repository(checkout).out(
        "status", "--porcelain", "--untracked-files=no", env={"GIT_OPTIONAL_LOCKS": "0"}
    )
    return bool(status.strip())


def _refuse_if_checked_out(repo: Path, run_id: str, names: list[str]) -> None:
    """Refuse before changing anything when the user has one of the run's branches checked out."""
    for entry in worktrees(repo):
        if entry.is_main and entry.branch in names:
            raise GitRunError(
                f"Run {run_id}'s branch {entry.branch} is checked out in {entry.path}; check out another branch "
                "there, then try again. Nothing was changed."
            )


def _delete_run_branches(repo: Path, names: list[str]) -> None:
    """Remove the worktrees on the run's branches (they are interns' own), then the branches."""
    main = HostGit.of_repository(repo)
    for entry in worktrees(repo):
        if not entry.is_main and not entry.prunable and entry.branch in names:
            main.remove_worktree(entry.path)
    main.run("worktree", "prune")
    if names:
        main.run("branch", "-D", *names)


def _merge_commit(main: HostGit, run_id: str, base_commit: str, base_branch: str) -> str:
    """Merge the run branch into base_commit in a scratch worktree; the merge commit, or GitRunError on conflicts."""
    branch = run_branch(run_id)
    with tempfile.TemporaryDirectory(prefix="interns-accept-") as scratch:
        dest = Path(scratch, "merge")
        tree = main.add_worktree(dest, base_commit, detach=True)
        try:
            message = f"interns: merge run {run_id}\n\nInterns-Run: {run_id}"
            try:
                tree.run("merge", "--no-ff", "--no-edit", *_MERGE_OPTIONS, "-m", message, branch, env=main.identity())
            except git.GitCommandError as exc:
                files = unmerged_files(tree)
                detail = f"conflicts in {', '.join(files)}" if files else str(exc.stderr).strip()
                raise GitRunError(
                    f"Cannot accept run {run_id}: {base_branch} has moved since the run started and merging {branch} "
                    f"into it fails ({detail}). Nothing was changed. Reject the run and run the task again on the "
                    f"new {base_branch}, or merge {branch} into {base_branch} yourself."
                ) from exc
            return tree.head()
        finally:
            main.remove_worktree(dest)


def _move_branch(main: HostGit, run_id: str, branch: str, old: str, new: str, checkout: Path | None) -> None:
    """Point branch at new (a descendant of old): through its checkout if it has one, else by updating the ref."""
    if checkout is None:
        # The old value makes the update atomic: it fails if the branch moved since we looked.
        main.run("update-ref", "-m", f"interns: accept run {run_id}", f"refs/heads/{branch}", new, old)
        return
    try:
        HostGit.of_repository(checkout).run("merge", "--ff-only", *_MERGE_OPTIONS, new)
    except git.GitCommandError as exc:
        raise GitRunError(
            f"Cannot accept run {run_id}: updating {branch} in {checkout} failed ({str(exc.stderr).strip()}). "
            "Nothing was changed; fix that and accept again."
        ) from exc


def _verify_landed(main: HostGit, run_id: str, branch: str, new: str, checkout: Path | None) -> None:
    """Check the base branch (and its checkout) now hold the accepted commit; else refuse, saying what is wrong.

    The run's branches are deleted only after this, so a refused accept can be tried again.
    """
    problem = None
    if (at := _branch_commit(main, branch)) != new:
        problem = f"{branch} is at {at or 'nothing'}, not at {new[:12]}"
    elif checkout is not None and (head := HostGit.of_repository(checkout).head()) != new:
        problem = f"{checkout} has {head[:12]} checked out, not {new[:12]}"
    elif checkout is not None and _has_uncommitted_changes(checkout):
        problem = f"{checkout} does not hold the files of {new[:12]}"
    if problem is not None:
        raise GitRunError(
            f"Accepting run {run_id} did not land: {problem}. The run's branches are kept: look, then accept again."
        )


def accept_run(repo: Path, run_id: str, base_branch: str) -> AcceptOutcome:
    """Land the run branch on base_branch (fast-forward, else a clean merge), then delete the run's branches."""
    main = HostGit.of_repository(repo)
    names = run_branches(repo, run_id)
    run_commit = _branch_commit(main, run_branch(run_id))
    if run_commit is None:
        raise GitRunError(f"Run {run_id} has no branch {run_branch(run_id)} in {repo}: was it accepted or rejected?")
    base_commit = _branch_commit(main, base_branch)
    if base_commit is None:
        raise GitRunError(
            f"Cannot accept run {run_id}: {base_branch!r} is not a branch of {repo}. "
            f"Merge {run_branch(run_id)} where you want it yourself."
        )
    _refuse_if_checked_out(repo, run_id, names)
    checkout = _checkout_of(repo, base_branch)
    if checkout is not None and _has_uncommitted_changes(checkout):
        raise GitRunError(
            f"Cannot accept run {run_id}: {base_branch} is checked out in {checkout}, which has uncommitted changes. "
            f"Commit or stash your changes in {checkout}, or check out another branch, then accept again."
        )
    how: Literal["fast-forward", "merge", "already-there"]
    if is_ancestor(main, run_commit, base_commit):
        how, new_commit = "already-there", base_commit
    elif is_ancestor(main, base_commit, run_commit):
        how, new_commit = "fast-forward", run_commit
    else:
        how, new_commit = "merge", _merge_commit(main, run_id, base_commit, base_branch)
    if new_commit != base_commit:
        _move_branch(main, run_id, base_branch, base_commit, new_commit, checkout)
        _verify_landed(main, run_id, base_branch, new_commit, checkout)
    _delete_run_branches(repo, names)
    updated = checkout if new_commit != base_commit else None
    return AcceptOutcome(base_branch, how, base_commit, new_commit, updated, names)


def reject_run(repo: Path, run_id: str) -> list[str]:
    """Delete the run's branch and step branches (and interns' worktrees on them); the names deleted."""
    names = run_branches(repo, run_id)
    _refuse_if_checked_out(repo, run_id, names)
    _delete_run_branches(repo, names)
    return names
