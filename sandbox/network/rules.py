"""What a sandbox behind the proxy may reach: host names allowed and denied, and the addresses never reached.

Decisions are made by the name the sandbox asked for, never by an address a DNS answer chose; the address the proxy
then connects to must be a public one (not the host's loopback, its own interfaces, a private network or the cloud
metadata address), unless the task allows that very address literally.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
HOST_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
"""A host name as the proxy accepts it: lowercase labels of letters, digits, '-' and '_' (after normalising)."""


@dataclass(frozen=True)
class Credential:
    """A header the proxy adds to HTTPS requests for one host; its value is read on the host, never in the sandbox."""

    host: str
    header: str
    value: str
    """The header's full value, the secret already put in."""


@dataclass(frozen=True)
class NetworkAccess:
    """A sandbox's way out through the proxy: which hosts, which headers to add, and (for tests) fixed addresses."""

    allow: tuple[str, ...] = ("*",)
    """Host names (`pypi.org`), subdomain patterns (`*.github.com`), `*` for any name, or literal IP addresses."""
    deny: tuple[str, ...] = ()
    """Patterns refused even when `allow` matches them."""
    credentials: tuple[Credential, ...] = field(default=(), repr=False)
    """Headers added at the proxy, host by host."""
    routes: Mapping[str, str] = field(default_factory=dict)
    """Host name → address, in place of DNS and of the public-address rule: for tests' servers on loopback only."""
    upstream_cafile: str | None = None
    """Authorities trusted upstream (where the proxy ends TLS) in place of this host's: for tests' servers only."""


@dataclass(frozen=True)
class Decision:
    """Whether a host may be reached, and the rule (or missing rule) that says so."""

    allowed: bool
    rule: str
    """The pattern that decided, or "" when no allow pattern matched."""
    reason: str


def normal_host(host: str) -> str:
    """A host name lowercased, without a trailing dot or IPv6 brackets."""
    host = host.strip().lower().rstrip(".")
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `host` is written as (dotted or IPv6 form only), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def valid_host(host: str) -> bool:
    """Whether `host` (normalised) is a plain host name or a literal address; anything else is refused unread."""
    return literal_address(host) is not None or (len(host) <= 253 and HOST_NAME.match(host) is not None)


def matches(pattern: str, host: str) -> bool:
    """Whether `host` falls under `pattern`: `*` any name, `*.example.com` its subdomains (not itself), else exact."""
    pattern = normal_host(pattern)
    if pattern == "*":
        return literal_address(host) is None
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def decide(access: NetworkAccess, host: str) -> Decision:
    """Allow `host` when an allow pattern matches it and no deny pattern does."""
    for pattern in access.deny:
        if matches(pattern, host):
            return Decision(False, pattern, f"{host} is denied by guardrails.network.deny '{pattern}'")
    for pattern in access.allow:
        if matches(pattern, host):
            return Decision(True, pattern, f"allowed by '{pattern}'")
    return Decision(False, "", f"{host} is not in guardrails.network.allow")


def explicitly_allowed_address(access: NetworkAccess, address: str) -> bool:
    """Whether `allow` names this very address (the only way to reach a private or local one)."""
    found = literal_address(address)
    return found is not None and any(literal_address(normal_host(p)) == found for p in access.allow)


def refused_address(address: str) -> str:
    """Why the proxy must not connect to `address` ("" when it may): it must be public and not this host's own."""
    found = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        found = found.ipv4_mapped
    if found.is_loopback:
        return f"{address} is this machine's loopback"
    if found.is_link_local:
        return f"{address} is link-local (cloud metadata lives there)"
    if not found.is_global or found.is_multicast:
        return f"{address} is not a public address"
    if _is_own_address(str(found)):
        return f"{address} is one of this machine's own addresses"
    return ""


def _is_own_address(address: str) -> bool:
    """Whether this host has `address` on an interface: only then can a socket bind to it."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True
