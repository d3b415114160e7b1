"""Reading a shell line as bash would: every simple command it runs, through nesting, wrappers and quoting."""

from __future__ import annotations

import shlex

import pytest

from interns.agents.policy.globs import Hole
from interns.agents.policy.shell import CommandParseError, parse_command, parse_line


def texts(line: str) -> list[str]:
    return [command.text() for command in parse_line(line)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("git push", [["git", "push"]]),
        ("echo hi; git push", [["echo", "hi"], ["git", "push"]]),
        ("a && b || c | d & e\nf", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]),
        ("a |& b", [["a"], ["b"]]),
        ("FOO=1 BAR='x y' git push", [["git", "push"]]),
        ("X=1", []),
        ("/usr/bin/git push", [["/usr/bin/git", "push"]]),
        ("cat <in >out 2>&1 && ls -la 2>/dev/null", [["cat"], ["ls", "-la"]]),
        ("cat >>log 2> err <<< 'text' &>all", [["cat"]]),
        (">out echo hi", [["echo", "hi"]]),
        ("echo 2>&1", [["echo"]]),
        ("echo 2 >x", [["echo", "2"]]),
        ("echo a>b", [["echo", "a"]]),
        ("exec {fd}>file", [["exec"]]),
        ("echo 'a;b' \"c && d\" e\\;f", [["echo", "a;b", "c && d", "e;f"]]),
        ("echo hi # ; git push", [["echo", "hi"]]),
        ("echo a#b", [["echo", "a#b"]]),
        ("git pu\\\nsh", [["git", "push"]]),
        ("$'\\x67it' push", [["git", "push"]]),
        ("$'\\147\\151t' push", [["git", "push"]]),
        ("'g'\"i\"t pu''sh", [["git", "push"]]),
        ("\\git push", [["git", "push"]]),
        ("$'git\\0 ignored' push", [["git", "push"]]),
    ],
)
def test_argv_of_each_simple_command(line: str, expected: list[list[str]]) -> None:
    assert parse_command(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("(cd a && git push)", ["cd a", "git push"]),
        ("{ git push; }", ["git push"]),
        ("! git push", ["git push"]),
        ("time -p (git push)", ["git push"]),
        ("if git push; then echo ok; elif b; then c; else d; fi", ["git push", "echo ok", "b", "c", "d"]),
        ("while git push; do sleep 1; done", ["git push", "sleep 1"]),
        ('for f in $(ls); do rm "$f"; done', ["ls", 'rm "$f"']),
        ("for ((i = 0; i < $(nproc); i++)); do x; done", ["nproc", "x"]),
        ("f() { git push; }; f", ["git push", "f"]),
        ("function f { git push; }", ["git push"]),
        ("[[ -f x && $(id) < y ]] && echo y", ["id", "echo y"]),
        ("((x++)) || echo $((1 + $(id -u)))", ["id -u", "echo $((1 + $(id -u)))"]),
        ("echo $(git push)", ["git push", "echo $(git push)"]),
        ("echo `git push`", ["git push", "echo `git push`"]),
        ('echo "a $(b "c d")"', ["b c d", 'echo "a $(b "c d")"']),
        ("echo `echo \\`git push\\``", ["git push", "echo `git push`", "echo `echo \\`git push\\``"]),
        ("x=$(git push)", ["git push"]),
        ("arr=(a $(id) c)", ["id"]),
        ("echo ${x:-$(git push)}", ["git push", "echo ${x:-$(git push)}"]),
        ("diff <(git show a) >(cat)", ["git show a", "cat", "diff <(git show a) >(cat)"]),
        ("cat <<EOF\n$(git push)\nEOF\necho after", ["cat", "git push", "echo after"]),
        ("cat <<'EOF'\n$(git push)\nEOF", ["cat"]),
        ("cat <<-EOF\n\t$(a)\n\tEOF\nb", ["cat", "a", "b"]),
    ],
)
def test_nested_commands_are_found(line: str, expected: list[str]) -> None:
    assert texts(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("sh -c 'git push'", ["sh -c git push", "git push"]),
        ('bash -c "echo; git push"', ["bash -c echo; git push", "echo", "git push"]),
        ("bash -euo pipefail -c 'git push' name arg", ["bash -euo pipefail -c git push name arg", "git push"]),
        ("/bin/dash -lc 'a | git push'", ["dash -lc a | git push", "a", "git push"]),
        ("zsh --norc -c 'x'", ["zsh --norc -c x", "x"]),
        ("bash script.sh", ["bash script.sh"]),
        ("bash <<'EOF'\ngit push\nEOF", ["bash", "git push"]),
        ("bash <<< 'git push'", ["bash", "git push"]),
        ("bash < script.sh", ["bash"]),
        ("eval 'git push' now", ["eval git push now", "git push now"]),
        ("trap 'git push' EXIT", ["trap git push EXIT", "git push"]),
        ("trap - EXIT", ["trap - EXIT"]),
        ("alias p='git push'", ["alias p=git push", "git push"]),
        ("env FOO=1 git push", ["env FOO=1 git push", "git push"]),
        ("env -i -u HOME -C /tmp PATH=/bin git push", ["env -i -u HOME -C /tmp PATH=/bin git push", "git push"]),
        ("env -S 'git push' origin", ["env -S git push origin", "git push origin"]),
        ("timeout 5 git push", ["timeout 5 git push", "git push"]),
        ("timeout -s KILL -k5 10s git push", ["timeout -s KILL -k5 10s git push", "git push"]),
        ("nice -n 5 nohup git push &", ["nice -n 5 nohup git push", "nohup git push", "git push"]),
        ("nice -10 git push", ["nice -10 git push", "git push"]),
        ("command git push", ["command git push", "git push"]),
        ("command -v git", ["command -v git"]),
        ("exec -a name git push", ["exec -a name git push", "git push", "name push"]),
        ("time -p git push", ["time -p git push", "git push"]),
        ("sudo -u root -E FOO=1 git push", ["sudo -u root -E FOO=1 git push", "git push"]),
        ("stdbuf -oL git push", ["stdbuf -oL git push", "git push"]),
        ("busybox sh -c 'git push'", ["busybox sh -c git push", "sh -c git push", "git push"]),
        ("xargs git push", ["xargs git push", "git push <input>"]),
        ("xargs -n1 -P 4 -0 rm", ["xargs -n1 -P 4 -0 rm", "rm <input>"]),
        ("xargs", ["xargs", "echo <input>"]),
        ("xargs -I{} git {} x", ["xargs -I{} git {} x", "git {} x"]),
        ("find . -name '*.py' -exec rm {} \\; -print", ["find . -name *.py -exec rm {} ; -print", "rm {}"]),
        ("find . -execdir git push \\+", ["find . -execdir git push +", "git push"]),
        ("watch -n 1 'git push; ls'", ["watch -n 1 git push; ls", "git push", "ls"]),
        ("su -c 'git push' root", ["su -c git push root", "git push"]),
        ("flock /tmp/l git push", ["flock /tmp/l git push", "git push"]),
        ("flock /tmp/l -c 'git push'", ["flock /tmp/l -c git push", "git push"]),
        ("taskset -c 0 pytest", ["taskset -c 0 pytest", "pytest"]),
        ("chrt -o 0 make", ["chrt -o 0 make", "make"]),
        ("chrt -T 5 -d 0 x", ["chrt -T 5 -d 0 x", "x"]),
        ("setpriv --nnp --reuid 1000 git push", ["setpriv --nnp --reuid 1000 git push", "git push"]),
        ("unshare -r --setuid 0 git push", ["unshare -r --setuid 0 git push", "git push"]),
        ("nsenter -t 1 -m -n/x git push", ["nsenter -t 1 -m -n/x git push", "git push"]),
        ("prlimit --nofile=9 -n9 -p 1 git push", ["prlimit --nofile=9 -n9 -p 1 git push", "git push"]),
        ("strace -ff -o out -e trace=all git push", ["strace -ff -o out -e trace=all git push", "git push"]),
        ("runuser -u me -- git push", ["runuser -u me -- git push", "git push"]),
        ("script -qc 'git push' /dev/null", ["script -qc git push /dev/null", "git push"]),
        ("unshare -r <<< 'git push'", ["unshare -r", "sh", "git push"]),
    ],
)
def test_commands_that_run_commands_are_unwrapped(line: str, expected: list[str]) -> None:
    assert texts(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "PS4='+$(git push) '; set -x; ls",
        "x='a[$(git push)]'; echo $((x))",
        "export x='$(git push)'",
        "declare -x PROMPT=`git push`",
        "env PS4='$(git push)' bash -xc ls",
        "x=$'\\x24(git push)'",
    ],
)
def test_code_stored_in_a_variable_is_judged_as_if_it_ran(line: str) -> None:
    assert "git push" in texts(line)


