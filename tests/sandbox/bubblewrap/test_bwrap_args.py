"""The bubblewrap command line and the host layout it is built from, checked without running bwrap."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from interns.sandbox.bubblewrap.args import HostLayout, bwrap_command, sandbox_path

LAYOUT = HostLayout(
    etc_entries=("passwd", "ssl"),
    top_symlinks=(("bin", "usr/bin"),),
    top_dirs=("lib64",),
    hidden=(("/etc/ssl/private", True), ("/etc/ssl/key.pem", False)),
)


def options(command: list[str]) -> list[str]:
    """The bwrap options: everything before the `--` that starts the sandboxed argv."""
    return command[: command.index("--")]


def pairs(command: list[str], flag: str) -> list[tuple[str, str]]:
    """The (source, destination) arguments of every use of a two-argument flag."""
    opts = options(command)
    return [(opts[i + 1], opts[i + 2]) for i, arg in enumerate(opts) if arg == flag]


def test_argv_follows_the_options_unchanged() -> None:
    command = bwrap_command("/usr/bin/bwrap", LAYOUT, workspace=Path("/w"), argv=["sh", "-c", "echo --bind"])
    assert command[0] == "/usr/bin/bwrap"
    assert command[command.index("--") + 1 :] == ["sh", "-c", "echo --bind"]


def test_the_network_namespace_is_always_the_sandboxs_own() -> None:
    closed = options(bwrap_command("bwrap", LAYOUT, workspace=Path("/w"), argv=["true"]))
    opened = options(bwrap_command("bwrap", LAYOUT, workspace=Path("/w"), argv=["true"], network_fds=(7, 9)))
    assert "--unshare-all" in closed and "--unshare-all" in opened
    assert "--share-net" not in closed and "--share-net" not in opened, "never the host's network, nor its loopback"
    assert "--info-fd" not in closed and "--block-fd" not in closed
    assert opened[opened.index("--info-fd") + 1] == "7" and opened[opened.index("--block-fd") + 1] == "9"


def test_user_namespace_maps_a_non_root_user() -> None:
    mapped = options(bwrap_command("bwrap", LAYOUT, workspace=Path("/w"), argv=["true"]))
    plain = options(bwrap_command("bwrap", LAYOUT, workspace=Path("/w"), argv=["true"], user_namespace=False))
    assert "--unshare-user" in mapped
    assert mapped[mapped.index("--uid") + 1] != "0"
    assert "--unshare-user" not in plain and "--uid" not in plain
    for opts in (mapped, plain):
        assert {"--die-with-parent", "--new-session"} <= set(opts)
        assert opts[opts.index("--cap-drop") + 1] == "ALL"


def test_only_the_workspace_is_writable_and_etc_is_a_whitelist() -> None:
    command = bwrap_command("bwrap", LAYOUT, workspace=Path("/home/me/project"), argv=["true"])
    assert pairs(command, "--bind") == [("/home/me/project", "/workspace")]
    read_only = pairs(command, "--ro-bind")
    assert ("/usr", "/usr") in read_only
    assert ("/lib64", "/lib64") in read_only
    assert ("/etc/passwd", "/etc/passwd") in read_only
    assert ("/etc", "/etc") not in read_only
    assert all(not src.startswith(("/home", "/root", "/var", "/run")) for src, _ in read_only)
    assert ("usr/bin", "/bin") in pairs(command, "--symlink")
    assert "/" in [dest for flag, dest in itertools.pairwise(command) if flag == "--remount-ro"]


def test_unreadable_entries_under_etc_are_masked() -> None:
    command = bwrap_command("bwrap", LAYOUT, workspace=Path("/w"), argv=["true"])
    opts = options(command)
    assert opts[opts.index("/etc/ssl/private") - 1] == "--tmpfs"
    assert ("/dev/null", "/etc/ssl/key.pem") in pairs(command, "--ro-bind")
    # Masks must come after the bind they cover, or the bind would uncover them again.
    assert opts.index("/etc/ssl/private") > opts.index("/etc/ssl")


def test_fresh_tmp_proc_dev_and_home() -> None:
    opts = options(bwrap_command("bwrap", LAYOUT, workspace=Path("/w"), argv=["true"]))
    assert opts[opts.index("--proc") + 1] == "/proc"
    assert opts[opts.index("--dev") + 1] == "/dev"
    tmpfs = [opts[i + 1] for i, arg in enumerate(opts) if arg == "--tmpfs"]
    assert "/tmp" in tmpfs
    assert "/home/intern" in tmpfs


def test_cwd_is_resolved_under_the_workspace() -> None:
    opts = options(bwrap_command("bwrap", LAYOUT, workspace=Path("/w"), argv=["true"], cwd="src/pkg"))
    assert opts[opts.index("--chdir") + 1] == "/workspace/src/pkg"
    assert sandbox_path(None) == "/workspace"
    assert sandbox_path("a/../b/.") == "/workspace/b"


def test_probe_reads_the_whitelist_links_and_unreadable_entries(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    (etc / "ssl" / "private").mkdir(parents=True)
    (etc / "ssl" / "private").chmod(0o700)
    (etc / "ssl" / "cert.pem").write_text("public")
    (etc / "ssl" / "secret.key").write_text("key")
    (etc / "ssl" / "secret.key").chmod(0o600)
    for name in ("passwd", "shadow", "hosts", "python3.11"):
        (etc / name).write_text("")
    (tmp_path / "usr" / "bin").mkdir(parents=True)
    os.symlink("usr/bin", tmp_path / "bin")
    (tmp_path / "lib64").mkdir()

    layout = HostLayout.probe(tmp_path)

    assert layout.etc_entries == ("hosts", "passwd", "python3.11", "ssl")
    assert layout.top_symlinks == (("bin", "usr/bin"),)
    assert layout.top_dirs == ("lib64",)
    assert set(layout.hidden) == {("/etc/ssl/private", True), ("/etc/ssl/secret.key", False)}
