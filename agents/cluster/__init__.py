"""Batches and evals on a Ray cluster: rows as Ray tasks on its nodes, journals streamed back (`interns[ray]`)."""

from interns.agents.cluster.executor import RayExecutor, RayUnavailable, connect
from interns.agents.cluster.messages import Chunk, Ended, Refused, Started
from interns.agents.cluster.node import stream_row
from interns.agents.cluster.sink import JournalSink, SinkError
from interns.agents.cluster.tail import RunTail

__all__ = [
    "Chunk",
    "Ended",
    "JournalSink",
    "RayExecutor",
    "RayUnavailable",
    "Refused",
    "RunTail",
    "SinkError",
    "Started",
    "connect",
    "stream_row",
]
