"""The package's public surface and its place in the import order."""

import inspect
import subprocess
import sys

from interns import journal

PUBLIC = {
    # events
    "CheckResult", "CommandRun", "Event", "EventAdapter", "FinalStatus", "ModelResponse", "ModelRetried", "Notice",
    "PolicyDecision", "NetworkConnection", "ContextCompacted",
    "MergeResult", "PlanMade", "ReviewVerdict", "RunFinished", "RunStarted", "RunStatus", "StepFinished", "StepRetry",
    "StepStarted", "StepStatus", "ToolCall", "ApprovalRequested", "ApprovalAnswered", "BatchLink", "RunResumed",
    "UnknownEvent", "Usage", "Verdict", "parse_event",
    # writing
    "FORMAT_VERSION", "Journal", "JournalClosed", "Redactor", "RunHeader", "open_run",
    # going on with a run that stopped
    "RunStillGoing", "reopen_run",
    # reading
    "AmbiguousRun", "RunIndex", "RunLookupError", "RunNotFound", "RunStore",
}  # fmt: skip


def test_the_exported_names_are_the_intended_ones() -> None:
    assert set(journal.__all__) == PUBLIC
    assert all(hasattr(journal, name) for name in journal.__all__)


def test_every_exported_class_and_function_has_a_docstring() -> None:
    undocumented = [
        name
        for name in journal.__all__
        if (inspect.isclass(getattr(journal, name)) or inspect.isfunction(getattr(journal, name)))
        and not getattr(journal, name).__doc__
    ]

    assert undocumented == []


def test_journal_imports_neither_agents_nor_sandbox() -> None:
    ours = "sorted(m for m in sys.modules if m.split('.')[1:2] in (['agents'], ['sandbox']))"
    check = f"import sys, interns.journal; print({ours})"

    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)

    assert (result.returncode, result.stdout.strip()) == (0, "[]")
