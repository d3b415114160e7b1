"""A step's network as its sandbox takes it: the task's rules with the credentials' secrets read on the host."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from interns.errors import TaskError
from interns.journal import Event, NetworkConnection
from interns.sandbox.network import Connection, Credential, NetworkAccess
from interns.tasks import CredentialRule, NetworkRules

ANY_HOST = NetworkRules(allow=["*"])
"""What `network: true` means on an isolating sandbox: any host by name, through the proxy, never this machine."""


def sandbox_network(
    setting: bool | NetworkRules,
    credentials: Sequence[CredentialRule],
    backend: str,
    environ: Mapping[str, str] = os.environ,
) -> bool | NetworkAccess:
    """What the sandbox gets: nothing for `false`; otherwise the proxy, its rules' credentials holding the host's
    secrets (`true` is any host). A local sandbox, which cannot be held to a proxy, keeps `true` as it is."""
    if setting is False or (setting is True and backend == "local"):
        return setting
    if setting is True:
        setting = ANY_HOST
    added = []
    for rule in credentials:
        secret = environ.get(rule.env)
        if not secret:
            raise TaskError(f"guardrails.credentials: {rule.env} is not set in this environment (for {rule.host})")
        added.append(Credential(rule.host, rule.header, rule.value.replace("{}", secret)))
    return NetworkAccess(allow=tuple(setting.allow), deny=tuple(setting.deny), credentials=tuple(added))


def journal_connections(record: Callable[[Event], Any], step: str | None) -> Callable[[Connection], None]:
    """What the proxy calls for each connection: one `NetworkConnection` event for the step (None: setup)."""

    def journal(connection: Connection) -> None:
        record(NetworkConnection(step=step, **dataclasses.asdict(connection)))

    return journal
