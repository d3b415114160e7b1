"""The tasks of the solve-rate benchmark: a project laid out in a folder, the words both agents get, and the judge.

Two tasks: the offline example (`examples/fix-failing-test`), and a real public project with its own test suite,
`inflection` 0.5.1, fetched from PyPI as an sdist (hash pinned) with a bug the benchmark plants. The judge is the
same for both agents: the protected files are byte for byte as they were, and the task's test command passes over a
fresh copy of the result with Debian's `/usr/bin/python3` (the interpreter both agents find on their PATH).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).parent / ".cache"
PATH = "/usr/local/bin:/usr/bin:/bin"
"""The PATH both agents' commands and the judge run with: Debian's python3, never the benchmark's virtualenv."""

INFLECTION_SDIST = "inflection-0.5.1.tar.gz"
INFLECTION_SHA256 = "1a29730d366e996aaacffb2f1f1cb9593dc38e2ddd30c91250c6dde09ea9b417"
INFLECTION_BUG = (
    "    if number % 100 in (11, 12, 13):\n",
    "    if number % 100 in (11, 12):\n",
)
"""The planted bug: `ordinal(13)` says "rd" (13rd) instead of "th"; four of the suite's cases fail."""


class TaskUnavailable(Exception):
    """A task cannot be laid out here (no network for its sdist, no pytest for its suite); the message says why."""


@dataclass(frozen=True)
class SolveTask:
    """One task both agents attempt: how to lay it out, what they are told, and how the result is judged."""

    name: str
    statement: str
    """The problem statement both agents get (interns gets it through its task file's goal, notes and do_not)."""
    check: str
    """The command that decides, run in the result folder with `PATH` above."""
    protected: tuple[str, ...]
    """Files that must be byte for byte as they were: the tests."""
    lay_out: Callable[[Path], None]
    """Fills an empty folder with the project, the bug planted."""
    task_file: Callable[[], dict[str, Any]]
    """The interns task file for it, before the benchmark's model settings and limits are set."""
    needs: tuple[str, ...] = field(default=())
    """Python modules `/usr/bin/python3` must have for the check to mean anything."""


def _example_project(dest: Path) -> None:
    shutil.copytree(ROOT / "examples" / "fix-failing-test" / "project", dest, dirs_exist_ok=True)


def _example_task() -> dict[str, Any]:
    task: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "fix-failing-test" / "task.yaml").read_text())
    return task


def inflection_sdist(cache: Path = CACHE) -> Path:
    """The inflection 0.5.1 sdist from PyPI, downloaded once into the cache and checked against its pinned hash."""
    sdist = cache / INFLECTION_SDIST
    if not sdist.exists():
        cache.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        done = subprocess.run(
            [*command, "--dest", str(cache), "inflection==0.5.1"], capture_output=True, text=True, check=False
        )
        if done.returncode != 0 or not sdist.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise TaskUnavailable(f"cannot download {INFLECTION_SDIST} from the package index: {last}")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != INFLECTION_SHA256:
        sdist.unlink()
        raise TaskUnavailable(f"{INFLECTION_SDIST} has sha256 {digest}, not the pinned {INFLECTION_SHA256}")
    return sdist


def _inflection_project(dest: Path) -> None:
    wanted = {"inflection/__init__.py", "test_inflection.py", "LICENSE", "README.rst"}
    with tarfile.open(inflection_sdist()) as archive:
        for member in archive.getmembers():
            relative = member.name.partition("/")[2]
            if relative in wanted and member.isfile():
                target = dest / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                assert source is not None
                target.write_bytes(source.read())
    module = dest / "inflection" / "__init__.py"
    text = module.read_text()
    right, wrong = INFLECTION_BUG
    if text.count(right) != 1:
        raise TaskUnavailable("the line the benchmark plants its bug in is not in inflection 0.5.1 as expected")
    module.write_text(text.replace(right, wrong))


