"""git as git runs it: the subcommand behind git's global options, configuration, aliases and plumbing.

A command rule over argv sees `git -C . push` as written; git runs `push`. For every git command a line would
run, the policy also judges the command git really runs, read the way git reads it (`git.c`):

- global options before the subcommand are skipped (`-C`, `-c`, `--git-dir`, `--work-tree`, `--namespace`,
  `--exec-path=`, `--config-env`, `-p`, `--no-pager`, ...); an option git does not know, or one only known at run
  time, leaves the subcommand unknown;
- configuration that names a program or renames a command (`alias.*`, `include.*`, `includeIf.*`, `url.*`,
  `credential.*`, `core.sshCommand`, `core.editor`, `remote.*.receivepack`, any key ending in `command`, `helper`,
  `program`...) given by `-c`, `--config-env`, `git clone -c` or written by `git config`, and a line that sets
  git's configuration or program variables (`GIT_CONFIG_COUNT`, `GIT_CONFIG_PARAMETERS`, `GIT_EDITOR`,
  `GIT_SSH_COMMAND`, ...), leave the command unknown: git may run anything;
- a subcommand that is not one of git's own may be an alias the workspace's git config defines (`git config
  alias.p push`, or a line appended to `.git/config`) or a `git-NAME` program: unknown. git's own commands win
  over aliases, so a known subcommand is exactly what runs;
- the plumbing that pushes (`send-pack`, `receive-pack`, `http-push`, `remote-*`, `subtree push`, `svn dcommit`,
  `p4 submit`) and `git-push` by its own name are judged as `git push`;
- commands git is given to run (`rebase -x`, `submodule foreach`, `bisect run`, `filter-branch --tree-filter`,
  `difftool -x`, `grep -O`, `--upload-pack`) are judged as lines of their own.

An unknown command is one only known when it runs: any deny or ask rule could match it, so it is denied when the
task has a deny rule, put to a person when it has only ask rules, and otherwise allowed only by an allow rule of `*`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from interns.agents.policy.shell import Command, CommandParseError, Word, parse_line
from interns.agents.policy.shell.model import literal_word, unknown_command
from interns.agents.policy.shell.parser import Parser
from interns.errors import RunError

__all__ = ["as_git_runs"]

_OWN_COMMANDS = frozenset(
    {
        "add", "am", "annotate", "apply", "archimport", "archive", "backfill", "bisect", "blame", "branch",
        "bugreport", "bundle", "cat-file", "check-attr", "check-ignore", "check-mailmap", "check-ref-format",
        "checkout", "checkout-index", "cherry", "cherry-pick", "citool", "clean", "clone", "column", "commit",
        "commit-graph", "commit-tree", "config", "count-objects", "credential", "credential-cache",
        "credential-store", "cvsexportcommit", "cvsimport", "cvsserver", "daemon", "describe", "diagnose", "diff",
        "diff-files", "diff-index", "diff-pairs", "diff-tree", "difftool", "fast-export", "fast-import", "fetch",
        "fetch-pack", "filter-branch", "fmt-merge-msg", "for-each-ref", "for-each-repo", "format-patch", "fsck",
        "fsck-objects", "fsmonitor--daemon", "gc", "get-tar-commit-id", "grep", "gui", "hash-object", "help", "hook",
        "http-backend", "http-fetch", "imap-send", "index-pack", "init", "init-db", "interpret-trailers",
        "last-modified", "log", "ls-files", "ls-remote", "ls-tree", "mailinfo", "mailsplit", "maintenance", "merge",
        "merge-base", "merge-file", "merge-index", "merge-octopus", "merge-one-file", "merge-ours", "merge-recursive",
        "merge-recursive-ours", "merge-recursive-theirs", "merge-resolve", "merge-subtree", "merge-tree", "mergetool",
        "mktag", "mktree", "multi-pack-index", "mv", "name-rev", "notes", "p4", "pack-objects", "pack-redundant",
        "pack-refs", "patch-id", "prune", "prune-packed", "pull", "quiltimport", "range-diff", "read-tree", "rebase",
        "refs", "reflog", "remote", "repack", "replace", "replay", "repo", "request-pull", "rerere", "reset",
        "restore", "rev-list", "rev-parse", "revert", "rm", "shortlog", "show", "show-branch", "show-index",
        "show-ref", "sparse-checkout", "stage", "stash", "status", "stripspace", "submodule", "subtree", "svn",
        "switch", "symbolic-ref", "tag", "unpack-file", "unpack-objects", "update-index", "update-ref",
        "update-server-info", "upload-archive", "upload-pack", "var", "verify-commit", "verify-pack", "verify-tag",
        "version", "whatchanged", "worktree", "write-tree",
    }
)  # fmt: skip
"""git's own commands (git 2.39-2.5x): builtins and the programs git ships. These win over an alias of their name."""

