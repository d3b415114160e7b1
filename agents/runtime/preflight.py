"""Checks made before a run starts, so that a missing folder or sandbox fails before any model call."""

from __future__ import annotations

import os
from pathlib import Path

from interns.errors import TaskError
from interns.sandbox import SandboxUnavailable, check_backend
from interns.tasks import FolderWorkspace, Problem, TaskSpec, line_of

__all__ = ["PreflightError", "check_workspace", "preflight"]


class PreflightError(TaskError):
    """The run cannot start; the message says why and what to do, and `field` which field of the task file is at
    fault, when one is."""

    def __init__(self, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.field = field

    def located(self, task_file: Path) -> str:
        """The message as a task-file problem: the file, the field's line, the field."""
        if not self.field:
            return f"{task_file}: {self}"
        return str(Problem(task_file, line_of(task_file, self.field), ".".join(self.field), str(self)))


def check_workspace(spec: TaskSpec) -> list[str]:
    """Check that the workspace exists and its base resolves; return warnings, such as a dirty checkout."""
    warnings = []
    ws = spec.workspace
    if isinstance(ws, FolderWorkspace):
        if not ws.folder.is_dir():
            raise PreflightError(f"{ws.folder} is not a folder", ("workspace", "folder"))
    else:
        import git  # only a repository run needs it

        if not ws.repo.exists():
            raise PreflightError(f"{ws.repo} does not exist", ("workspace", "repo"))
        try:
            repo = git.Repo(ws.repo)
        except (git.NoSuchPathError, git.InvalidGitRepositoryError):
            raise PreflightError(f"{ws.repo} is not a git repository", ("workspace", "repo")) from None
        try:
            repo.git.rev_parse("--verify", f"{ws.base}^{{commit}}")
        except git.GitCommandError:
            raise PreflightError(
                f"{ws.base!r} is not a commit, branch or tag of {ws.repo}", ("workspace", "base")
            ) from None
        if repo.is_dirty(untracked_files=True):
            warnings.append(
                f"{ws.repo} has uncommitted changes; work starts from the committed {ws.base} and leaves them alone"
            )
    return warnings


def preflight(spec: TaskSpec, *, backend: bool = True) -> list[str]:
    """Check the workspace and the sandbox backend; return warnings the person should see before work starts.

    `backend` False leaves the backend to be checked where the runs run (a cluster node checks its own)."""
    warnings = check_workspace(spec)
    try:
        if backend:
            check_backend(spec.guardrails.sandbox, image=spec.guardrails.image)
    except SandboxUnavailable as exc:
        raise PreflightError(str(exc)) from None
    for rule in spec.guardrails.credentials:
        if not os.environ.get(rule.env):
            message = f"{rule.env} is not set in this environment: the proxy has no value to add for {rule.host}"
            raise PreflightError(message, ("guardrails", "credentials"))
    if spec.guardrails.sandbox == "local":
        warnings.append("guardrails.sandbox is 'local': commands run on this machine with no isolation")
    return warnings
