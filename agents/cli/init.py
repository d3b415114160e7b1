"""`interns init` and `interns new`: start a folder of task files, or a task from one of the worked examples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Annotated

import typer

from interns.agents.cli.common import PROG, fail, out

__all__ = ["init", "new"]

TEMPLATES = Path(__file__).parent / "templates"
"""Commented task files, one for each kind of workflow the kit is made for."""
EXAMPLES = Path(__file__).parents[2] / "examples"
"""The worked examples, each a folder with a task file, its sample data and a scripted model."""


def init(
    folder: Annotated[Path, typer.Argument(help="Where to put the task files.")] = Path("tasks"),
) -> None:
    """Make a folder of commented task files, one for each kind of workflow: code, notes, reports, reviews, mail.

    Files already there are left as they are.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for template in sorted(TEMPLATES.glob("*.yaml")):
        dest = folder / template.name
        if dest.exists():
            out.print(f"kept     {dest} (it exists)", markup=False)
            continue
        shutil.copyfile(template, dest)
        out.print(f"created  {dest}", markup=False)
    out.print(f"\nEdit the paths in one, then: {PROG} check {folder}/<file>.yaml && {PROG} run {folder}/<file>.yaml")


def _examples() -> list[str]:
    return sorted(p.name for p in EXAMPLES.iterdir() if (p / "task.yaml").is_file()) if EXAMPLES.is_dir() else []


def new(
    name: Annotated[str, typer.Argument(help="The new task's name: lowercase letters, digits, '-' and '_'.")],
    from_example: Annotated[str, typer.Option("--from", metavar="EXAMPLE", help="The worked example to start from.")],
    folder: Annotated[Path, typer.Option("--dir", help="Where the new task's folder goes.")] = Path("tasks"),
) -> None:
    """Copy a worked example (its task file, sample data and script) into a folder of your own, renamed."""
    from interns.tasks.spec import NAME_PATTERN

    if not re.fullmatch(NAME_PATTERN, name):
        raise fail(f"{name!r} is not a task name: use lowercase letters, digits, '-' and '_'")
    examples = _examples()
    if from_example not in examples:
        raise fail(f"no example {from_example!r}; the examples are: {', '.join(examples) or 'none found'}")
    dest = folder / name
    if dest.exists():
        raise fail(f"{dest} exists; choose another name or --dir")
    shutil.copytree(EXAMPLES / from_example, dest, ignore=shutil.ignore_patterns(".interns", "repo", "__pycache__"))
    task = dest / "task.yaml"
    text = task.read_text(encoding="utf-8")
    task.write_text(re.sub(r"(?m)^name: .*$", f"name: {name}", text, count=1), encoding="utf-8")
    out.print(f"created  {dest} from the example {from_example}", markup=False)
    readme = dest / "README.md"
    if readme.exists():
        # The example's README names its own paths (examples/<example>/...): point them at the copy.
        text = readme.read_text(encoding="utf-8")
        readme.write_text(text.replace(f"examples/{from_example}", dest.as_posix()), encoding="utf-8")
        out.print(f"read     {readme}", markup=False)
    out.print(f"then:    {PROG} check {task} && {PROG} run {task}", markup=False)
