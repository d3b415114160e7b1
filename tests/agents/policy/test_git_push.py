"""A `git push *` deny rule holds: through git's own aliases, config and plumbing, and through wrapper programs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from interns.agents.policy.decisions import Policy
from interns.tasks.spec import ALL_TOOLS, Guardrails

DENY_PUSH = {"deny": ["git push *"]}
RESTRICTED = {"allow": ["git *", "pytest *", "taskset *"], "deny": ["git push *"]}


def judge(workspace: Path, rules: dict[str, list[str]]) -> Policy:
    return Policy(Guardrails.model_validate({"commands": rules}), ALL_TOOLS, workspace)


GIT_ITSELF = [
    # an alias the workspace's config defines, or one given on the command line
    "git config alias.p push && git p origin",
    "git p origin",
    "git -c alias.p=push p origin",
    "git -c alias.p='!git push' p",
    "git -c Alias.P=push p",
    "git --config-env=alias.p=PUSH p",
    "PUSH=push git --config-env alias.p=PUSH p",
    "git config --file .git/config alias.p push",
    "git config -f .git/config --add alias.p push",
    "git config --global alias.p push",
    "git config set alias.p push",
    "git config --rename-section shortcuts alias",
    "git config core.editor 'git push origin'",
    "git config core.hooksPath hooks",
    "git config remote.origin.receivepack 'git push'",
    # configuration from the environment
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.p GIT_CONFIG_VALUE_0=push git p",
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.editor GIT_CONFIG_VALUE_0='git push' git commit",
    "export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.p GIT_CONFIG_VALUE_0=push; git p",
    "env GIT_CONFIG_PARAMETERS=\"'alias.p'='push'\" git p",
    "GIT_CONFIG_PARAMETERS=\"'core.pager'='git push'\" git log",
    "GIT_EDITOR='git push origin' git commit",
    "GIT_EDITOR=git git commit",
    'GIT_SEQUENCE_EDITOR="$CMD" git rebase -i HEAD~2',
    "EDITOR='bash -c \"git push\"' git commit",
    "GIT_SSH_COMMAND='git push x' git fetch origin",
    "GIT_CONFIG_GLOBAL=./evil.cfg git p",
    "GIT_CONFIG_GLOBAL=./evil.cfg git commit",
    "export $'GIT_EDITOR=git push'; git commit",
    "read GIT_EDITOR <<< 'git push'; export GIT_EDITOR; git commit",
    "printf -v GIT_PAGER 'git push'; export GIT_PAGER; git log",
    "declare -x VISUAL='git push'; git commit",
    # configuration that names a program, given on the command line
    "git -c include.path=evil.cfg status",
    "git -c include.path= -c alias.p= p",
    "git -c core.hooksPath=hooks commit -m x",
    "git -c includeIf.onbranch:main.path=evil.cfg status",
    "git -c core.sshCommand='git push origin' fetch origin",
    "git -c core.gitProxy='git push' fetch git://example.com/x",
    "git -c core.editor='git push origin' commit",
    "git -c core.pager='git push origin' log",
    "git -c remote.origin.receivepack='git push' fetch",
    "git -c url.file:///evil/.insteadOf=https://example.com/ fetch",
    "git -c credential.helper='!git push' fetch",
    "git -c diff.external='git push' diff",
    "git -c filter.x.clean='git push' add .",
    "git -c protocol.ext.allow=always fetch 'ext::git push'",
    "git -c protocol.allow=always fetch 'ext::git push'",
    "git -c $KEY=x status",
    "git --config-env=core.editor=E commit",
    "git clone -c alias.p=push src dst",
    "git clone --config core.editor='git push' src dst",
    # git's global options before push
    "git --git-dir=.git push",
    "git --git-dir .git --work-tree . push",
    "git --exec-path=/tmp push",
    "git -p push",
    "git -P --no-pager --bare --namespace=x --no-replace-objects push",
    "git --literal-pathspecs --no-optional-locks push",
    "git --unknown-option push",
    # the plumbing that pushes, and git's other names
    "git send-pack ../bare.git main",
    "git receive-pack ../bare.git",
    "git http-push https://example.com/x main",
    "git remote-ext origin 'git push'",
    "git remote-https origin https://example.com/x",
    "git subtree push --prefix=x origin main",
    "git-push origin",
    "git-send-pack ../bare.git main",
    "git-receive-pack ../bare.git",
    "/usr/lib/git-core/git-push origin",
    '"$(git --exec-path)/git-push" origin',
    "git-shell -c 'git-receive-pack x'",
    "/usr/bin/git push",
    "command git push",
    "exec git push",
    "builtin exec git push",
    "exec -a git-push git status",
    "(exec -a git-push /usr/bin/git origin)",
    "env -a git-push git status",
    # git subcommands that run a command they are given
    "git rebase -x 'git push origin' HEAD~1",
    "git rebase --exec='git push' HEAD~1",
    "git rebase -ix 'git push' HEAD~1",
    "git submodule foreach 'git push'",
    "git submodule foreach --recursive git push",
    "git bisect run git push",
    "git filter-branch --tree-filter 'git push' HEAD",
    "git difftool -x 'git push' HEAD",
    "git grep -O'git push' x",
    "git fetch --upload-pack='git push' origin",
    "git clone -u 'git push' src dst",
    "git for-each-repo --config=maintenance.repo push",
]

WRAPPERS = [
    "taskset -c 0 git push",
    "taskset 1 git push",
    "chrt -o 0 git push",
    "chrt --fifo 10 git push",
    "setpriv --reuid=1000 git push",
    "setpriv --no-new-privs git push",
    "unshare -r git push",
    "unshare --map-root-user --net git push",
    "prlimit --nofile=1024 git push",
    "prlimit -n1024 git push",
    "strace -f -o /dev/null git push",
    "strace -e trace=none git push",
    "ltrace -o x git push",
    "script -qc 'git push' /dev/null",
    "script --command 'git push'",
    "parallel git ::: push",
    "parallel ::: 'git push'",
    "nice git push",
    "ionice -c3 git push",
    "ionice -c 2 -n7 -t git push",
    "stdbuf -o0 git push",
    "setsid -f git push",
    "flock /tmp/lock git push",
    "chroot / git push",
    "nsenter -t 1 -m git push",
    "nsenter --target=1 --mount git push",
    "runuser -u me -- git push",
    "runuser -l me -c 'git push'",
    "su -c 'git push'",
    "su me -c 'git push'",
    "watch git push",
    "busybox sh -c 'git push'",
    "busybox nice git push",
    "unbuffer git push",
    "pkexec git push",
    "setarch x86_64 -R git push",
    "linux64 --addr-no-randomize git push",
    "fakeroot -- git push",
    "chronic -e git push",
    "ifne -n git push",
    "eatmydata git push",
    "proxychains -q git push",
    "xvfb-run -a git push",
    "valgrind --tool=none -q git push",
    "hyperfine 'git push'",
    "tmux new -d 'git push'",
    "sg users -c 'git push'",
    "echo 'git push' | at now",
    "bwrap --bind / / git push",
    # programs whose command the parser cannot read
    "make --eval='x:;git push' x",
    "make -E 'x:;git push' x",
    "make -f - x <<< 'x:; git push'",
    "gdb -batch -ex 'shell git push'",
    "gdb -ex '!git push' -batch",
    "gdb --eval-command='shell git push' -batch",
    "gdb -batch -x /dev/stdin <<< 'shell git push'",
    "vim -c '!git push' -c q",
    "vim '+!git push' +q",
    "vi -es -c '!git push' -c q",
    "ex -c '!git push' -c q x",
    "ed x <<< '!git push'",
    "less '+!git push' x",
    "awk 'BEGIN { system(\"git push\") }'",
    "emacs --batch --eval '(shell-command \"git push\")'",
]


@pytest.mark.parametrize("line", GIT_ITSELF + WRAPPERS)
def test_a_push_through_git_or_a_wrapper_is_refused(tmp_path: Path, line: str) -> None:
    decision = judge(tmp_path, DENY_PUSH).check_command(line)
    assert (decision.verdict, decision.rule) == ("deny", "guardrails.commands.deny[0]: git push *"), decision


LEGITIMATE = [
    "git status",
    "git -C sub log",
    "git -C sub --no-pager log -1 --oneline",
    "git commit -m push",
    "git -c user.name=w -c user.email=w@example.com commit -qm 'push it'",
    "git log --grep push",
    "git stash push -m wip",
    "git config user.name w",
    "git config --get alias.p",
    "git config --list",
    "git diff HEAD~1 -- push.py",
    "git rebase -x pytest HEAD~1",
    "git commit -m 'document the EDITOR and PAGER variables'",
    "git -c protocol.file.allow=always submodule update",
    "GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git status",
    "git -c credential.helper= -c core.hooksPath=/dev/null commit -qm x",
    'git log --grep "$EDITOR" ${PAGER}',
    "git add -A && git commit -qm x",
    "taskset -c 0 pytest",
    "taskset -c 0,1 pytest -q tests",
    "pytest -q",
]


@pytest.mark.parametrize("line", LEGITIMATE)
def test_everyday_git_and_wrapped_tests_stay_allowed(tmp_path: Path, line: str) -> None:
    decision = judge(tmp_path, RESTRICTED).check_command(line)
    assert decision.verdict == "allow", decision


@pytest.mark.parametrize(
    "line",
    [
        "GIT_EDITOR=true git rebase --continue",
        "git -c core.editor=true -c sequence.editor=true rebase -i HEAD~2",
        "GIT_SEQUENCE_EDITOR=\"sed -i 's/^pick/edit/'\" git rebase -i HEAD~2",
        "GIT_PAGER= git log",
        "PAGER=cat git log",
        "GIT_PAGER=less git log",
    ],
)
def test_an_editor_or_pager_git_is_given_is_judged_as_the_command_it_names(tmp_path: Path, line: str) -> None:
    assert judge(tmp_path, {"allow": ["*"], "deny": ["git push *"]}).check_command(line).verdict == "allow"
    decision = judge(tmp_path, {"allow": ["git *"], "deny": ["git push *"]}).check_command(line)
    assert decision.verdict == ("allow" if "GIT_PAGER= " in line else "deny"), decision


@pytest.mark.parametrize("line", ["git p origin", "git lfs pull", "git -c alias.p=status p", "git pushy"])
def test_a_git_subcommand_that_is_not_gits_own_is_not_allowed_by_a_git_rule(tmp_path: Path, line: str) -> None:
    """An alias or a program of git's may run anything, so `git *` does not cover it."""
    decision = judge(tmp_path, {"allow": ["git *"]}).check_command(line)
    assert decision.verdict == "deny"
    assert "alias" in decision.reason