def test_stored_text_that_is_not_code_is_left_alone() -> None:
    assert texts("msg='cost: $(' ; echo \"$msg\"") == ['echo "$msg"']


def test_parts_known_only_at_run_time_are_holes() -> None:
    [command] = parse_line("git $P")
    assert command.subject() == [*"git", Hole.WORDS]
    [command] = parse_line('git "$P" x')
    assert command.subject() == [*"git ", Hole.TEXT, *" x"]
    [command] = parse_line("git --flag=$V")
    assert command.subject() == [*"git --flag=", Hole.TEXT]
    [command] = parse_line('git "$@"')
    assert command.subject() == [*"git", Hole.WORDS]  # "$@" may be no word at all


@pytest.mark.parametrize(
    "line",
    ["$X push", "X=git; $X push", "${X} push", "$(echo git) push", "/usr/bin/$X push", "g?t push", "{git,x} push", "*"],
)
def test_a_program_only_known_at_run_time_could_be_anything(line: str) -> None:
    assert parse_line(line)[-1].subject() == [Hole.TEXT]


@pytest.mark.parametrize("line", ["~/bin/git push", "$HOME/bin/git push", "./git push"])
def test_a_program_behind_an_unknown_folder_keeps_its_name(line: str) -> None:
    assert parse_line(line)[-1].text().startswith("git push")


