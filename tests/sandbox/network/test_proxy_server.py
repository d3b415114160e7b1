"""The proxy on its own, spoken to through its socket as a hostile sandbox would: refusals, each with its reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from interns.sandbox.network import Connection, NetworkAccess, ProxyServer
from interns.sandbox.network.forwarder import SOCKET_NAME
from interns.sandbox.network.rules import decide, matches, refused_address

pytestmark = pytest.mark.anyio


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[ProxyServer, list[Connection]]]:
    seen: list[Connection] = []
    server = ProxyServer(NetworkAccess(allow=("*.example.test", "pypi.org")), on_connection=seen.append)
    await server.start()
    yield server, seen
    await server.aclose()
    assert not server.socket_dir.exists()


async def _ask(server: ProxyServer, data: bytes) -> bytes:
    reader, writer = await asyncio.open_unix_connection(str(server.socket_dir / SOCKET_NAME))
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), 10)
    writer.close()
    return answer


@pytest.mark.parametrize(
    ("request_bytes", "status", "reason"),
    [
        (b"GARBAGE\r\n\r\n", b"400", b"not an HTTP request"),
        (b"GET /local/path HTTP/1.1\r\nHost: x\r\n\r\n", b"400", b"CONNECT host:port and http:// URLs only"),
        (b"GET ftp://pypi.org/ HTTP/1.1\r\nHost: pypi.org\r\n\r\n", b"400", b"http:// URLs only"),
        (b"CONNECT pypi.org HTTP/1.1\r\nHost: pypi.org\r\n\r\n", b"400", b"a port from 1 to 65535"),
        (b"CONNECT pypi.org:0 HTTP/1.1\r\nHost: pypi.org\r\n\r\n", b"400", b"a port from 1 to 65535"),
        (b"CONNECT a..example.test:443 HTTP/1.1\r\nHost: x\r\n\r\n", b"400", b"not a host name or address"),
        (b"CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test\r\n\r\n", b"403", b"evil.test is not in guardrails"),
        (b"CONNECT example.test:443 HTTP/1.1\r\nHost: x\r\n\r\n", b"403", b"example.test is not in guardrails"),
        (b"GET http://pypi.org@127.0.0.1/ HTTP/1.1\r\nHost: pypi.org\r\n\r\n", b"403", b"127.0.0.1 is not in"),
        (b"GET http://pypi.org/ HTTP/1.1\r\nX-Long: " + b"a" * 200_000, b"400", b"not an HTTP request"),  # no end
    ],
)
async def test_what_the_proxy_cannot_or_must_not_serve_is_refused_with_a_reason(
    proxy: tuple[ProxyServer, list[Connection]], request_bytes: bytes, status: bytes, reason: bytes
) -> None:
    server, _ = proxy
    answer = await _ask(server, request_bytes)
    head = answer.split(b"\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 " + status), answer
    assert reason in head and reason in answer.split(b"\r\n\r\n", 1)[1], answer


async def test_a_refused_name_is_journaled_with_no_rule(proxy: tuple[ProxyServer, list[Connection]]) -> None:
    server, seen = proxy
    await _ask(server, b"CONNECT Evil.Test.:443 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert seen == [Connection("evil.test", 443, "CONNECT", False, "", "evil.test is not in guardrails.network.allow")]


def test_patterns_match_names_only_as_written() -> None:
    assert matches("*.github.com", "api.github.com") and not matches("*.github.com", "github.com")
    assert not matches("*.github.com", "evilgithub.com") and not matches("github.com", "api.github.com")
    assert matches("*", "pypi.org") and not matches("*", "127.0.0.1") and not matches("*", "::1")
    access = NetworkAccess(allow=("*",), deny=("*.internal.test",))
    assert (
        decide(access, "db.internal.test").rule == "*.internal.test" and not decide(access, "db.internal.test").allowed
    )


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "not a public address"),
        ("192.168.0.1", "not a public address"),
        ("100.64.0.1", "not a public address"),
        ("0.0.0.0", "not a public address"),
        ("224.0.0.1", "not a public address"),
    ],
)
def test_addresses_of_this_machine_and_private_networks_are_refused(address: str, why: str) -> None:
    assert why in refused_address(address)


def test_a_public_address_is_not_refused() -> None:
    assert refused_address("93.184.216.34") == "" and refused_address("2606:2800:220:1::1") == ""
