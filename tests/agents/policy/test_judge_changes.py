"""The write rules applied to a step's changes on disk: every kind of change to a path is a write to it."""

from __future__ import annotations

from pathlib import Path

from interns.agents.policy.changes import judge_changes
from interns.agents.policy.decisions import Policy
from interns.sandbox.workspace.changes import Change
from interns.sandbox.workspace.tree_scan import Entry
from interns.tasks.spec import Guardrails

FILE, LINK = Entry("file", False, 1, "a"), Entry("symlink", False, 1, "b")


def test_every_kind_of_change_outside_the_write_paths_is_refused(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "out").symlink_to("../README.md")
    policy = Policy(Guardrails(write=["src/**"]), ["run"], tmp_path)
    changes = [
        Change("src/app.py", "modified", FILE, FILE, 1),
        Change("README.md", "deleted", FILE, None, 1),
        Change("tool.sh", "mode_changed", FILE, Entry("file", True, 1, "a"), 1),
        Change("na\tme.txt", "added", None, FILE, 1),
        Change("src", "type_changed", Entry("dir"), LINK, 1),
        Change("src/out", "added", None, LINK, 1),
        Change("src/.git/config", "added", None, FILE, 1),
    ]

    refused = {change.path: decision.rule for change, decision in judge_changes(policy, changes)}

    assert refused == {
        "README.md": "guardrails.write",
        "tool.sh": "guardrails.write",
        "na\tme.txt": "guardrails.write",
        "src/out": "guardrails.write",
        "src/.git/config": "git metadata",
    }
