"""Asking a person to approve an action: on a terminal when there is one; without one the run pauses for an answer."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from interns.agents.gate.visible import visible

if TYPE_CHECKING:
    import asyncio

__all__ = ["Answer", "Asker", "NoOneToAsk", "TerminalAsker", "default_asker", "shown_detail"]

PROMPT = "Allow? [y]es once / [a]lways in this run / [N]o "


@dataclass(frozen=True)
class Answer:
    """A person's answer: whether the action may go ahead, and why not when it may not."""

    approved: bool
    reason: str
    always: bool = False
    """Approved for the rest of the run: the same tool on the same target is not asked about again."""


class Asker(Protocol):
    """Something that can put a yes/no question about an action to a person."""

    interactive: bool
    """Whether a person answers now; if not, a worker's `ask` pauses the run until `interns approve` answers."""

    async def ask(self, question: str, detail: str, argv: Sequence[str] = ()) -> Answer:
        """Ask whether the action described may go ahead; `argv`, when given, is the exact command it runs."""
        ...


class NoOneToAsk:
    """The asker used without a terminal: workers pause for `interns approve`; other questions are answered no."""

    interactive = False

    async def ask(self, question: str, detail: str, argv: Sequence[str] = ()) -> Answer:
        """Deny, saying that no one could be asked."""
        return Answer(False, "it needs a person's approval and no one is at a terminal to give it")


class TerminalAsker:
    """Prompts on the terminal; one question at a time, even when several workers ask at once."""

    interactive = True

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or sys.stdout
        self._lock: asyncio.Lock | None = (
            None  # made on the first question: a run journals its start before asyncio loads
        )

    async def ask(self, question: str, detail: str, argv: Sequence[str] = ()) -> Answer:
        """Print the question and the detail (or the command's arguments, one a line), and read y/N."""
        import asyncio

        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            loop = asyncio.get_running_loop()
            answer: asyncio.Future[Answer] = loop.create_future()

            def settle(result: Answer) -> None:
                if not answer.done():
                    answer.set_result(result)

            def read() -> None:
                loop.call_soon_threadsafe(settle, self._ask_blocking(question, detail, argv))

            # A daemon thread, not the default executor: on Ctrl-C the run must end without waiting for a reply.
            threading.Thread(target=read, name="interns-ask", daemon=True).start()
            return await answer

    def _ask_blocking(self, question: str, detail: str, argv: Sequence[str]) -> Answer:
        self._stdout.write(f"\n{visible(question, one_line=True)}\n{shown_detail(detail, argv)}{PROMPT}")
        self._stdout.flush()
        line = self._stdin.readline()
        choice = line.strip().lower()
        if choice in {"y", "yes"}:
            return Answer(True, "approved by a person at the terminal")
        if choice in {"a", "always"}:
            return Answer(True, "approved by a person at the terminal for the rest of this run", always=True)
        if not line:
            return Answer(False, "the terminal closed without an answer")
        self._stdout.write("Why not? (the worker is told; Enter to give no reason) ")
        self._stdout.flush()
        why = self._stdin.readline().strip()
        return Answer(False, f"a person at the terminal said no: {why}" if why else "a person at the terminal said no")


def shown_detail(detail: str, argv: Sequence[str] = ()) -> str:
    """What is being approved as a person sees it: each argument on a line of its own, numbered, or else the detail;
    every control character and line break made visible, so nothing can hide a part of it or erase another."""
    if not argv:
        return f"    {visible(detail, one_line=True)}\n"
    return "".join(f"    [{index}] {visible(arg, one_line=True)}\n" for index, arg in enumerate(argv))


def default_asker() -> Asker:
    """A terminal asker when stdin is a terminal, else one that always says no."""
    return TerminalAsker() if sys.stdin.isatty() else NoOneToAsk()
