"""Outputs never follow links: accepting a folder run copies only regular files the run made, opened without following
links, never outside the outputs folder, with modes the person's umask allows and no set-uid or set-gid bit."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agents.conftest import TaskDir
from tests.agents.gate.test_accept_exact import plant
from tests.agents.runtime.test_resume import cli, run_task
from tests.security.conftest import Host, host  # noqa: F401 (the escape suite's host, with a secret to steal)

UMASK = 0o027


@pytest.fixture
def umask() -> Iterator[int]:
    """A umask the `interns` child inherits, narrower than the usual 022 so that its effect shows."""
    before = os.umask(UMASK)
    yield UMASK
    os.umask(before)


def outputs_task(task_dir: TaskDir, hook: str) -> Path:
    """A task whose worker writes drafts/post.md; outputs are drafts/** sent to published. `hook` (Python, with
    `os`) is kept for `run_with_hook`, which changes the worked copy after the run as a sandbox could have left it:
    the accept step is all that stands between it and the host."""
    task = {
        "workspace": {"folder": "project", "outputs": {"to": "published", "files": ["drafts/**"]}},
        "steps": [{"id": "draft", "instructions": "Draft a post."}],
        "guardrails": {"sandbox": "bubblewrap"},
    }
    script = {"draft": [{"call": {"write": {"path": "drafts/post.md", "content": "# Post\n"}}}, {"final": "drafted"}]}
    (task_dir.root / "hook.py").write_text(hook)
    return task_dir.write(task, script, {"notes.md": "notes\n"})


def run_with_hook(task_dir: TaskDir) -> int:
    """Run the task, then its hook in the run's worked copy; the run's exit code."""
    ran = run_task(task_dir)
    if ran.returncode == 0:
        (run_dir,) = (task_dir.runs / "runs").iterdir()
        plant(run_dir, (task_dir.root / "hook.py").read_text())
    return ran.returncode


def files_under(folder: Path) -> dict[str, str]:
    """Every entry under folder, not following links: relative path -> 'link', 'dir' or 'file'."""
    found = {}
    for dirpath, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(dirpath, name)
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            found[path.relative_to(folder).as_posix()] = kind
    return found


def test_a_link_to_a_secret_is_never_copied(task_dir: TaskDir, host: Host) -> None:  # noqa: F811
    outputs_task(
        task_dir,
        f"os.symlink({str(host.ssh_key)!r}, 'drafts/key.md')\nos.symlink({str(host.ssh_key.parent)!r}, 'drafts/keys')",
    )
    assert run_with_hook(task_dir) == 0

    accepted = cli(task_dir, "review", "last", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    published = task_dir.root / "published"
    assert files_under(published) == {"drafts": "dir", "drafts/post.md": "file"}
    assert "key.md" in accepted.stdout, "the person is not told what was left out"
    assert host.secret not in (published / "drafts" / "post.md").read_text()


def test_modes_are_masked_and_set_uid_bits_cleared(task_dir: TaskDir, umask: int) -> None:
    outputs_task(
        task_dir,
        "open('drafts/tool.sh', 'w').write('echo hi')\nos.chmod('drafts/tool.sh', 0o4755)\n"
        "open('drafts/open.txt', 'w').write('x')\nos.chmod('drafts/open.txt', 0o777)\n"
        "os.chmod('drafts/post.md', 0o600)",
    )
    assert run_with_hook(task_dir) == 0
    made = task_dir.runs / "runs"
    [run_dir] = made.iterdir()
    assert (run_dir / "workspace" / "drafts" / "tool.sh").stat().st_mode & stat.S_ISUID, "the sandbox kept set-uid"

    accepted = cli(task_dir, "review", "last", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    drafts = task_dir.root / "published" / "drafts"
    modes = {name: stat.S_IMODE((drafts / name).stat().st_mode) for name in ("tool.sh", "open.txt", "post.md")}
    assert modes == {"tool.sh": 0o755 & ~umask, "open.txt": 0o777 & ~umask, "post.md": 0o600}


def test_a_line_that_looks_like_a_diff_header_writes_nothing_outside_the_outputs_folder(task_dir: TaskDir) -> None:
    # An added line "++ b/..." shows in the run's diff as "+++ b/...", the header a path is read from.
    outputs_task(task_dir, "open('drafts/post.md', 'a').write('++ b/drafts/../../workspace/drafts/post.md\\n')")
    assert run_with_hook(task_dir) == 0

    accepted = cli(task_dir, "review", "last", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert files_under(task_dir.root / "published") == {"drafts": "dir", "drafts/post.md": "file"}
    assert not (task_dir.root / "workspace").exists(), "an output was written outside the outputs folder"


def test_a_link_inside_the_outputs_folder_is_not_followed(task_dir: TaskDir, host: Host) -> None:  # noqa: F811
    outputs_task(task_dir, "")
    (task_dir.root / "published").mkdir()
    (task_dir.root / "published" / "drafts").symlink_to(host.root / "markers")
    assert run_with_hook(task_dir) == 0

    refused = cli(task_dir, "review", "last", "--accept")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "drafts" in refused.stderr
    assert host.markers_made() == [], "an output was written through a link"

    (task_dir.root / "published" / "drafts").unlink()
    accepted = cli(task_dir, "review", "last", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (task_dir.root / "published" / "drafts" / "post.md").read_text() == "# Post\n"


def test_special_files_are_left_out(task_dir: TaskDir) -> None:
    outputs_task(task_dir, "os.mkfifo('drafts/pipe')")
    assert run_with_hook(task_dir) == 0

    accepted = cli(task_dir, "review", "last", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert files_under(task_dir.root / "published") == {"drafts": "dir", "drafts/post.md": "file"}


def test_an_output_that_cannot_land_leaves_the_outputs_folder_as_it_was(task_dir: TaskDir) -> None:
    outputs_task(task_dir, "os.makedirs('drafts/new')\nopen('drafts/new/a.md', 'w').write('a')\n")
    blocked = task_dir.root / "published" / "drafts" / "post.md"
    blocked.mkdir(parents=True)  # a folder where the run has a file: that output cannot land
    assert run_with_hook(task_dir) == 0

    refused = cli(task_dir, "review", "last", "--accept", "--force")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "post.md" in refused.stderr and "Nothing was copied" in refused.stderr
    assert files_under(task_dir.root / "published") == {"drafts": "dir", "drafts/post.md": "dir"}

    blocked.rmdir()
    accepted = cli(task_dir, "review", "last", "--accept")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert (task_dir.root / "published" / "drafts" / "new" / "a.md").read_text() == "a"
