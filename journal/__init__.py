"""The journal of every run: typed events, the append-only run directory, its index, redaction, and readers.

Names are imported on first use: listing runs reads headers without building the event models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interns.journal.events import (
        ApprovalAnswered,
        ApprovalRequested,
        CheckResult,
        CommandRun,
        ContextCompacted,
        Event,
        EventAdapter,
        MergeResult,
        ModelResponse,
        ModelRetried,
        NetworkConnection,
        Notice,
        PlanMade,
        PolicyDecision,
        ReviewVerdict,
        RunFinished,
        RunResumed,
        RunStarted,
        StepFinished,
        StepRetry,
        StepStarted,
        StepStatus,
        ToolCall,
        UnknownEvent,
        Verdict,
        parse_event,
    )
    from interns.journal.formats import FORMAT_VERSION
    from interns.journal.header import BatchLink, RunHeader
    from interns.journal.index import RunIndex
    from interns.journal.redact import Redactor
    from interns.journal.reopen import RunStillGoing, reopen_run
    from interns.journal.run import Journal, JournalClosed, open_run
    from interns.journal.store import AmbiguousRun, RunLookupError, RunNotFound, RunStore
    from interns.journal.usage import FinalStatus, RunStatus, Usage

_WHERE = {
    "AmbiguousRun": "interns.journal.store",
    "ApprovalAnswered": "interns.journal.events",
    "ApprovalRequested": "interns.journal.events",
    "BatchLink": "interns.journal.header",
    "CheckResult": "interns.journal.events",
    "CommandRun": "interns.journal.events",
    "ContextCompacted": "interns.journal.events",
    "Event": "interns.journal.events",
    "EventAdapter": "interns.journal.events",
    "FORMAT_VERSION": "interns.journal.formats",
    "FinalStatus": "interns.journal.usage",
    "Journal": "interns.journal.run",
    "JournalClosed": "interns.journal.run",
    "MergeResult": "interns.journal.events",
    "ModelResponse": "interns.journal.events",
    "ModelRetried": "interns.journal.events",
    "NetworkConnection": "interns.journal.events",
    "Notice": "interns.journal.events",
    "PlanMade": "interns.journal.events",
    "PolicyDecision": "interns.journal.events",
    "Redactor": "interns.journal.redact",
    "ReviewVerdict": "interns.journal.events",
    "RunFinished": "interns.journal.events",
    "RunHeader": "interns.journal.header",
    "RunIndex": "interns.journal.index",
    "RunLookupError": "interns.journal.store",
    "RunNotFound": "interns.journal.store",
    "RunResumed": "interns.journal.events",
    "RunStarted": "interns.journal.events",
    "RunStatus": "interns.journal.usage",
    "RunStillGoing": "interns.journal.reopen",
    "RunStore": "interns.journal.store",
    "StepFinished": "interns.journal.events",
    "StepRetry": "interns.journal.events",
    "StepStarted": "interns.journal.events",
    "StepStatus": "interns.journal.events",
    "ToolCall": "interns.journal.events",
    "UnknownEvent": "interns.journal.events",
    "Usage": "interns.journal.usage",
    "Verdict": "interns.journal.events",
    "open_run": "interns.journal.run",
    "parse_event": "interns.journal.events",
    "reopen_run": "interns.journal.reopen",
}

__all__ = [
    "FORMAT_VERSION",
    "AmbiguousRun",
    "ApprovalAnswered",
    "ApprovalRequested",
    "BatchLink",
    "CheckResult",
    "CommandRun",
    "ContextCompacted",
    "Event",
    "EventAdapter",
    "FinalStatus",
    "Journal",
    "JournalClosed",
    "MergeResult",
    "ModelResponse",
    "ModelRetried",
    "NetworkConnection",
    "Notice",
    "PlanMade",
    "PolicyDecision",
    "Redactor",
    "ReviewVerdict",
    "RunFinished",
    "RunHeader",
    "RunIndex",
    "RunLookupError",
    "RunNotFound",
    "RunResumed",
    "RunStarted",
    "RunStatus",
    "RunStillGoing",
    "RunStore",
    "StepFinished",
    "StepRetry",
    "StepStarted",
    "StepStatus",
    "ToolCall",
    "UnknownEvent",
    "Usage",
    "Verdict",
    "open_run",
    "parse_event",
    "reopen_run",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    if name not in _WHERE:
        raise AttributeError(f"module 'interns.journal' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
