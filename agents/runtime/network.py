"""A step's network as its sandbox takes it: the task's rules with the credentials' secrets read on the host."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from interns.errors import TaskError
from interns.journal import Event, NetworkConnection
from interns.sandbox.network import Connection, Credential, NetworkAccess
from interns.tasks import CredentialRule, NetworkRules


def sandbox_network(
    setting: bool | NetworkRules, credentials: Sequence[CredentialRule], environ: Mapping[str, str] = os.environ
) -> bool | NetworkAccess:
    """`true`/`false` as they are; rules as a `NetworkAccess` whose credentials hold the host's secrets."""
    if not isinstance(setting, NetworkRules):
        return setting
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
        record(
            NetworkConnection(
                step=step,
                host=connection.host,
                port=connection.port,
                method=connection.method,
                allowed=connection.allowed,
                rule=connection.rule,
                reason=connection.reason,
                address=connection.address,
                sent=connection.sent,
                received=connection.received,
                credential=connection.credential,
            )
        )

    return journal
