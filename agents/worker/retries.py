"""The model API's own retries, journaled: an overloaded (529), rate-limited (429) or failing (5xx) answer that the
provider's SDK retries by itself would otherwise leave no trace, and a run that waited minutes would not say why.

The SDKs (Anthropic's, OpenAI's) retry inside one pydantic-ai request and number each try in the
`x-stainless-retry-count` header. The HTTP client made here sees every answer; one that will be retried goes to the
recorder of the agent that sent it, which the worker (or the supervisor, for its own agents) sets for its context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpx2 as httpx  # the HTTP client pydantic-ai and the provider SDKs use

from interns.journal import ModelRetried

__all__ = ["RETRIED_STATUSES", "recording_retries", "watched_client"]

RETRIED_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
"""The answers the SDKs retry (Anthropic's 529 is 'overloaded')."""

_RECORD: ContextVar[Callable[[ModelRetried], object] | None] = ContextVar("interns_model_retries", default=None)
_STEP: ContextVar[str | None] = ContextVar("interns_model_retries_step", default=None)


@contextmanager
def recording_retries(record: Callable[[ModelRetried], object], step: str | None = None) -> Iterator[None]:
    """Journal, with `record`, the retries of the model requests made in this context (a worker's, for `step`)."""
    tokens = (_RECORD.set(record), _STEP.set(step))
    try:
        yield
    finally:
        _RECORD.reset(tokens[0])
        _STEP.reset(tokens[1])


def _wait(headers: httpx.Headers) -> float | None:
    """How long the answer asks to wait: `retry-after-ms`, else `retry-after` in seconds; None if it does not say."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / scale
        except (KeyError, ValueError):
            continue
    return None


async def _on_response(response: httpx.Response) -> None:
    if response.status_code not in RETRIED_STATUSES or (record := _RECORD.get()) is None:
        return
    try:
        tried = int(response.request.headers.get("x-stainless-retry-count", "0"))
    except ValueError:
        tried = 0
    wait = _wait(response.headers)
    record(ModelRetried(step=_STEP.get(), status=response.status_code, attempt=tried + 1, wait_seconds=wait))


def watched_client() -> httpx.AsyncClient:
    """An HTTP client for a provider whose retried answers are journaled; timeouts as the SDKs set their own."""
    return httpx.AsyncClient(event_hooks={"response": [_on_response]}, timeout=httpx.Timeout(600.0, connect=5.0))
