"""What the viewer's API answers about runs: the list, one run's summary, built from headers and cached scans."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any, cast

from interns.journal.events import RunStatus
from interns.journal.formats import stored_version
from interns.journal.header import HEADER_FILE, RunHeader, read_header
from interns.journal.layout import EVENTS_FILE, REVIEW_FILE
from interns.journal.store import RunStore
from interns.journal.viewer.diffs import DiffStats, diff_stats
from interns.journal.viewer.scan import RUN_LEVEL, RunScan

LIVE_STATUSES = ("running",)
"""A run whose writer is alive; one marked running whose process is gone reads as "interrupted" (`read_header`)."""
UNDECIDABLE_STATUSES = ("running", "interrupted", "awaiting_approval")
"""Runs no one can accept, reject or retry yet: they are going, or they stopped before their end."""
RESUMABLE_STATUSES = ("awaiting_approval", "interrupted", "cancelled")
"""Runs `interns resume` can go on with (the gate has the last word)."""
SCANS_KEPT = 256
"""Runs whose scan stays in memory; the least recently used beyond that is dropped and rescanned when asked for."""


def review_of(run_dir: Path) -> dict[str, Any] | None:
    """The decision a person made about the run in `run_dir` (accepted, rejected, retried), or None."""
    try:
        data = json.loads((run_dir / REVIEW_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def awaits_review(header: RunHeader, review: dict[str, Any] | None) -> bool:
    """Whether a person can still accept the run: it succeeded and no one has decided about it yet."""
    return review is None and header.status == "succeeded"


def decidable(header: RunHeader, review: dict[str, Any] | None) -> bool:
    """Whether a person can still decide about the run (accept, reject or retry): it ended and no one has yet."""
    return review is None and header.status not in UNDECIDABLE_STATUSES


class RunViews:
    """Read-only views of the runs of one store; every answer reflects the files as they are now."""

    def __init__(self, store: RunStore) -> None:
        """Views over `store`; scans are made on first use and kept, least recently used dropped first."""
        self.store = store
        self._lock = threading.Lock()
        self._scans: OrderedDict[str, tuple[RunScan, threading.Lock]] = OrderedDict()
        self._diffs: dict[str, DiffStats] = {}

    def scan(self, run_id: str) -> RunScan:
        """The run's scan, advanced to the end of what is written now (rescanned if the file was replaced)."""
        with self._lock:
            entry = self._scans.get(run_id)
            if entry is None:
                entry = self._scans[run_id] = (self._new_scan(run_id), threading.Lock())
            self._scans.move_to_end(run_id)
            while len(self._scans) > SCANS_KEPT:
                self._scans.popitem(last=False)
        scan, lock = entry
        with lock:
            if scan.advance():
                return scan
            fresh = self._new_scan(run_id)
            fresh.advance()
        with self._lock:
            self._scans[run_id] = (fresh, threading.Lock())
        return fresh

    def _new_scan(self, run_id: str) -> RunScan:
        run_dir = self.store.runs_dir / run_id
        scan = RunScan(run_dir / EVENTS_FILE)
        with suppress(OSError, ValueError):  # no header yet: the current version
            scan.version = stored_version(json.loads((run_dir / HEADER_FILE).read_bytes()))
        return scan

    def diff_stats(self, run_id: str) -> DiffStats:
        """Files changed by the run's final diff, with lines added and removed (cached while the file is unchanged)."""
        path = self.store.runs_dir / run_id / "final.diff"
        cached = self._diffs.get(run_id)
        stats = diff_stats(path, cached)
        self._diffs[run_id] = stats
        return stats

    def listing(
        self,
        *,
        status: str | None = None,
        task: str | None = None,
        text: str = "",
        awaiting_review: bool = False,
        limit: int = 200,
    ) -> dict[str, Any]:
        """Runs newest first, filtered by status, task, text in their names and outcome, and waiting for review.

        Without text or the review filter, a page is read from the run index (its headers only, the total counted
        there); those two filters look at every run of the status and task asked for, and its review.
        """
        limit = max(limit, 0)
        needle = text.strip().lower()
        if not needle and not awaiting_review:
            headers, total = self.store.page(status=cast(RunStatus | None, status), task=task, limit=limit)
            return {
                "runs": [self._row(header, review_of(self.store.runs_dir / header.run_id)) for header in headers],
                "total": total,
                "tasks": self.store.index.tasks(),
            }
        if awaiting_review:  # only a run that succeeded can wait for a person's review
            if status not in (None, "succeeded"):
                return {"runs": [], "total": 0, "tasks": self.store.index.tasks()}
            status = "succeeded"
        rows = []
        for header in self.store.list(status=cast(RunStatus | None, status), task=task):
            review = review_of(self.store.runs_dir / header.run_id)
            if awaiting_review and not awaits_review(header, review):
                continue
            if needle and needle not in _searchable(header, review):
                continue
            rows.append((header, review))
        return {
            "runs": [self._row(header, review) for header, review in rows[:limit]],
            "total": len(rows),
            "tasks": self.store.index.tasks(),
        }

    def _row(self, header: RunHeader, review: dict[str, Any] | None) -> dict[str, Any]:
        scan = self.scan(header.run_id)
        tally = scan.tally.as_dict()
        return {
            "run_id": header.run_id,
            "task": header.task,
            "goal": header.goal,
            "status": header.status,
            "reason": header.reason,
            "model": header.model,
            "scripted": header.scripted,
            "started": header.started.isoformat(),
            "finished": header.finished.isoformat() if header.finished else None,
            "duration": header.duration,
            "usage": tally["usage"],
            "denials": tally["denials"],
            "approvals": tally["approvals"],
            "waiting": len(scan.waiting),
            "steps": _progress(scan),
            "retry_of": scan.started.get("retry_of") if isinstance(scan.started.get("retry_of"), str) else None,
            "events": scan.count,
            "review": review,
            "awaiting_review": awaits_review(header, review),
        }

    def summary(self, ref: str) -> dict[str, Any]:
        """One run at a glance: header, plan with each step's state, totals, what was blocked, what changed."""
        run_id = self.store.resolve(ref)
        run_dir = self.store.runs_dir / run_id
        header = read_header(run_dir)
        scan = self.scan(run_id)
        review = review_of(run_dir)
        live = header.status in LIVE_STATUSES
        steps = [self._step(scan, step_id, header.status) for step_id in scan.steps if step_id != RUN_LEVEL]
        started = scan.started
        diff = self.diff_stats(run_id)
        return {
            "run": header.model_dump(mode="json") | {"duration": header.duration},
            "started": {key: started.get(key) for key in ("sandbox", "base_branch", "task_file", "retry_of")},
            "review": review,
            "awaiting_review": awaits_review(header, review),
            "can_accept": header.status == "succeeded" and review is None,
            "can_decide": decidable(header, review),
            "can_answer": header.status == "awaiting_approval" and review is None and bool(scan.waiting),
            "can_resume": header.status in RESUMABLE_STATUSES and review is None and not scan.waiting,
            "live": live,
            "plan": {"source": scan.plan_source, "steps": steps},
            "run_events": len(scan.steps[RUN_LEVEL].lines),
            "totals": scan.tally.as_dict(),
            "events": scan.count,
            "kinds": scan.kinds,
            "denied": _most_first(scan.denied.values()),
            "approved": _most_first(scan.approved.values()),
            "waiting": list(scan.waiting.values()),
            "diff": diff.as_dict() | {"changed_by": _changed_by(scan, diff)},
            "failure": _failure(scan, header),
            "finished_event": {key: scan.finished.get(key) for key in ("status", "reason", "failed_step")}
            if scan.finished
            else None,
        }

    @staticmethod
    def _step(scan: RunScan, step_id: str, run_status: str) -> dict[str, Any]:
        step = scan.steps[step_id]
        status = step.status
        if run_status not in LIVE_STATUSES and status == "running":
            status = "unfinished"
        elif run_status not in (*LIVE_STATUSES, "awaiting_approval") and status == "pending":
            status = "not run"  # a paused run's pending steps may still run: it goes on once answered
        return {
            "id": step.id,
            "planned": step.planned,
            "instructions": step.instructions,
            "needs": step.needs,
            "done_when": step.done_when,
            "tools": step.tools,
            "status": status,
            "attempts": step.attempts,
            "reason": step.reason,
            "summary": step.summary,
            "started": step.started,
            "finished": step.finished,
            "events": len(step.lines),
            "edits": len(step.edits),
            "sent_back": step.sent_back,
            "turns": step.turns,
            "last_check": step.last_check,
            "tally": step.tally.as_dict(),
        }


