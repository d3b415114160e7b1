"""Reading unified diffs: which files a step changed, what it added to a diff it started from, how many lines."""

from __future__ import annotations

__all__ = ["changed_lines", "changed_paths", "own_changes"]


def changed_paths(diff: str) -> list[str]:
    """The files a unified diff (git-style a/ b/ paths) adds, changes or removes."""
    paths: list[str] = []
    for line in diff.splitlines():
        if line.startswith(("--- a/", "+++ b/")) and (path := line[6:]) not in paths:
            paths.append(path)
    return paths


def own_changes(diff: str, baseline: str) -> str:
    """The per-file sections of `diff` that were not already in `baseline`: what a step itself changed."""
    before = set(_sections(baseline))
    return "".join(section for section in _sections(diff) if section not in before)


def _sections(diff: str) -> list[str]:
    sections: list[str] = []
    for line in diff.splitlines(keepends=True):
        if line.startswith("diff --git ") or not sections:
            sections.append("")
        sections[-1] += line
    return sections


def changed_lines(diff: str) -> int:
    """Lines added plus lines removed in a unified diff."""
    return sum(
        1
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith("+++ ") and not line.startswith("--- ") and line
    )
