"""Attacks on the judgement of what a step changed: changes outside the write paths, or past the size limit, that
a reading of diff text would miss (binary, empty, mode-only, oddly named files) or count as almost nothing.

Each worker may write only under `src/`; a change elsewhere, or more changed lines than the limit, must fail the
step (no retries) with a refusal in the journal. An attack escaped when the run succeeded anyway.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.security.attack import Attack, Seen, Turns, attempt_recorded, sh
from tests.security.conftest import Host

FILES = {"src/app.py": "print('app')\n", "README.md": "readme\n", "tool.sh": "echo tool\n"}
WRITE_SRC = {"write": ["src/**"]}
LINE_LIMIT = 5


def _succeeded(host: Host, seen: Seen) -> bool:
    return seen.result.status == "succeeded"


def _too_large_recorded(seen: Seen) -> bool:
    return attempt_recorded(seen) or "a step may change at most" in seen.result.reason


def _turns(*commands: str) -> Callable[[Host, str], Turns]:
    def turns(host: Host, backend: str) -> Turns:
        return [sh(command) for command in commands]

    return turns


def _attack(name: str, *commands: str, limit: bool = False) -> Attack:
    guardrails = {**WRITE_SRC, "limits": {"changed_lines": LINE_LIMIT}} if limit else WRITE_SRC
    recorded = _too_large_recorded if limit else attempt_recorded
    return Attack(name, _turns(*commands), _succeeded, guardrails=guardrails, files=FILES, recorded=recorded)


CHANGES: list[tuple[str, tuple[str, ...], bool]] = [
    ("a '* -diff' .gitattributes and an edit outside the write paths",
     ("printf '* -diff\\n' > .gitattributes", "echo changed >> README.md"), False),
    ("a binary file outside the write paths", ("printf 'x\\0y' > data.bin",), False),
    ("an empty file outside the write paths", (": > empty.txt",), False),
    ("a mode change outside the write paths", ("chmod +x tool.sh",), False),
    ("a file named with a tab outside the write paths", ("echo x > \"$(printf 'na\\tme.txt')\"",), False),
    ("a file named with a quote outside the write paths", ("echo x > 'say\"hi\".txt'",), False),
    ("a file with a non-ASCII name outside the write paths", ("echo x > \"$(printf 'caf\\303\\251.txt')\"",), False),
    ("a symlink made outside the write paths", ("ln -s src/app.py link.py",), False),
    ("a deletion outside the write paths", ("rm README.md",), False),
    ("a file inside the write paths turned into a link out of them", ("ln -sf ../README.md src/app.py",), False),
    ("lines hidden in a binary file past the size limit", ("{ printf '\\0'; seq 1 200; } > src/data.bin",), True),
    ("lines in one long line past the size limit", ("head -c 20000 /dev/zero | tr '\\0' a > src/one.txt",), True),
    ("lines hidden by a '* -diff' .gitattributes past the size limit",
     ("printf '* -diff\\n' > src/.gitattributes", "seq 1 200 > src/many.txt"), True),
]  # fmt: skip
"""(name, the worker's commands, whether it is the size limit that must stop it): shared with the repository runs."""

CHANGE_ATTACKS = [_attack(name, *commands, limit=limit) for name, commands, limit in CHANGES]
