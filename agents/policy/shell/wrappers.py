"""Commands that run another command from their arguments: `env`, `timeout`, `xargs`, `sudo`, `find -exec`..."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from interns.agents.policy.shell.model import CommandParseError, Expansion, Word, literal_word, unknown_command
from interns.agents.policy.shell.parser import Parser, Redirect
from interns.agents.policy.shell.scanner import METACHARS
from interns.agents.policy.shell.shells import declare, run_string

if TYPE_CHECKING:
    from interns.agents.policy.shell.walk import Handler, Walk


@dataclass(frozen=True)
class _Options:
    """How a wrapper reads its arguments before the command it runs."""

    values: str = ""
    """Short options that take a value, attached (`-n5`) or as the next word."""
    long_values: frozenset[str] = frozenset()
    """Long options that take the next word as their value unless written `--name=value`."""
    optional: str = ""
    """Short options whose value, when there is one, is attached (`xargs -i{}`)."""
    operands: int = 0
    """Words between the options and the command (`timeout`'s duration, `chroot`'s folder)."""
    assignments: bool = False
    """Whether `NAME=value` words may come before the command (`env`, `sudo`)."""
    no_command: str = ""
    """Short flags with which the rest is not run (`command -v`)."""
    flags: str | None = None
    """Short options without a value. When given, every option is listed: one not listed (an abbreviation, a newer
    option that may take a value) hides where the command starts, so the command is unknown."""
    long_flags: frozenset[str] = frozenset()
    """Long options that take no separate value (with `flags`)."""
    shell_when_empty: bool = False
    """Whether, given no command, it runs a shell that reads its commands from its input (`unshare`, `chroot`)."""
    leading: int = 0
    """Words before the options (`setarch`'s architecture)."""


def _strict(
    flags: str,
    values: str = "",
    long_flags: str = "",
    long_values: str = "",
    *,
    optional: str = "",
    operands: int = 0,
    leading: int = 0,
    shell_when_empty: bool = False,
) -> _Options:
    """Options of a wrapper that lists every option it has (the names of long ones separated by spaces)."""
    return _Options(
        values,
        frozenset(long_values.split()),
        optional=optional,
        operands=operands,
        flags=flags,
        long_flags=frozenset(long_flags.split()),
        shell_when_empty=shell_when_empty,
        leading=leading,
    )


_WRAPPERS: dict[str, _Options] = {
    "env": _Options("uCSa", frozenset({"unset", "chdir", "split-string", "argv0"}), assignments=True),
    "timeout": _Options("sk", frozenset({"signal", "kill-after"}), operands=1),
    "nice": _Options("n", frozenset({"adjustment"})),
    "nohup": _Options(),
    "command": _Options(no_command="vV"),
    "builtin": _Options(),
    "exec": _Options("a"),
    "time": _Options("fo", frozenset({"format", "output"})),
    "xargs": _Options(
        "aEdILnPs",
        frozenset({"arg-file", "delimiter", "max-args", "max-procs", "max-chars", "process-slot-var"}),
        optional="eil",
    ),
    "sudo": _Options(
        "ugCDprtTU",
        frozenset({"user", "group", "close-from", "chdir", "prompt", "role", "type", "command-timeout", "host"}),
        assignments=True,
    ),
    "doas": _Options("uC"),
    "stdbuf": _Options("ioe", frozenset({"input", "output", "error"})),
    "setsid": _Options(),
    "ionice": _strict("thV", "cnpPu", "ignore help version", "class classdata pid pgid uid"),
    "unbuffer": _Options(),
    "chroot": _strict("", "", "skip-chdir help version", "userspec groups", operands=1, shell_when_empty=True),
    "busybox": _Options(),
    "flock": _Options("wE", frozenset({"timeout", "conflict-exit-code"}), operands=1),
    "watch": _Options("nq", frozenset({"interval", "equexit"})),
    "taskset": _strict("apchV", "", "all-tasks pid cpu-list help version", operands=1),
    "chrt": _strict(
        "bdfioRrampvhV",
        "TPD",
        "batch deadline fifo idle other rr reset-on-fork all-tasks max pid verbose help version",
        "sched-runtime sched-period sched-deadline",
        operands=1,
    ),
    "setpriv": _strict(
        "dhV",
        "",
        "nnp no-new-privs clear-groups keep-groups init-groups reset-env dump list-caps help version",
        "ruid euid rgid egid reuid regid groups inh-caps ambient-caps bounding-set securebits pdeathsig "
        "selinux-label apparmor-profile landlock-access landlock-rule seccomp-filter",
    ),
    "unshare": _strict(
        "muinpUCTfrchV",
        "RwSG",
        "mount uts ipc net pid user cgroup time fork map-root-user map-current-user map-auto kill-child mount-proc "
        "keep-caps help version",
        "map-user map-group map-users map-groups propagation setgroups root wd setuid setgid monotonic boottime",
        shell_when_empty=True,
    ),
    "nsenter": _strict(
        "aFZhV",
        "tSGW",
        "all mount uts ipc net pid cgroup user time preserve-credentials root wd no-fork follow-context help version",
        "target setuid setgid wdns",
        optional="muinpCUTrw",
        shell_when_empty=True,
    ),
    "prlimit": _strict(
        "hV",
        "po",
        "noheadings raw verbose help version core data nice fsize sigpending memlock rss nofile msgqueue rtprio "
        "stack cpu nproc as locks rttime",
        "pid output",
        optional="cdefilmnqrstuvxy",
    ),
    "strace": _strict(
        "AcCdDfFhiknqrtTvVwxyYzZ",
        "abeEIoOpPsSuUX",
        "follow-forks output-separately summary-only summary summary-wall-clock seccomp-bpf help version debug "
        "no-abbrev syscall-times relative-timestamps absolute-timestamps instruction-pointer stack-traces",
        "trace trace-path signal status abbrev verbose raw read write fault inject output attach string-limit "
        "summary-sort-by user env columns const-print-style detach-on",
    ),
    "ltrace": _strict(
        "bcCfhiLrStTV", "aAeFlnopsuwxD", "demangle help version no-signals", "align config indent library output"
    ),
    "pkexec": _strict("", "", "disable-internal-agent keep-cwd help version", "user", shell_when_empty=True),
    "setarch": _strict(
        "BFILRSTXZ3vhV",
        "",
        "32bit fdpic-funcptrs short-inode addr-compat-layout addr-no-randomize whole-seconds sticky-timeouts "
        "read-implies-exec mmap-page-zero 3gb 4gb uname-2.6 verbose list help version",
        leading=1,
        shell_when_empty=True,
    ),
    **dict.fromkeys(
        ("linux32", "linux64", "i386", "x86_64"),
        _strict(
            "BFILRSTXZ3vhV",
            "",
            "32bit fdpic-funcptrs short-inode addr-compat-layout addr-no-randomize whole-seconds sticky-timeouts "
            "read-implies-exec mmap-page-zero 3gb 4gb uname-2.6 verbose help version",
            shell_when_empty=True,
        ),
    ),
    "fakeroot": _strict("uhv", "lfisb", "unknown-is-real help version", "lib faked fd-base", shell_when_empty=True),
    "chronic": _strict("evh"),
    "ifne": _strict("nh"),
    "eatmydata": _strict(""),
    "proxychains": _strict("q", "f"),
    "proxychains4": _strict("q", "f"),
    "xvfb-run": _strict(
        "alh",
        "nsefpw",
        "auto-servernum listen-tcp help",
        "server-num server-args error-file auth-file xauth-protocol wait",
    ),
    "valgrind": _Options(),  # its options are all `--name=value`, `--flag` or single letters without a value
    "catchsegv": _Options(),
}


def _split_options(args: Sequence[Word], spec: _Options) -> tuple[dict[str, str | None], list[Word]] | None:
    """A wrapper's options (value None when only known at run time) and the words of the command it runs.

    None when a word only known at run time hides where that command starts.
    """
    options: dict[str, str | None] = {}
    if any(word.may_vanish for word in args[: spec.leading]):
        return None
    index = spec.leading

    def value_at(position: int) -> str | None:
        return args[position].static if position < len(args) else ""

    strict = spec.flags is not None
    while index < len(args):
        word = args[index]
        text = word.static
        if text is None:
            if word.starts_plain and not word.may_vanish:
                break
            return None
        if text == "--":
            index += 1
            break
        if text.startswith("--"):
            name, equals, value = text[2:].partition("=")
            if strict and name not in spec.long_values and name not in spec.long_flags:
                return None
            if not equals and name in spec.long_values:
                index += 1
                if index < len(args) and args[index].may_vanish:
                    return None
                options[name] = value_at(index)
            else:
                options[name] = value
            index += 1
            continue
        if not text.startswith("-"):
            break
        for offset, letter in enumerate(text[1:], start=2):
            if letter in spec.values:
                options[letter] = text[offset:]
                if not text[offset:]:
                    index += 1
                    if index < len(args) and args[index].may_vanish:
                        return None
                    options[letter] = value_at(index)
                break
            if letter in spec.optional:
                options[letter] = text[offset:]
                break
            if strict and letter not in (spec.flags or ""):
                return None
            options[letter] = ""
        index += 1
    while spec.assignments and index < len(args) and (args[index].assignment or "=" in (args[index].static or "")):
        index += 1
    for _ in range(spec.operands):
        if index < len(args) and args[index].may_vanish:
            return None
        index += 1
    return options, list(args[index:])


def _unknown(args: Sequence[Word]) -> Word:
    """A stand-in for a command only known at run time, shown as the words it hides in."""
    source = " ".join(word.source for word in args) or "…"
    return Word((Expansion(source, may_vanish=True),), source)


def _unwrap(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """Add the command a wrapper runs, reading the wrapper's options by its `_Options`."""
    spec = _WRAPPERS[program]
    if spec.assignments:
        declare(program, args, [], depth, walk)
    split = _split_options(args, spec)
    if split is None:
        source = " ".join([program, *(word.source for word in args)])
        why = f"an option of '{program}' the policy does not know, or a word only known when it runs"
        walk.commands.append(unknown_command(source, f"{why}, hides where the command it runs starts"))
        return
    options, wrapped = split
    if any(letter in options for letter in spec.no_command):
        return
    if program == "env" and ("S" in options or "split-string" in options):
        text = options.get("S", options.get("split-string"))
        if text is None:
            walk.command([_unknown(args)], [], depth)
            return
        wrapped = _split_words(text, depth) + wrapped
    elif program == "xargs":
        wrapped = _xargs_command(options, wrapped)
    elif program == "watch" and not ({"x", "exec"} & options.keys()):
        run_string(program, wrapped, depth, walk, joined=True)
        return
    if not wrapped and spec.shell_when_empty:
        walk.command([literal_word("sh")], redirects, depth)
        return
    walk.command(wrapped, [], depth)
    named = [options[key] for key in ("a", "argv0") if key in options and program in ("exec", "env")]
    if named and wrapped:
        # the program sees its own name as this: `exec -a git-push git origin` makes git push
        argv0 = _unknown(args) if named[0] is None else literal_word(named[0])
        walk.command([argv0, *wrapped[1:]], [], depth)


def _xargs_command(options: dict[str, str | None], wrapped: list[Word]) -> list[Word]:
    """The command xargs runs, with the arguments it reads from its input as a hole."""
    wrapped = wrapped or [literal_word("echo")]
    given = [options[key] for key in ("I", "replace", "i") if key in options]
    if not given:
        return [*wrapped, Word((Expansion("<input>", may_vanish=True),), "<input>")]
    if given[0] is None:
        return [_unknown(wrapped)]
    replace = given[0] or "{}"
    return [_unknown([word]) if replace in (word.static or replace) else word for word in wrapped]


def _split_words(text: str, depth: int) -> list[Word]:
    """Split text into words as the shell would (for `env -S`), refusing anything but words."""
    parser = Parser(text, depth, [])
    words: list[Word] = []
    while True:
        parser.skip_space()
        if not parser.peek():
            return words
        if parser.peek() in METACHARS:
            raise CommandParseError("'env -S' is given more than words")
        words.append(parser.read_word())


def _find(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`find ... -exec cmd {} ;`: each command it executes, with `{}` as a hole."""
    index = 0
    while index < len(args):
        word = args[index]
        if word.static is None and not word.starts_plain:
            walk.command([_unknown(args[index:])], [], depth)  # could be `-exec` itself
            return
        index += 1
        if word.static in ("-exec", "-execdir", "-ok", "-okdir"):
            command: list[Word] = []
            while index < len(args) and args[index].static not in (";", "+"):
                word = args[index]
                command.append(_unknown([word]) if "{}" in (word.static or "{}") else word)
                index += 1
            index += 1
            walk.command(command, [], depth)


def _su(program: str, args: list[Word], redirects: Sequence[Redirect], depth: int, walk: Walk) -> None:
    """`su -c 'cmd' user`, `runuser`, `script -c 'cmd'` (and `flock FILE -c 'cmd'`): the command string, wherever it
    stands; without one, `flock` runs its command, `runuser -u USER` the command after its options, and the others a
    shell that reads its input."""
    given = False
    for index, word in enumerate(args):
        text = word.static
        if text is None:
            if not word.starts_plain:
                walk.command([_unknown(args)], [], depth)  # could be `-c` itself
                return
            continue
        if text.startswith("--command=") or text.startswith("--session-command="):
            run_string(program, [literal_word(text.partition("=")[2])], depth, walk)
        elif text in ("--command", "--session-command") or re.fullmatch(r"-[a-zA-Z]*c", text):
            run_string(program, args[index + 1 : index + 2], depth, walk)
        elif re.fullmatch(r"-[a-zA-Z]*c.+", text) and program != "flock":
            run_string(program, [literal_word(text.split("c", 1)[1])], depth, walk)
        else:
            continue
        given = True
    if given:
        return
    if program == "flock":
        _unwrap(program, args, redirects, depth, walk)
    elif program == "runuser" and any(
        w.static in ("-u", "--user") or (w.static or "").startswith("--user=") for w in args
    ):
        split = _split_options(args, _RUNUSER)
        walk.command(split[1] if split else [_unknown(args)], [], depth)
    else:
        walk.command([literal_word("sh")], redirects, depth)


_RUNUSER = _strict(
    "flmpPhV",
    "ugGswc",
    "login preserve-environment pty fast help version",
    "user group supp-group shell whitelist-environment command session-command",
)


HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(_WRAPPERS, _unwrap),
    "find": _find,
    "su": _su,
    "runuser": _su,
    "script": _su,
    "flock": _su,
}
"""What runs the command each of these wrappers is given, by the wrapper's basename."""
