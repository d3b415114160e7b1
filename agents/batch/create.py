"""A new batch or eval: its rows checked against the task before anything runs, and written down."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from interns import tasks
from interns.agents.batch.rows import BatchInputError
from interns.agents.runtime.runner import Runner
from interns.journal.batches import BatchRow, BatchSpec, BatchStore

__all__ = ["new_batch"]

_SCRIPTED = "scripted:"


def new_batch(
    store: BatchStore,
    task_file: Path,
    rows: Sequence[dict[str, str]],
    *,
    models: Sequence[str | None] = (None,),
    repeat: int = 1,
    kind: Literal["batch", "eval"] = "batch",
    concurrency: int = 1,
    on: str = "local",
) -> BatchSpec:
    """A batch of `task_file` over `rows`, each run `repeat` times on each of `models` (None: the task's own).

    The first row is checked as `interns run` checks a run (model, script, sandbox, workspace); every row's values
    are read as the task's params, each problem named with its row. Relative paths become absolute, so the runs
    need not start where the batch was made.
    """
    task_file = task_file.absolute()
    problems = []
    specs = []
    for number, given in enumerate(rows, start=1):
        try:
            specs.append(tasks.load(task_file, given))
        except tasks.TaskFileError as exc:
            problems += [f"row {number}: {problem}" for problem in exc.problems]
    if problems:
        raise BatchInputError(
            "\n".join(problems[:50]) + (f"\n... {len(problems) - 50} more" if len(problems) > 50 else "")
        )
    models = [_absolute_model(model) for model in models]
    for model in dict.fromkeys(models):  # on a cluster, each node checks its own sandbox backend
        Runner(store.root).check(task_file, model, rows[0], backend=on == "local")
    batch_rows = [
        BatchRow(params=_absolute_paths(spec, given), model=model)
        for model in models
        for spec, given in zip(specs, rows, strict=True)
        for _ in range(repeat)
    ]
    return store.create(
        kind=kind, task=specs[0].name, task_file=task_file, rows=batch_rows, concurrency=concurrency, on=on
    )


def _absolute_paths(spec: tasks.TaskSpec, given: dict[str, str]) -> dict[str, str]:
    """The row's values, a `path` param's made absolute from here as `-p` would read it here."""
    values = tasks.param_values(spec.params, given)
    return {name: str(values[name]) if spec.params[name].type == "path" else text for name, text in given.items()}


def _absolute_model(model: str | None) -> str | None:
    if model is None or not model.startswith(_SCRIPTED):
        return model
    return _SCRIPTED + str(Path(model.removeprefix(_SCRIPTED)).expanduser().absolute())
