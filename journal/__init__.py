"""The journal of every run: typed events, the append-only run directory, its index, redaction, and readers."""

from journal.events import (
    CheckResult,
    CommandRun,
    Event,
    EventAdapter,
    FinalStatus,
    ModelResponse,
    Notice,
    PolicyDecision,
    RunFinished,
    RunStarted,
    RunStatus,
    StepFinished,
    StepRetry,
    StepStarted,
    StepStatus,
    ToolCall,
    UnknownEvent,
    Usage,
    Verdict,
    parse_event,
)
from journal.formats import FORMAT_VERSION
from journal.header import RunHeader
from journal.index import RunIndex
from journal.redact import Redactor
from journal.run import Journal, JournalClosed, open_run
from journal.store import AmbiguousRun, RunLookupError, RunNotFound, RunStore

__all__ = [
    "FORMAT_VERSION",
    "AmbiguousRun",
    "CheckResult",
    "CommandRun",
    "Event",
    "EventAdapter",
    "FinalStatus",
    "Journal",
    "JournalClosed",
    "ModelResponse",
    "Notice",
    "PolicyDecision",
    "Redactor",
    "RunFinished",
    "RunHeader",
    "RunIndex",
    "RunLookupError",
    "RunNotFound",
    "RunStarted",
    "RunStatus",
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
]