_PUSHING = frozenset({"push", "send-pack", "receive-pack", "http-push"})
_PUSHING_ACTIONS = {"subtree": "push", "svn": "dcommit", "p4": "submit"}
_OPAQUE = {
    "shell": "git shell runs the commands it is given",
    "instaweb": "git instaweb runs the web server and browser it is told to",
    "send-email": "git send-email runs the programs its options name",
    "web--browse": "git web--browse runs the browser it is told to",
}

_GLOBAL_FLAGS = frozenset(
    {
        "-p", "--paginate", "-P", "--no-pager", "--bare", "--no-replace-objects", "--literal-pathspecs",
        "--no-literal-pathspecs", "--glob-pathspecs", "--noglob-pathspecs", "--icase-pathspecs",
        "--no-optional-locks", "--no-advice", "--no-lazy-fetch",
    }
)  # fmt: skip
_GLOBAL_VALUED = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env", "--attr-source"}
)
"""Global options that take the next word as their value (the long ones also as `--name=value`)."""
_GLOBAL_EXITS = frozenset({"-h", "--help", "-v", "--version", "--html-path", "--man-path", "--info-path"})
"""Global options after which git prints something and runs no other command."""

_PROGRAM_SECTIONS = frozenset(
    {
        "alias", "include", "includeif", "url", "credential", "filter", "mergetool", "difftool", "gpg", "sequence",
        "pager", "browser", "man", "web", "sendemail", "guitool", "instaweb", "trailer", "imap",
    }
)  # fmt: skip
"""Config sections in which keys rename git's commands, include other files, or name programs."""
_PROGRAM_KEY_ENDINGS = (
    "command", "cmd", "program", "helper", "editor", "pager", "proxy", "hook", "hookspath", "driver", "textconv",
    "askpass", "receivepack", "uploadpack", "tunnel", "fsmonitor", "external", "difffilter", "templatedir", "vcs",
)  # fmt: skip
"""Endings of config keys that name a program git runs (`core.sshCommand`, `diff.x.textconv`, `remote.x.vcs`)."""

_PROGRAM_VARIABLE_NAMES = (
    r"GIT_CONFIG(?!_NOSYSTEM)\w*|GIT_EXEC_PATH|GIT_SSH(?:_COMMAND)?|GIT_PROXY_COMMAND|GIT_(?:SEQUENCE_)?EDITOR|"
    r"GIT_PAGER|GIT_EXTERNAL_DIFF|GIT_ASKPASS|GIT_TEMPLATE_DIR|EDITOR|VISUAL|PAGER"
)
_ASSIGNED = re.compile(rf"(?<![$\w{{#!])({_PROGRAM_VARIABLE_NAMES})\s*\+?=")
"""An assignment to one of git's configuration or program variables, wherever it stands in the line."""
_NAMED = re.compile(rf"-?[a-zA-Z]*?({_PROGRAM_VARIABLE_NAMES})")
_SETTERS = frozenset({"export", "declare", "typeset", "local", "readonly", "read", "printf", "mapfile", "readarray"})
"""Builtins that set a variable named by a word of their own (`read GIT_EDITOR`, `printf -v GIT_EDITOR`)."""

