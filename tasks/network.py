"""What a task's sandboxes may reach on the network: off, on, or only named hosts through the run's proxy."""

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, StringConstraints, Tag
from pydantic_core import PydanticCustomError

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


def _host_pattern(pattern: str) -> str:
    """A host name, `*.` and a domain, `*`, or a literal IP address; lowercased."""
    text = pattern.strip().lower()
    text = text[:-1] if text.endswith(".") and text != "*." else text  # a fully qualified name's dot
    if text == "*":
        return text
    with_wildcard = text.startswith("*.")
    name = text[2:] if with_wildcard else text
    if not with_wildcard and _is_address(name.strip("[]")):
        return name.strip("[]")
    if _NAME.match(name) and len(name) <= 253:
        return text
    raise PydanticCustomError(
        "host_pattern",
        "{pattern} is not a host pattern: write a host name (pypi.org), `*.` and a domain for its subdomains "
        "(*.githubusercontent.com), `*` for any name, or an IP address",
        {"pattern": f"'{pattern}'"},
    )


def _host_name(host: str) -> str:
    """One host, no wildcard."""
    text = _host_pattern(host)
    if "*" in text:
        raise PydanticCustomError("host_pattern", "{host} must be one host, without '*'", {"host": f"'{host}'"})
    return text


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


HostPattern = Annotated[str, AfterValidator(_host_pattern)]
"""`pypi.org`, `*.pythonhosted.org` (its subdomains, not itself), `*` (any name), or an IP address."""
HostName = Annotated[str, AfterValidator(_host_name)]
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")]


class NetworkRules(BaseModel):
    """Only these hosts, through a proxy on the host that is the sandbox's one way out; everything else is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allow: list[HostPattern]
    """Hosts the sandbox may reach: names (`pypi.org`), `*.` a domain (its subdomains), `*` (any name), or an IP
    address (the only way to reach a private or local one)."""
    deny: list[HostPattern] = []
    """Hosts refused even when `allow` matches them."""


def allows(rules: NetworkRules, host: str) -> bool:
    """Whether the rules let the proxy reach `host` (one host, as a credential names it)."""

    def matches(pattern: str) -> bool:
        if pattern == "*":
            return not _is_address(host)
        return host.endswith(pattern[1:]) if pattern.startswith("*.") else host == pattern

    return any(matches(p) for p in rules.allow) and not any(matches(p) for p in rules.deny)


def _network_kind(value: Any) -> str:
    return "NetworkRules" if isinstance(value, dict | NetworkRules) else "bool"


Network = Annotated[
    Annotated[bool, Tag("bool")] | Annotated[NetworkRules, Tag("NetworkRules")],
    Discriminator(_network_kind),
]
"""`false` (no network), `true` (any host by name, through the proxy; never this machine), or `{allow: [...],
deny: [...]}`."""


class CredentialRule(BaseModel):
    """A header the proxy adds to HTTPS requests for one host, its secret read from the host's environment.

    The sandbox never sees the secret: not in its environment, its files or its memory; the proxy ends TLS for that
    host with a certificate authority of the sandbox's own, which the sandbox trusts.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    """The host environment variable holding the secret."""
    host: HostName
    """The host whose requests get the header; it must be allowed by the network rules."""
    header: HeaderName = "Authorization"
    """The header's name."""
    value: str = "Bearer {}"
    """The header's value, with `{}` where the secret goes."""
