"""Reading a worked copy without following links, and landing files in a folder all or nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from interns.agents.gate.files import ABSENT, MAX_FILE_BYTES, Change, Entry, LandingError, land, read_entry, safe_mode


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_reading_never_follows_a_link(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("s")
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "link").symlink_to(tmp_path / "secret")
    (work / "dirlink").symlink_to(tmp_path)
    os.mkfifo(work / "pipe")
    with open(work / "big", "wb") as big:
        big.truncate(MAX_FILE_BYTES + 1)
    (work / "sub" / "f").write_text("f")
    kinds = {rel: read_entry(work, rel).kind for rel in ("link", "dirlink/secret", "pipe", "big", "sub", "none")}
    assert kinds == {
        "link": "link",
        "dirlink/secret": "link",
        "pipe": "special",
        "big": "large",
        "sub": "folder",
        "none": "absent",
    }
    assert read_entry(work, "sub/f") == Entry("file", b"f", stat.S_IMODE((work / "sub" / "f").stat().st_mode))


@pytest.mark.parametrize("rel", ["../escaped", "a/../../escaped", "/abs", "a//b", "./a"])
def test_a_path_that_is_not_plain_is_refused(tmp_path: Path, rel: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(LandingError):
        land(root, [Change("ok.txt", b"ok", ABSENT), Change(rel, b"x", ABSENT)])
    assert listing(tmp_path) == ["root"]


def test_nothing_is_written_through_a_link_in_the_target(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "sub").symlink_to(outside)
    with pytest.raises(LandingError, match="sub is a symbolic link"):
        land(root, [Change("a.txt", b"a", ABSENT), Change("sub/b.txt", b"b", ABSENT)])
    assert listing(outside) == [] and listing(root) == ["sub"]


def test_a_target_changed_since_it_was_seen_stops_everything(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("changed")
    before_b = Entry("file", b"b")
    with pytest.raises(LandingError, match=r"b\.txt"):
        land(tmp_path, [Change("a.txt", b"A", Entry("file", b"a"), keep_mode=True), Change("b.txt", b"B", before_b)])
    assert listing(tmp_path) == ["a.txt", "b.txt"]
    assert (tmp_path / "a.txt").read_text() == "a" and (tmp_path / "b.txt").read_text() == "changed"


def test_modes_are_masked_and_set_id_bits_dropped(tmp_path: Path) -> None:
    before = os.umask(0o027)
    try:
        assert safe_mode(0o4777) == 0o750
        (tmp_path / "kept").write_text("k")
        os.chmod(tmp_path / "kept", 0o6755)
        land(
            tmp_path,
            [Change("new", b"n", ABSENT, mode=0o2777), Change("kept", b"K", Entry("file", b"k"), keep_mode=True)],
        )
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "kept").stat().st_mode) == 0o755
    assert listing(tmp_path) == ["kept", "new"]