_EDITOR_VARIABLES = frozenset({"GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "EDITOR", "VISUAL", "GIT_PAGER", "PAGER"})
_EDITOR_KEYS = frozenset({"core.editor", "sequence.editor", "core.pager"})
"""Variables and keys whose value is a shell command git runs with a file name after it: judged as that command."""

_CONFIG_READS = frozenset({"--get", "--get-all", "--get-regexp", "--get-urlmatch", "-l", "--list", "get", "list"})

_CODE_OPTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rebase": ("x", ("exec",)),
    "difftool": ("x", ("extcmd",)),
    "fetch": ("", ("upload-pack",)),
    "pull": ("", ("upload-pack",)),
    "ls-remote": ("", ("upload-pack",)),
    "clone": ("u", ("upload-pack",)),
    "archive": ("", ("exec",)),
    "fetch-pack": ("", ("upload-pack", "exec")),
    "filter-branch": (
        "",
        tuple(f"{kind}-filter" for kind in ("env", "tree", "index", "parent", "msg", "commit", "tag-name")),
    ),
}
"""Subcommands' options whose value is a command git runs through the shell: short letters and long names."""


class _Unknown(RunError):
    """What git runs cannot be known from the line; the message says why."""


def as_git_runs(commands: Sequence[Command], line: str) -> list[Command]:
    """The commands to judge: each one as written, and after each git command the command git really runs."""
    unknown, editors = _environment(line, commands)
    judged: list[Command] = []
    for command in commands:
        judged.append(command)
        judged.extend(_resolved(command, unknown))
    for editor in editors:
        judged.extend(_editor_runs(editor))
    return judged


def _environment(line: str, commands: Sequence[Command]) -> tuple[str | None, list[str]]:
    """What the line gives git through variables: why git's commands become unknown, and editor or pager commands.

    An assignment to `GIT_EDITOR`, `PAGER`... whose value can be read is judged as the command it names; any other
    of git's variables (`GIT_CONFIG_COUNT`, `GIT_SSH_COMMAND`...), or a value only known at run time, leaves every
    git command of the line unknown.
    """
    editors: list[str] = []
    found = [(match, _value_at(line, match.start())) for match in _ASSIGNED.finditer(line)]
    for command in commands:
        for word in command.words:
            static = word.static or ""
            found.extend((match, static[match.end() :]) for match in _ASSIGNED.finditer(static))
    for match, value in found:
        name = match.group(1)
        if name in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM") and value == "/dev/null":
            continue  # no configuration at all: the usual way to make git ignore the host's
        if name not in _EDITOR_VARIABLES:
            return f"the line sets {name}, which changes what git runs", []
        if value is None:
            return f"the line sets {name} to a command only known when it runs", []
        editors.append(value)
    for command in commands:
        if command.program in _SETTERS:
            for word in command.words[1:]:
                if (named := _NAMED.fullmatch(word.static or "")) is not None:
                    return f"'{command.program}' sets {named.group(1)}, which changes what git runs", []
    return None, editors


def _value_at(line: str, start: int) -> str | None:
    """The value of the assignment word starting at `start`, when it is known before the line runs."""
    try:
        word = Parser(line[start:], 0, []).read_word()
    except CommandParseError:
        return None
    static = word.static
    return None if static is None else static.partition("=")[2]


def _editor_runs(editor: str) -> list[Command]:
    """The commands an editor or pager setting runs: git runs `sh -c 'EDITOR "$@"'` with a file name, here FILE.

    The name git adds is a file of its own, never a word of the worker's, so it cannot turn `git` into `git push`;
    it keeps `GIT_EDITOR=git` from reading as a bare `git`.
    """
    if not editor.strip():
        return []  # an empty pager or editor is none: git does not run it
    runs = as_git_runs(parse_line(editor + " FILE"), editor)  # shorter than the line it came from: this ends
    return [replace(ran, note=ran.note or f"the editor or pager git is given: {editor}") for ran in runs]


def _resolved(command: Command, unknown: str | None) -> list[Command]:
    """What a git command runs: itself read by git's rules, and the commands it is given; nothing for other programs."""
    program = command.program
    if program is None:
        return []
    if program == "git":
        args = list(command.words[1:])
    elif program.startswith("git-"):
        args = [literal_word(program[4:]), *command.words[1:]]
    else:
        return []
    if unknown is not None:
        return [unknown_command(command.text(), unknown)]
    try:
        return _subcommand(command, args)
    except _Unknown as why:
        return [unknown_command(command.text(), str(why))]


def _subcommand(command: Command, args: list[Word]) -> list[Command]:
    """Skip git's global options, check the configuration they give, and judge the subcommand."""
    editors: list[str] = []
    index = 0
    while index < len(args):
        text = args[index].static
        if text is None:
            if args[index].starts_plain and not args[index].may_vanish:
                raise _Unknown("git's subcommand is only known when it runs")
            raise _Unknown("git's options are only known when it runs")
        if not text.startswith("-"):
            break
        name, equals, value = text.partition("=")
        if text in _GLOBAL_EXITS or name == "--list-cmds" or text == "--exec-path":
            return []
        if text in _GLOBAL_FLAGS or (name == "--exec-path" and equals):
            index += 1
            continue
        if name not in _GLOBAL_VALUED or (equals and not name.startswith("--")):
            raise _Unknown(f"git's option '{text}' is not one the policy knows")
        if equals:
            given: str | None = value
        else:
            index += 1
            if index == len(args):
                return []  # git refuses an option without its value
            given = args[index].static
        if name in ("-c", "--config-env"):
            editors.extend(_check_config_entry(given, name))
        index += 1
    rest = args[index:]
    found = [ran for editor in editors for ran in _editor_runs(editor)]
    return found + _judge_subcommand(command, rest) if rest else found


def _check_config_entry(entry: str | None, option: str) -> list[str]:
    """A `-c key=value` or `--config-env key=VAR`: refused when the key names a program or renames a command.

    An editor or pager given by `git -c` runs now, as the command it names, returned to be judged; one that
    `git clone --config` writes into the new repository's config would run later, unseen, so it is refused.
    """
    if entry is None:
        raise _Unknown(f"the configuration git is given by '{option}' is only known when it runs")
    key, _, value = entry.rpartition("=") if option == "--config-env" else entry.partition("=")
    if option == "-c" and key.strip().lower() in _EDITOR_KEYS:
        return [value]
    if option == "-c" and _turns_off(key, value):
        return []
    if names_a_program(key):
        raise _Unknown(f"'{option} {key}' sets git configuration that names a program or a command")
    return []


def _turns_off(key: str, value: str) -> bool:
    """Whether this setting names no program at all: an empty helper (`credential.helper=`), hooks from /dev/null."""
    parts = key.strip().lower().split(".")
    if parts[0] in ("alias", "include", "includeif", "url") or not parts[-1].endswith(_PROGRAM_KEY_ENDINGS):
        return False
    return value.strip() == "" or (parts[-1] == "hookspath" and value == "/dev/null")


def names_a_program(key: str) -> bool:
    """Whether setting this git config key can make git run another command (an alias, a helper, an include...)."""
    parts = key.strip().lower().split(".")
    if len(parts) < 2:
        return False
    section, name = parts[0], parts[-1]
    if section == "protocol":  # `protocol.ext.allow` lets a remote URL run a command; `protocol.file.allow` does not
        return parts[1] in ("ext", "allow")
    if section in _PROGRAM_SECTIONS or name.endswith(_PROGRAM_KEY_ENDINGS):
        return True
    return section == "submodule" and name == "update"  # `submodule.x.update = !command`


def _judge_subcommand(command: Command, rest: list[Word]) -> list[Command]:
    """The subcommand git runs, with the commands it is given; pushing plumbing as `git push`."""
    sub = rest[0].static
    if sub is None:
        raise _Unknown("git's subcommand is only known when it runs")
    if sub in _OPAQUE:
        raise _Unknown(_OPAQUE[sub])
    action = rest[1].static if len(rest) > 1 else None
    if sub in _PUSHING or sub.startswith("remote-") or (action and _PUSHING_ACTIONS.get(sub) == action):
        words = rest[2:] if sub in _PUSHING_ACTIONS else rest[1:]
        return [_git(["push", *words], "" if sub == "push" else f"git {sub} pushes as git push does")]
    if sub not in _OWN_COMMANDS:
        raise _Unknown(
            f"git would run '{sub}' as an alias the workspace's git config may define, or as a program "
            f"named git-{sub}, which the policy cannot see"
        )
    found: list[Command] = []
    if list(command.words[1:]) != rest or command.program != "git":
        found.append(_git(rest, ""))
    args = rest[1:]
    if sub == "config":
        _check_config_command(args)
    elif sub == "clone":
        for entry in _option_values(args, "c", ("config",)):
            _check_config_entry(entry, "git clone --config")
    elif sub == "for-each-repo":
        words = [word for word in args if not (word.static or "").startswith("--")]
        found.extend(_resolved(_git(words, ""), None))
    for code in _code_given(sub, args):
        found.extend(as_git_runs(parse_line(code), code))  # the code is shorter than the line: this ends
    return found


def _git(words: Sequence[str | Word], note: str) -> Command:
    """`git WORDS...` as a command to judge."""
    return Command((literal_word("git"), *(literal_word(w) if isinstance(w, str) else w for w in words)), note)


def _check_config_command(args: list[Word]) -> None:
    """`git config` writing a key that names a program or a command (`git config alias.p push`) is refused."""
    texts = [word.static for word in args]
    if any(text in _CONFIG_READS for text in texts):
        return
    for text in texts:
        if text is None:
            raise _Unknown("what git config writes is only known when it runs")
        if text in ("--rename-section", "rename-section"):
            raise _Unknown("git config renaming a section may turn it into aliases or program settings")
        if not text.startswith("-") and names_a_program(text.partition("=")[0]):
            raise _Unknown(f"git config would set '{text}', a key that names a program or a command")


def _code_given(sub: str, args: list[Word]) -> list[str]:
    """The command lines a subcommand is given to run."""
    statics = [word.static for word in args]
    if sub == "submodule" and "foreach" in statics:
        start = statics.index("foreach") + 1
        while start < len(statics) and (statics[start] or "").startswith("-"):
            start += 1
        return [_joined(args[start:], "git submodule foreach")]
    if sub == "bisect" and statics[:1] == ["run"]:
        return [_joined(args[1:], "git bisect run")]
    if sub == "grep":
        return [value for value in _option_values(args, "O", ("open-files-in-pager",), attached=True) if value]
    short, long = _CODE_OPTIONS.get(sub, ("", ()))
    return [value for value in _option_values(args, short, long) if value is not None]


def _joined(words: Sequence[Word], what: str) -> str:
    """Words a subcommand joins into one command line."""
    texts = [word.static for word in words]
    if any(text is None for text in texts):
        raise CommandParseError(f"the command '{what}' runs is only known when it runs")
    return " ".join(text for text in texts if text is not None)


def _option_values(args: list[Word], short: str, long: tuple[str, ...], *, attached: bool = False) -> list[str | None]:
    """The values of the given options among a subcommand's arguments, read as git's option parser does.

    Long names may be abbreviated; short letters may be bundled (`-ix CMD`). With `attached`, a value is only
    taken from the same word (`-O<pager>`, `--open-files-in-pager=<pager>`). A value only known at run time is
    None, as is an argument only known at run time that may itself be one of these options.
    """
    values: list[str | None] = []
    index = 0
    while index < len(args):
        word = args[index]
        text = word.static
        index += 1
        if text is None:
            if not word.starts_plain and (short or long):
                values.append(None)
            continue
        if text == "--":
            break
        if text.startswith("--"):
            name, equals, value = text[2:].partition("=")
            if len(name) >= 2 and any(option.startswith(name) for option in long):
                if equals or attached:
                    values.append(value)
                else:
                    values.append(args[index].static if index < len(args) else "")
                    index += 1
        elif text.startswith("-"):
            for offset, letter in enumerate(text[1:], start=2):
                if letter in short:
                    if text[offset:] or attached:
                        values.append(text[offset:])
                    else:
                        values.append(args[index].static if index < len(args) else "")
                        index += 1
                    break
    if None in values:
        raise _Unknown("a command git is given to run is only known when it runs")
    return values
