"""Batches and evals: one task run once per row (parameter values, a model), so many at a time, here or on Ray."""

from interns.agents.batch.create import new_batch
from interns.agents.batch.local import LocalExecutor, run_args
from interns.agents.batch.report import EvalReport, ModelFigures, eval_report, wilson_interval
from interns.agents.batch.review import RowDecision, accept_passed
from interns.agents.batch.rows import BatchInputError, each_rows, read_rows
from interns.agents.batch.runner import Executor, last_log_line, run_batch
from interns.agents.batch.store import BatchNotFound, BatchRow, BatchSpec, BatchStore, RowState

__all__ = [
    "BatchInputError",
    "BatchNotFound",
    "BatchRow",
    "BatchSpec",
    "BatchStore",
    "EvalReport",
    "Executor",
    "LocalExecutor",
    "ModelFigures",
    "RowDecision",
    "RowState",
    "accept_passed",
    "each_rows",
    "eval_report",
    "last_log_line",
    "new_batch",
    "read_rows",
    "run_args",
    "run_batch",
    "wilson_interval",
]