def test_an_unknown_git_subcommand_runs_when_every_command_is_allowed_and_nothing_denied(tmp_path: Path) -> None:
    assert judge(tmp_path, {"allow": ["*"]}).check_command("git p origin").verdict == "allow"


def test_an_unknown_git_subcommand_is_put_to_a_person_under_an_ask_rule(tmp_path: Path) -> None:
    decision = judge(tmp_path, {"allow": ["*"], "ask": ["git push *"]}).check_command("git p origin")
    assert (decision.verdict, decision.rule) == ("ask", "guardrails.commands.ask[0]: git push *")


def test_the_reason_says_why_git_push_was_found(tmp_path: Path) -> None:
    decision = judge(tmp_path, DENY_PUSH).check_command("git send-pack ../bare.git main")
    assert "send-pack" in decision.reason and "git push *" in decision.reason
    decision = judge(tmp_path, DENY_PUSH).check_command("git -c alias.p=push p")
    assert "alias.p" in decision.reason
    decision = judge(tmp_path, DENY_PUSH).check_command("GIT_EDITOR='git push' git commit")
    assert "the editor or pager git is given: git push" in decision.reason


@pytest.mark.parametrize(
    ("line", "program"),
    [("gdb -batch -ex 'shell git push'", "gdb"), ("make --eval='x:;git push' x", "make"), ("vim -c '!x'", "vim")],
)
def test_a_refused_opaque_program_is_named_in_the_reason(tmp_path: Path, line: str, program: str) -> None:
    decision = judge(tmp_path, DENY_PUSH).check_command(line)
    assert decision.verdict == "deny"
    assert f"'{program}'" in decision.reason, decision.reason