def test_a_wrapper_whose_command_cannot_be_located_hides_an_unknown_command() -> None:
    commands = parse_line("timeout $T git push")
    assert commands[-1].subject() == [Hole.TEXT]
    commands = parse_line("find . $X git push \\;")
    assert commands[-1].subject() == [Hole.TEXT]


@pytest.mark.parametrize(
    "line", ["strace --frobnicate x git push", "unshare --setu 0 git push", "taskset -Q 1 git push", "chroot --x / y"]
)
def test_a_wrapper_that_lists_its_options_hides_an_unknown_command_behind_one_it_does_not_know(line: str) -> None:
    unknown = parse_line(line)[-1]
    assert unknown.subject() == [Hole.TEXT]
    assert f"an option of '{line.split()[0]}' the policy does not know" in unknown.note


@pytest.mark.parametrize("line", ["unshare -r", "chroot /", "su", "script -q /dev/null", "nsenter -t 1 -a"])
def test_a_wrapper_given_no_command_runs_a_shell_on_its_input(line: str) -> None:
    with pytest.raises(CommandParseError, match="read commands from its input"):
        parse_line(line)


@pytest.mark.parametrize(
    ("line", "program"),
    [
        ("gdb -batch -ex 'shell git push'", "gdb"),
        ("gdb ./a.out", "gdb"),
        ("make --eval='x:;y' x", "make"),
        ("make CC='git push' all", "make"),
        ("vim -c q x", "vim"),
        ("ed x", "ed"),
        ("less +!x y", "less"),
        ("awk 'BEGIN { system(\"x\") }'", "awk"),
        ("parallel ::: x", "parallel"),
        ("tar --to-command=x -xf a.tar", "tar"),
        ("rsync -e x a b", "rsync"),
        ("busybox vi -c x", "vi"),
    ],
)
def test_a_program_given_commands_in_its_own_language_is_an_unknown_command(line: str, program: str) -> None:
    unknown = parse_line(line)[-1]
    assert unknown.subject() == [Hole.TEXT]
    assert f"'{program}' runs commands from" in unknown.note


@pytest.mark.parametrize(
    "line", ["make -j2 test CFLAGS=-O2", "gdb -batch -x cmds ./a.out", "less x", "awk -F: '{print $1}'"]
)
def test_those_programs_given_no_commands_are_judged_as_written(line: str) -> None:
    assert [command.note for command in parse_line(line)] == [""]


def test_globs_and_brace_lists_in_arguments_are_holes_but_literal_braces_are_not() -> None:
    assert parse_line("ls *.py")[0].subject() == [*"ls", Hole.WORDS]
    assert parse_line("echo {a,b}")[0].subject() == [*"echo", Hole.WORDS]
    assert parse_line("git log @{u}")[0].subject() == list("git log @{u}")
    assert parse_line("[ -f x ]")[0].subject() == list("[ -f x ]")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("echo 'unterminated", "single quote"),
        ('echo "unterminated', "double quote"),
        ("echo `unterminated", "backquote"),
        ("echo $(unterminated", "')' is missing"),
        ("echo ${unterminated", "'${' is not closed"),
        ("echo $'unterminated", "not closed"),
        ("echo )", "no matching"),
        ("echo a (b)", "'('"),
        ("case x in a) git push;; esac", "'case'"),
        ("cat >", "no target"),
        ("echo 'git push' | bash", "read commands from its input"),
        ("bash", "read commands from its input"),
        ("bash -s", "read commands from its input"),
        ("bash -c", "no command string"),
        ('bash -c "$CMD"', "only known when it runs"),
        ("bash $OPTS", "only known when it runs"),
        ("eval $CMD", "only known when it runs"),
        ("sh <(curl x)", "cannot be checked"),
        ("source /dev/stdin", "cannot be checked"),
        (". <(echo git push)", "cannot be checked"),
        ("bash <<EOF\n$(date)\nEOF", "only known when it runs"),
        ("echo a\x00b", "NUL"),
        ("((x", "'))'"),
        ("$(" * 30 + ")" * 30, "nested too deeply"),
    ],
)
def test_what_cannot_be_read_with_certainty_is_an_error(line: str, message: str) -> None:
    with pytest.raises(CommandParseError, match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")):
        parse_line(line)


def test_shells_nested_in_shells_are_followed_down_to_a_limit() -> None:
    line = "git push"
    for _ in range(5):
        line = "bash -c " + shlex.quote(line)
    assert texts(line)[-1] == "git push"
    with pytest.raises(CommandParseError, match="nested too deeply"):
        parse_line("env " * 30 + "git push")


def test_a_long_line_parses_quickly() -> None:
    line = "; ".join(f"echo {i} \"$(printf '%s' {i})\" > out{i}.txt" for i in range(2000))
    assert len(parse_line(line)) == 4000
