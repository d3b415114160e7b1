"""Batches and evals: one task run once per row (parameter values, a model), so many at a time, here or on Ray.

Their files and figures are the journal's (`interns.journal.batches`, `interns.journal.evals`).
"""

from interns.agents.batch.create import new_batch
from interns.agents.batch.local import LocalExecutor, run_args
from interns.agents.batch.review import RowDecision, accept_passed
from interns.agents.batch.rows import BatchInputError, each_rows, read_rows
from interns.agents.batch.runner import Executor, last_log_line, run_batch

__all__ = [
    "BatchInputError",
    "Executor",
    "LocalExecutor",
    "RowDecision",
    "accept_passed",
    "each_rows",
    "last_log_line",
    "new_batch",
    "read_rows",
    "run_args",
    "run_batch",
]
