"""The write rules applied to what a step changed on disk, whatever the change: content, type, mode or removal."""

from __future__ import annotations

from collections.abc import Iterable

from interns.agents.policy.decisions import Decision, Policy
from interns.sandbox.workspace.changes import Change

__all__ = ["judge_changes"]


def judge_changes(policy: Policy, changes: Iterable[Change]) -> list[tuple[Change, Decision]]:
    """The changes the write rules do not allow, each with the decision that refused it.

    Every kind counts the same: a file added, edited, deleted, made executable or turned into a link or folder
    is a write to its path, judged like a write by the worker's own tools.
    """
    refused = []
    for change in changes:
        decision = policy.check_write(change.path)
        if decision.verdict != "allow":
            refused.append((change, decision))
    return refused
