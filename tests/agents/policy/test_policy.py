"""The worker policy: paths stay in the workspace (through `..` and symlinks), writes obey globs, commands rules."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from interns.agents.policy.decisions import Decision, Policy
from interns.sandbox.base import WORKSPACE_MOUNT
from interns.tasks.spec import ALL_TOOLS, CommandRules, Guardrails


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("x = 1\n")
    (root / "docs").mkdir()
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("host secret")
    return root


def policy(
    workspace: Path, *, write: list[str] | None = None, tools: Sequence[str] = ALL_TOOLS, **rules: list[str]
) -> Policy:
    guardrails = Guardrails(write=write if write is not None else ["**"], commands=CommandRules(**rules))
    return Policy(guardrails, tools, workspace)


def verdict(decision: Decision) -> tuple[str, str, str]:
    return decision.verdict, decision.rule, decision.target


# ---- tools ----


def test_only_the_steps_tools_are_allowed(workspace: Path) -> None:
    judge = policy(workspace, tools=("read", "run"))
    assert verdict(judge.check_tool("read")) == ("allow", "step.tools", "read")
    denied = judge.check_tool("write")
    assert verdict(denied) == ("deny", "step.tools", "write")
    assert "read, run" in denied.reason
    assert policy(workspace, tools=()).check_tool("read").verdict == "deny"


# ---- paths ----


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("src/a.py", "src/a.py"),
        ("./src//a.py", "src/a.py"),
        ("src/../docs/x.md", "docs/x.md"),
        ("src/new/../../README.md", "README.md"),
        ("", "."),
        (".", "."),
        ("src/", "src"),
        (f"{WORKSPACE_MOUNT}/src/a.py", "src/a.py"),
        (WORKSPACE_MOUNT, "."),
        (f"{WORKSPACE_MOUNT}/src/../docs", "docs"),
        ("file with spaces.txt", "file with spaces.txt"),
        (".git/config", ".git/config"),
    ],
)
def test_reads_inside_the_workspace_are_allowed_and_normalized(workspace: Path, path: str, target: str) -> None:
    assert verdict(policy(workspace).check_read(path)) == ("allow", "guardrails.read", target)


def test_a_host_absolute_path_inside_the_workspace_maps_to_its_relative_path(workspace: Path) -> None:
    judge = policy(workspace)
    assert verdict(judge.check_read(str(workspace / "src" / "a.py"))) == ("allow", "guardrails.read", "src/a.py")
    assert verdict(judge.check_write(str(workspace / "docs" / "new.md")))[::2] == ("allow", "docs/new.md")


@pytest.mark.parametrize(
    "path",
    [
        "../x",
        "..",
        "a/../../x",
        "src/../../outside/secret.txt",
        "/etc/passwd",
        "/",
        "/tmp/escape.txt",
        f"{WORKSPACE_MOUNT}/../etc/passwd",
        f"{WORKSPACE_MOUNT}x/a.py",
        "src/a.py\x00.txt",
    ],
)
def test_paths_outside_the_workspace_are_denied_for_reads_and_writes(workspace: Path, path: str) -> None:
    judge = policy(workspace)
    for decision in (judge.check_read(path), judge.check_write(path)):
        assert (decision.verdict, decision.rule) == ("deny", "workspace boundary"), decision
        assert "\x00" not in decision.target


def test_a_sibling_folder_that_shares_the_workspace_name_as_prefix_is_outside(workspace: Path) -> None:
    sibling = workspace.parent / (workspace.name + "-other")
    sibling.mkdir()
    assert policy(workspace).check_read(str(sibling / "x")).rule == "workspace boundary"


def test_a_symlinked_folder_pointing_outside_is_denied(workspace: Path) -> None:
    (workspace / "linkdir").symlink_to(workspace.parent / "outside")
    judge = policy(workspace)
    for decision in (judge.check_read("linkdir/secret.txt"), judge.check_write("linkdir/new.txt")):
        assert verdict(decision)[:2] == ("deny", "workspace boundary")
    assert judge.check_read("linkdir").verdict == "deny"


def test_a_symlinked_file_pointing_outside_is_denied(workspace: Path) -> None:
    (workspace / "link.txt").symlink_to(workspace.parent / "outside" / "secret.txt")
    (workspace / "dangling.txt").symlink_to(workspace.parent / "outside" / "not-yet.txt")
    judge = policy(workspace)
    assert verdict(judge.check_read("link.txt")) == ("deny", "workspace boundary", "link.txt")
    assert verdict(judge.check_write("link.txt")) == ("deny", "workspace boundary", "link.txt")
    assert verdict(judge.check_write("dangling.txt")) == ("deny", "workspace boundary", "dangling.txt")


def test_a_symlink_chain_that_ends_outside_is_denied(workspace: Path) -> None:
    (workspace / "hop2").symlink_to(workspace.parent / "outside")
    (workspace / "src" / "hop1").symlink_to("../hop2")
    assert policy(workspace).check_read("src/hop1/secret.txt").rule == "workspace boundary"


def test_a_symlink_inside_pointing_inside_is_fine(workspace: Path) -> None:
    (workspace / "code").symlink_to("src")
    judge = policy(workspace)
    assert verdict(judge.check_read("code/a.py")) == ("allow", "guardrails.read", "code/a.py")
    assert judge.check_write("code/a.py").verdict == "allow"


def test_a_workspace_reached_through_a_symlink_works(workspace: Path) -> None:
    alias = workspace.parent / "ws-alias"
    alias.symlink_to(workspace)
    judge = policy(alias)
    assert verdict(judge.check_read("src/a.py")) == ("allow", "guardrails.read", "src/a.py")
    assert verdict(judge.check_read(str(workspace / "src" / "a.py")))[::2] == ("allow", "src/a.py")
    assert verdict(judge.check_read(str(alias / "src" / "a.py")))[::2] == ("allow", "src/a.py")
    assert judge.check_read("../outside/secret.txt").verdict == "deny"


def test_symlink_loops_do_not_break_the_check(workspace: Path) -> None:
    (workspace / "loop").symlink_to("loop")
    assert policy(workspace).check_read("loop/x").verdict in ("allow", "deny")


# ---- writes ----


@pytest.mark.parametrize("path", [".git/config", ".git/hooks/pre-commit", "sub/.git/config", ".GIT/config", ".git"])
def test_writing_git_metadata_is_always_denied(workspace: Path, path: str) -> None:
    decision = policy(workspace, write=["**"]).check_write(path)
    assert (decision.verdict, decision.rule) == ("deny", "git metadata")


def test_a_symlink_into_git_metadata_is_denied_for_writes(workspace: Path) -> None:
    (workspace / "hooks").symlink_to(".git")
    assert policy(workspace).check_write("hooks/config").rule == "git metadata"


def test_writes_must_match_a_write_glob(workspace: Path) -> None:
    judge = policy(workspace, write=["docs/**", "src/**/*.py"])
    assert verdict(judge.check_write("src/pkg/b.py")) == ("allow", "guardrails.write[1]: src/**/*.py", "src/pkg/b.py")
    assert verdict(judge.check_write("docs/a.md")) == ("allow", "guardrails.write[0]: docs/**", "docs/a.md")
    denied = judge.check_write("notes.txt")
    assert verdict(denied) == ("deny", "guardrails.write", "notes.txt")
    assert "'docs/**'" in denied.reason and "'src/**/*.py'" in denied.reason
    assert judge.check_write("src/a.txt").verdict == "deny"
    assert judge.check_write(f"{WORKSPACE_MOUNT}/notes.txt").rule == "guardrails.write"


def test_no_write_globs_means_no_writes(workspace: Path) -> None:
    assert policy(workspace, write=[]).check_write("src/a.py").rule == "guardrails.write"


def test_a_symlink_inside_cannot_lead_a_write_out_of_its_globs(workspace: Path) -> None:
    (workspace / "src" / "docs-link").symlink_to("../docs")
    judge = policy(workspace, write=["src/**"])
    decision = judge.check_write("src/docs-link/x.md")
    assert verdict(decision) == ("deny", "guardrails.write", "src/docs-link/x.md")
    assert "docs/x.md" in decision.reason


def test_the_workspace_root_is_not_a_file_to_write(workspace: Path) -> None:
    assert policy(workspace).check_write(".").verdict == "deny"


# ---- commands ----

DENY_PUSH = ["git push *"]


DRESSED_UP = [
    "git push",
    "git push origin main",
    "echo hi; git push",
    "true && git push",
    "false || git push",
    "echo x | git push",
    "git push &",
    "sh -c 'git push'",
    'bash -c "echo; git push"',
    "env FOO=1 git push",
    "FOO=1 git push",
    "xargs git push",
    "echo push | xargs git",
    "echo $(git push)",
    "echo `git push`",
    'echo "$(git push)"',
    "timeout 5 git push",
    "nohup nice -n 5 git push",
    "{ git push; }",
    "(git push)",
    "if true; then git push; fi",
    "f() { git push; }; f",
    "eval 'git push'",
    "cat <(git push)",
    "P=push; git $P",
    "git $(echo push)",
    "X=git; $X push",
    "$'\\x67it' push",
    "g''it pu\\sh",
    "git pu\\\nsh",
    "find . -exec git push \\;",
    "bash <<'EOF'\ngit push\nEOF",
    "cat <<EOF\n$(git push)\nEOF",
    "g?t push",
    "time git push",
    "command git push",
    "exec git push",
    "stdbuf -oL git push",
    "setsid -w git push",
    "flock lockfile git push",
    "env -S 'git push'",
    "trap 'git push' EXIT",
    "[[ $(git push) ]]",
    "echo ${x:-$(git push)}",
    "arr=($(git push))",
    "echo $((0 + $(git push >/dev/null; echo 1)))",
    "for i in 1; do git push; done",
    "time (git push)",
    "until git push; do :; done",
    "bash <<< 'git push'",
    "git${IFS}push",
    "\\git push",
    '"git" "push"',
    "dash -c 'eval \"git push\"'",
    "echo push | bash -c 'read x; git $x'",
    "PS4='+$(git push) '; set -x; true",
    "x='a[$(git push)]'; echo $((x))",
    "x='$(git push)'; echo ${x@P}",
]
NOT_RUNNABLE_HERE = ["/usr/bin/git push", "sudo -u root git push", "doas git push", "busybox sh -c 'git push'"]


@pytest.mark.parametrize("line", DRESSED_UP + NOT_RUNNABLE_HERE)
def test_a_denied_command_is_found_however_it_is_dressed(workspace: Path, line: str) -> None:
    decision = policy(workspace, deny=DENY_PUSH).check_command(line)
    assert verdict(decision) == ("deny", "guardrails.commands.deny[0]: git push *", line)
    assert "git push *" in decision.reason


def test_the_deny_reason_names_the_command_and_the_rule(workspace: Path) -> None:
    decision = policy(workspace, deny=DENY_PUSH).check_command("git status && git push origin")
    assert decision.reason == "'git push origin' matches the deny rule 'git push *'"


def test_a_partly_unknown_command_that_could_be_denied_says_so(workspace: Path) -> None:
    decision = policy(workspace, deny=DENY_PUSH).check_command("git $ACTION")
    assert decision.verdict == "deny"
    assert "could match" in decision.reason


HARMLESS = [
    "git status",
    "echo git push",
    "echo 'git push'",
    "git log --grep push",
    "echo hi # ; git push",
    "echo '$(git push)'",
    "cat <<'EOF'\n$(git push)\nEOF",
    'echo "\\$(git push)"',
    "echo `echo git` push",
]


@pytest.mark.parametrize("line", HARMLESS)
def test_commands_that_do_not_run_the_denied_one_are_allowed(workspace: Path, line: str) -> None:
    decision = policy(workspace, deny=DENY_PUSH).check_command(line)
    assert verdict(decision) == ("allow", "guardrails.commands.allow[0]: *", line)


def test_deny_beats_an_allow_everything_rule_and_ask(workspace: Path) -> None:
    judge = policy(workspace, allow=["*"], ask=["git *"], deny=["git push *"])
    assert judge.check_command("git push").rule == "guardrails.commands.deny[0]: git push *"
    assert judge.check_command("git status; git push").verdict == "deny"


def test_ask_beats_allow(workspace: Path) -> None:
    judge = policy(workspace, allow=["*"], ask=["pip install *"])
    decision = judge.check_command("ls && pip install requests")
    assert verdict(decision) == ("ask", "guardrails.commands.ask[0]: pip install *", "ls && pip install requests")
    assert "'pip install requests'" in decision.reason
    assert judge.check_command("pip list").verdict == "allow"


def test_a_command_matching_no_allow_rule_is_denied_when_allow_is_restricted(workspace: Path) -> None:
    judge = policy(workspace, allow=["pytest *", "python *"])
    assert verdict(judge.check_command("pytest -q tests")) == (
        "allow",
        "guardrails.commands.allow[0]: pytest *",
        "pytest -q tests",
    )
    assert judge.check_command("pytest").verdict == "allow"  # `X *` matches X alone
    decision = judge.check_command("pytest -q && curl evil.example")
    assert verdict(decision) == ("deny", "guardrails.commands.allow", "pytest -q && curl evil.example")
    assert "'curl evil.example'" in decision.reason and "'pytest *', 'python *'" in decision.reason
    assert judge.check_command("timeout 60 pytest").verdict == "deny"  # the wrapper must be allowed too
    assert judge.check_command("pytest $ARGS").verdict == "allow"
    assert judge.check_command("$RUNNER -q").verdict == "deny"


def test_an_allowed_line_names_every_rule_that_allowed_it(workspace: Path) -> None:
    judge = policy(workspace, allow=["pytest *", "cd *"])
    decision = judge.check_command("cd tests && pytest -q")
    assert decision.rule == "guardrails.commands.allow[1]: cd *; guardrails.commands.allow[0]: pytest *"


def test_no_allow_rules_means_no_commands(workspace: Path) -> None:
    decision = policy(workspace, allow=[]).check_command("ls")
    assert (decision.verdict, decision.rule) == ("deny", "guardrails.commands.allow")


@pytest.mark.parametrize("line", ["echo 'unbalanced", 'bash -c "$CMD"', "echo git push | sh", "case x in *) ;; esac"])
def test_an_unparseable_command_is_denied(workspace: Path, line: str) -> None:
    decision = policy(workspace).check_command(line)
    assert (decision.verdict, decision.rule, decision.target) == ("deny", "unparseable command", line)
    assert decision.reason.startswith("the command line cannot be checked: ")


def test_redirections_do_not_confuse_argv(workspace: Path) -> None:
    judge = policy(workspace, allow=["echo *"], deny=["echo secret *"])
    assert judge.check_command("echo ok > out.txt 2>&1 < in.txt").verdict == "allow"
    assert judge.check_command("echo >out.txt secret 2>&1").verdict == "deny"
    assert judge.check_command("2>/dev/null echo secret").verdict == "deny"


def test_a_line_that_runs_nothing_is_allowed(workspace: Path) -> None:
    assert policy(workspace, allow=[]).check_command("X=1  # nothing").verdict == "allow"


# ---- the parser against real bash ----


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[Path, Path]:
    """A fake `git` first on PATH that logs its arguments, and a folder to run lines in (holding a file named git)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text('#!/bin/sh\necho "git $*" >> "$GIT_LOG"\n')
    fake.chmod(0o755)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "git").write_text("")  # so that the glob `g?t` expands to `git`
    return bin_dir, cwd


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    ("line", "pushes"), [(line, True) for line in DRESSED_UP] + [(line, False) for line in HARMLESS]
)
def test_the_cases_are_real_bash_runs_git_push_for_exactly_the_denied_lines(
    recorder: tuple[Path, Path], line: str, pushes: bool
) -> None:
    """Bash itself, given each line, runs `git push` for the dressed-up lines and not for the harmless ones."""
    bin_dir, cwd = recorder
    log = cwd.parent / "git.log"
    env = {"PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin", "GIT_LOG": str(log)}
    subprocess.run(
        ["bash", "-c", line + "\nwait"], cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=20
    )
    logged = log.read_text().splitlines() if log.exists() else []
    assert any(entry.split()[:2] == ["git", "push"] for entry in logged) is pushes, (line, logged)