@pytest.mark.parametrize(
    "line", ["make test", "make -j2 all", "gdb -batch ./a.out", "less README.md", "awk '{print $1}' x"]
)
def test_programs_that_can_run_commands_are_allowed_when_given_none(tmp_path: Path, line: str) -> None:
    assert judge(tmp_path, {"allow": ["*"], "deny": ["git push *"]}).check_command(line).verdict == "allow"


# ---- the attacks are real: with no policy, git and bash push for each of these ----

REALLY_PUSH = [
    "git config alias.p push && git p origin",
    "printf '[alias]\\n\\tp = push\\n' >> .git/config && git p",
    "git -c alias.p=push p origin",
    "git -c alias.p='!git push' p",
    "PUSH=push git --config-env alias.p=PUSH p",
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.p GIT_CONFIG_VALUE_0=push git p",
    "env GIT_CONFIG_PARAMETERS=\"'alias.p'='push'\" git p",
    "GIT_SSH_COMMAND='git push origin; false' git ls-remote ssh://example.invalid/x",
    "git -c core.sshCommand='git push origin; false' ls-remote ssh://example.invalid/x",
    "git -c core.editor='git push origin; true' commit --allow-empty",
    "git -c diff.external='git push origin; true' diff HEAD~1",
    "git send-pack ../remote.git main",
    '"$(git --exec-path)/git-push" origin',
    'git --exec-path="$(git --exec-path)" push origin',
    "(exec -a git-push git origin)",
    "git rebase -f -x 'git push origin HEAD:refs/heads/r' --root",
    "git bisect start HEAD HEAD~1 && git bisect run git push origin",
    "git difftool -y -x 'git push origin; true' HEAD~1",
    "git fetch --upload-pack='git push origin; false' origin",
    "taskset -c 0 git push origin",
    "prlimit --nofile=1024 git push origin",
    "setpriv --no-new-privs git push origin",
    "script -qc 'git push origin' /dev/null",
    "make --eval='x: ; git push origin' x",
    "awk 'BEGIN { system(\"git push origin\") }'",
    "gdb -batch -ex 'shell git push origin'",
    "vim -es -c '!git push origin' -c q",
    "ed -s a.txt <<< '!git push origin'",
]


