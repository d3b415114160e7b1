"""Asking a person to approve an action: on a terminal when there is one, otherwise the answer is no."""

from __future__ import annotations

import asyncio
import sys
import threading
from dataclasses import dataclass
from typing import Protocol, TextIO

__all__ = ["Answer", "Asker", "NoOneToAsk", "TerminalAsker", "default_asker"]


@dataclass(frozen=True)
class Answer:
    """A person's answer: whether the action may go ahead, and why not when it may not."""

    approved: bool
    reason: str


class Asker(Protocol):
    """Something that can put a yes/no question about an action to a person."""

    async def ask(self, question: str, detail: str) -> Answer:
        """Ask whether the action described may go ahead."""
        ...


class NoOneToAsk:
    """The asker used without a terminal: nobody can answer, so every question is answered no."""

    async def ask(self, question: str, detail: str) -> Answer:
        """Deny, saying that no one could be asked."""
        return Answer(False, "it needs a person's approval and no one is at a terminal to give it")


class TerminalAsker:
    """Prompts on the terminal; one question at a time, even when several workers ask at once."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or sys.stdout
        self._lock = asyncio.Lock()

    async def ask(self, question: str, detail: str) -> Answer:
        """Print the question and the detail, and read y/N from the terminal."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            answer: asyncio.Future[Answer] = loop.create_future()

            def settle(result: Answer) -> None:
                if not answer.done():
                    answer.set_result(result)

            def read() -> None:
                loop.call_soon_threadsafe(settle, self._ask_blocking(question, detail))

            # A daemon thread, not the default executor: on Ctrl-C the run must end without waiting for a reply.
            threading.Thread(target=read, name="interns-ask", daemon=True).start()
            return await answer

    def _ask_blocking(self, question: str, detail: str) -> Answer:
        self._stdout.write(f"\n{question}\n    {detail}\nAllow? [y/N] ")
        self._stdout.flush()
        line = self._stdin.readline()
        if line.strip().lower() in {"y", "yes"}:
            return Answer(True, "approved by a person at the terminal")
        return Answer(False, "a person at the terminal said no" if line else "the terminal closed without an answer")


def default_asker() -> Asker:
    """A terminal asker when stdin is a terminal, else one that always says no."""
    return TerminalAsker() if sys.stdin.isatty() else NoOneToAsk()
