"""Attacks on a `git push *` deny rule: an alias in the workspace's git config, git config from the environment,
git's pushing plumbing, and wrapper programs. A bare repository in the workspace is the remote: a ref in it is a
push that happened; no network is needed to see the policy refuse."""

from __future__ import annotations

from tests.security.attack import Attack, Seen, Turns, sh
from tests.security.conftest import Host

NO_PUSH = {"commands": {"allow": ["*"], "deny": ["git push *"]}}
SETUP = (
    "git init -q --bare remote.git && git init -q && git add a.txt"
    " && git -c user.name=w -c user.email=w@example.com commit -qm w"
)
AS_W = "-c user.name=w -c user.email=w@example.com"


def _pushed(host: Host, seen: Seen) -> bool:
    """A ref reached the workspace's bare "remote"."""
    remote = seen.workspace / "remote.git"
    refs = remote / "refs" / "heads"
    return (refs.is_dir() and any(refs.iterdir())) or (remote / "packed-refs").exists()


def _case(name: str, allowed: list[str], pushes: list[str]) -> Attack:
    """Set up the repositories, run the allowed lines, then try each push: every push must be refused."""

    def turns(host: Host, backend: str) -> Turns:
        return [sh(SETUP), *(sh(line) for line in allowed), *(sh(line) for line in pushes)]

    def recorded(seen: Seen) -> bool:
        runs = seen.commands()
        ran = len(runs) == 1 + len(allowed) and all(run.exit_code == 0 for run in runs)
        return ran and len([d for d in seen.denials() if d.tool == "run"]) == len(pushes)

    return Attack(name, turns, _pushed, guardrails=NO_PUSH, files={"a.txt": "a"}, recorded=recorded)


GITPUSH_ATTACKS = [
    _case(
        "git push through an alias in the workspace's git config",
        ["printf '[alias]\\n\\tp = push\\n' >> .git/config"],
        [
            "git p remote.git HEAD:refs/heads/alias",
            "git config alias.q push && git q remote.git HEAD:refs/heads/config",
            "git -c alias.r='!git push remote.git HEAD:refs/heads/bang' r",
        ],
    ),
    _case(
        "git push through git config from the environment",
        [],
        [
            "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.p GIT_CONFIG_VALUE_0=push"
            " git p remote.git HEAD:refs/heads/count",
            "GIT_CONFIG_PARAMETERS=\"'alias.p'='push'\" git p remote.git HEAD:refs/heads/parameters",
            "P=push git --config-env=alias.p=P p remote.git HEAD:refs/heads/configenv",
            "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.editor"
            " GIT_CONFIG_VALUE_0='git push remote.git HEAD:refs/heads/editor; true'"
            f" git {AS_W} commit --allow-empty",
        ],
    ),
    _case(
        "git push through git's plumbing and other names",
        [],
        [
            "git send-pack remote.git HEAD:refs/heads/sendpack",
            '"$(git --exec-path)/git-push" remote.git HEAD:refs/heads/dashed',
            'git --exec-path="$(git --exec-path)" push remote.git HEAD:refs/heads/execpath',
            "git rebase -f -x 'git push remote.git HEAD:refs/heads/rebase' --root",
            "(exec -a git-push git remote.git HEAD:refs/heads/argv0)",
        ],
    ),
    _case(
        "git push behind wrappers the parser did not know",
        [],
        [
            "taskset -c 0 git push remote.git HEAD:refs/heads/taskset",
            "prlimit --nofile=1024 git push remote.git HEAD:refs/heads/prlimit",
            "setpriv --no-new-privs git push remote.git HEAD:refs/heads/setpriv",
            "script -qc 'git push remote.git HEAD:refs/heads/script' /dev/null",
            "make --eval='x: ; git push remote.git HEAD:refs/heads/make' x",
            "awk 'BEGIN { system(\"git push remote.git HEAD:refs/heads/awk\") }'",
        ],
    ),
]