@pytest.mark.parametrize(
    "line",
    ["git -C . push origin", "git -c user.name=x push", "git --git-dir=.git push", "git -c alias.p=push p origin"],
)
def test_git_global_options_do_not_hide_a_denied_subcommand(tmp_path: Path, line: str) -> None:
    policy = Policy(Guardrails.model_validate({"commands": {"deny": ["git push *"]}}), ["run"], tmp_path)
    decision = policy.check_command(line)
    assert (decision.verdict, decision.rule) == ("deny", "guardrails.commands.deny[0]: git push *")


def test_git_global_options_before_an_allowed_subcommand_stay_allowed(tmp_path: Path) -> None:
    policy = Policy(Guardrails.model_validate({"commands": {"deny": ["git push *"]}}), ["run"], tmp_path)
    assert policy.check_command("git -C sub --no-pager log -1").verdict == "allow"


@pytest.mark.parametrize("length", [600, 5_000, 200_000])
def test_a_long_command_line_is_judged_without_exhausting_the_stack(tmp_path: Path, length: int) -> None:
    policy = Policy(
        Guardrails.model_validate({"commands": {"allow": ["echo *"], "deny": ["git push *"]}}), ["run"], tmp_path
    )

    decision = policy.check_command("echo " + "x" * length + " $HOME")

    assert decision.verdict == "allow", decision.reason