def _repository(root: Path) -> Path:
    """A repository with two commits whose `origin` is a bare repository beside it, pushing the current branch."""
    subprocess.run(["git", "init", "-q", "--bare", str(root / "remote.git")], check=True)
    work = root / "work"
    setup = (
        "git init -q -b main . && git config user.name w && git config user.email w@example.com"
        " && git config push.default current && echo 1 > a.txt && git add a.txt && git commit -qm one"
        " && echo 2 > a.txt && git commit -qam two && git remote add origin ../remote.git"
    )
    work.mkdir()
    subprocess.run(["bash", "-c", setup], cwd=work, check=True, env=_env(root))
    return work


def _env(root: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": str(root), "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8"}


@pytest.mark.parametrize("line", REALLY_PUSH)
def test_each_attack_really_pushes_and_the_policy_refuses_it(tmp_path: Path, line: str) -> None:
    program = line.lstrip('("$').split()[0]
    if program in ("make", "gdb", "vim", "ed", "taskset", "prlimit", "setpriv", "script") and not shutil.which(program):
        pytest.skip(f"{program} is not installed here")
    decision = judge(tmp_path, DENY_PUSH).check_command(line)
    assert (decision.verdict, decision.rule) == ("deny", "guardrails.commands.deny[0]: git push *"), decision
    work = _repository(tmp_path)
    subprocess.run(
        ["bash", "-c", line], cwd=work, env=_env(tmp_path), stdin=subprocess.DEVNULL, capture_output=True, timeout=60
    )
    refs = subprocess.run(["git", "for-each-ref"], cwd=tmp_path / "remote.git", capture_output=True, text=True).stdout
    assert refs.strip(), f"{line!r} did not push: the attack is not real"