def _inflection_task() -> dict[str, Any]:
    return {
        "version": 1,
        "name": "inflection-bug",
        "goal": "Make the test suite of the inflection library pass without changing the tests.",
        "workspace": {"folder": "project"},
        "context": {
            "files": ["inflection/__init__.py", "test_inflection.py"],
            "notes": "The tests are the specification. Run them with `python3 -m pytest -q test_inflection.py`.",
            "do_not": ["edit test_inflection.py", "add dependencies"],
        },
        "steps": [
            {
                "id": "fix",
                "instructions": "Run the tests, find the cause of the failures in inflection/__init__.py and fix it.",
                "done_when": ["python3 -m pytest -q test_inflection.py"],
            }
        ],
        "guardrails": {
            "sandbox": "bubblewrap",
            "network": False,
            "write": ["inflection/__init__.py"],
            "commands": {
                "allow": ["python3 *", "cat *", "ls *", "grep *", "sed -n *", "head *", "tail *"],
                "deny": ["pip *", "git push *"],
            },
        },
        "review": {"retries": 2},
    }


TASKS: dict[str, SolveTask] = {
    "fix-failing-test": SolveTask(
        name="fix-failing-test",
        statement=(
            "Make the unit tests of the calc project pass without changing the tests. The tests are the "
            "specification. Run them with `python3 -m unittest`. Do not edit test_calc.py; do not add dependencies."
        ),
        check="python3 -m unittest -q",
        protected=("test_calc.py",),
        lay_out=_example_project,
        task_file=_example_task,
    ),
    "inflection-bug": SolveTask(
        name="inflection-bug",
        statement=(
            "Make the test suite of the inflection library pass without changing the tests. The tests are the "
            "specification. Run them with `python3 -m pytest -q test_inflection.py`; the code is in "
            "inflection/__init__.py. Do not edit test_inflection.py; do not add dependencies."
        ),
        check="python3 -m pytest -q test_inflection.py",
        protected=("test_inflection.py",),
        lay_out=_inflection_project,
        task_file=_inflection_task,
        needs=("pytest",),
    ),
}


@dataclass
class Verdict:
    """Whether an attempt solved its task, and if not, why."""

    solved: bool
    reason: str = ""


def _digests(folder: Path, names: tuple[str, ...]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in names:
        path = folder / name
        regular = path.is_file() and not path.is_symlink()
        found[name] = hashlib.sha256(path.read_bytes()).hexdigest() if regular else None
    return found


def protected_in(task: SolveTask, folder: Path) -> dict[str, str | None]:
    """The sha256 of each of the task's protected files in `folder` (None where it is not a regular file)."""
    return _digests(folder, task.protected)


def protected_digests(task: SolveTask) -> dict[str, str | None]:
    """The sha256 of each protected file as the task lays it out."""
    with tempfile.TemporaryDirectory(prefix="solve-layout-") as scratch:
        task.lay_out(Path(scratch))
        return protected_in(task, Path(scratch))


def judge(task: SolveTask, result: Path, expected: dict[str, str | None], timeout: float = 300) -> Verdict:
    """Run the task's check over a fresh copy of `result`; solved when it passes and the tests are untouched."""
    if not result.is_dir():
        return Verdict(False, "no result folder")
    if _digests(result, task.protected) != expected:
        return Verdict(False, "changed the tests")
    with tempfile.TemporaryDirectory(prefix="solve-judge-") as scratch:
        copy = Path(scratch) / "result"
        shutil.copytree(result, copy, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        try:
            done = subprocess.run(
                ["bash", "-c", task.check],
                cwd=copy,
                env={"PATH": PATH, "HOME": scratch, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"},
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Verdict(False, "the tests timed out")
    output = done.stdout + done.stderr
    if done.returncode != 0:
        return Verdict(False, "tests fail")
    if "Ran 0 tests" in output or " no tests ran" in output:
        return Verdict(False, "ran no test")
    return Verdict(True)


def check_task(task: SolveTask) -> None:
    """That the task means something here: its modules are there, and its check fails on the project as laid out."""
    for module in task.needs:
        probe = subprocess.run(
            ["bash", "-c", f"python3 -c 'import {module}'"], env={"PATH": PATH}, capture_output=True, check=False
        )
        if probe.returncode != 0:
            raise TaskUnavailable(f"python3 on {PATH} has no {module} (Debian: apt-get install python3-{module})")
    with tempfile.TemporaryDirectory(prefix="solve-check-") as scratch:
        folder = Path(scratch)
        task.lay_out(folder)
        verdict = judge(task, folder, protected_in(task, folder))
    if verdict.solved:
        raise TaskUnavailable(f"{task.name}: the check passes before any fix, so it cannot tell a solve")