def _changed_by(scan: RunScan, diff: DiffStats) -> dict[str, list[str]]:
    """For each file of the final diff, the steps whose workers wrote or edited it with their file tools."""
    return {str(f["path"]): scan.changed_by.get(str(f["path"]), []) for f in diff.files}


def _progress(scan: RunScan) -> dict[str, int]:
    """How many of the run's steps succeeded, of how many it has."""
    steps = [step for key, step in scan.steps.items() if key != RUN_LEVEL]
    return {"done": sum(step.status == "succeeded" for step in steps), "total": len(steps)}


def _failure(scan: RunScan, header: RunHeader) -> dict[str, Any] | None:
    """The failing check behind a run that did not succeed: of its failed step, else of the first step that failed."""
    if header.status in ("succeeded", *LIVE_STATUSES):
        return None
    failed = [header.failed_step] if header.failed_step in scan.steps else []
    failed += [key for key, step in scan.steps.items() if step.status in ("failed", "limit_exceeded", "stuck")]
    for key in [*failed, RUN_LEVEL]:
        if (found := scan.steps[key].failure) is not None:
            return found | {"step": key or None}
    return None


def _most_first(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries with a count, the most frequent first, then in the order they first happened."""
    return sorted(({**entry, "steps": list(entry["steps"])} for entry in entries), key=lambda e: (-e["count"], e["n"]))


def _searchable(header: RunHeader, review: dict[str, Any] | None) -> str:
    parts = [header.run_id, header.task, header.goal, header.model, header.status, header.reason, header.workspace]
    parts += [header.failed_step or "", str((review or {}).get("decision", "")), str((review or {}).get("note", ""))]
    return "\n".join(parts).lower()
