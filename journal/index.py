"""The run index: one SQLite table of run headers, a cache of the run directories that can always be rebuilt."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing, suppress
from pathlib import Path
from typing import TypeVar

from interns.journal.header import RunHeader

SCHEMA_VERSION = 4
"""Kept in SQLite's `user_version`; an index of another schema is dropped and rebuilt, never migrated."""

_SCHEMA = (
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        task TEXT NOT NULL,
        status TEXT NOT NULL,
        model TEXT NOT NULL,
        started REAL NOT NULL,
        finished REAL,
        cost_usd REAL,
        total_tokens INTEGER NOT NULL,
        header TEXT NOT NULL,
        batch_id TEXT,
        batch_row INTEGER
    )""",
    "CREATE INDEX runs_by_started ON runs (started DESC, run_id DESC)",
    "CREATE INDEX runs_by_task ON runs (task, started DESC)",
    "CREATE INDEX runs_by_status ON runs (status, started DESC)",
    "CREATE INDEX runs_by_batch ON runs (batch_id, batch_row, started)",
    # The run folder's mtime when the index last held exactly its runs: a new process lists without a folder scan.
    "CREATE TABLE synced (folder_mtime_ns INTEGER NOT NULL)",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
_UPSERT = "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

T = TypeVar("T")


def _row(header: RunHeader) -> tuple[object, ...]:
    return (
        header.run_id,
        header.task,
        header.status,
        header.model,
        header.started.timestamp(),
        header.finished.timestamp() if header.finished else None,
        header.usage.cost_usd,
        header.usage.total_tokens,
        header.model_dump_json(),
        header.batch.batch_id if header.batch is not None else None,
        header.batch.row if header.batch is not None else None,
    )


def _where(**equal: object) -> tuple[str, list[object]]:
    """A WHERE clause for the columns given a value (None: any), and its parameters."""
    given = {column: value for column, value in equal.items() if value is not None}
    clause = " WHERE " + " AND ".join(f"{column} = ?" for column in given) if given else ""
    return clause, list(given.values())


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code, without the extended bits
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


class RunIndex:
    """Run headers in SQLite (WAL mode), for listing and filtering many runs without reading their directories.

    A missing, corrupt or outdated index file is replaced by an empty one on first use; `RunStore` fills it from
    the run directories. Each call opens its own connection, so one index may be used from threads and processes.
    """

    def __init__(self, path: Path) -> None:
        """An index kept in the SQLite file at `path` (not opened until used)."""
        self.path = path

    def upsert(self, headers: Iterable[RunHeader]) -> None:
        """Add these runs, or replace what the index held for them."""
        rows = [_row(header) for header in headers]
        self._use(lambda conn: conn.executemany(_UPSERT, rows))

    def delete(self, run_ids: Iterable[str]) -> None:
        """Forget these runs."""
        rows = [(run_id,) for run_id in run_ids]
        self._use(lambda conn: conn.executemany("DELETE FROM runs WHERE run_id = ?", rows))

    def replace_all(self, headers: Iterable[RunHeader]) -> int:
        """Make the index hold exactly these runs; returns how many."""
        rows = [_row(header) for header in headers]

        def replace(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM runs")
            conn.execute("DELETE FROM synced")
            conn.executemany(_UPSERT, rows)

        self._use(replace)
        return len(rows)

    def synced_with(self) -> int | None:
        """The run folder's mtime (ns) when the index last held exactly its runs, if it was marked."""
        row = self._use(lambda conn: conn.execute("SELECT folder_mtime_ns FROM synced").fetchone())
        return None if row is None else int(row[0])

    def mark_synced(self, folder_mtime_ns: int) -> None:
        """Record that the index holds exactly the runs of the folder as it was at `folder_mtime_ns`."""

        def mark(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM synced")
            conn.execute("INSERT INTO synced VALUES (?)", (folder_mtime_ns,))

        self._use(mark)

    def run_ids(self) -> set[str]:
        """The ids of every run in the index."""
        return self._use(lambda conn: {run_id for (run_id,) in conn.execute("SELECT run_id FROM runs")})

    def query(
        self,
        *,
        status: str | None = None,
        task: str | None = None,
        limit: int | None = None,
        batch_id: str | None = None,
        batch_row: int | None = None,
    ) -> list[RunHeader]:
        """Headers as stored, newest first, optionally only of one status, one task, one batch and one of its rows,
        at most `limit`."""
        where, params = _where(status=status, task=task, batch_id=batch_id, batch_row=batch_row)
        sql = "SELECT header FROM runs" + where + " ORDER BY started DESC, run_id DESC LIMIT ?"
        params.append(-1 if limit is None else limit)  # SQLite reads a negative limit as none
        rows = self._use(lambda conn: conn.execute(sql, params).fetchall())
        return [RunHeader.model_validate_json(header) for (header,) in rows]

    def count(self, *, status: str | None = None, task: str | None = None) -> int:
        """How many runs the index holds, optionally only of one status and one task."""
        where, params = _where(status=status, task=task)
        return int(self._use(lambda conn: conn.execute("SELECT COUNT(*) FROM runs" + where, params).fetchone()[0]))

    def tasks(self) -> list[str]:
        """The names of the tasks of every run, sorted."""
        rows = self._use(lambda conn: conn.execute("SELECT DISTINCT task FROM runs ORDER BY task").fetchall())
        return [task for (task,) in rows]

    def _use(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one transaction; an index found corrupt is deleted and the work done on a fresh one."""
        try:
            return self._transaction(work)
        except sqlite3.DatabaseError as exc:
            if not _is_corrupt(exc):
                raise
        for path in (
            self.path,
            self.path.with_name(self.path.name + "-wal"),
            self.path.with_name(self.path.name + "-shm"),
        ):
            path.unlink(missing_ok=True)
        return self._transaction(work)

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10.0, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self._create_schema(conn)
            conn.execute("BEGIN")
            try:
                result = work(conn)
            except BaseException:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    @staticmethod
    def _create_schema(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")  # the write lock first, then look again: another process may have just done it
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            conn.execute("DROP TABLE IF EXISTS runs")
            conn.execute("DROP TABLE IF EXISTS synced")
            for statement in _SCHEMA:
                conn.execute(statement)
        conn.execute("COMMIT")
