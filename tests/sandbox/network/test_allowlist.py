"""A sandbox whose network is an allowlist: through the proxy to allowed hosts only, on bubblewrap and docker.

Every test runs a real sandbox with Python's urllib inside it against real servers on the host's loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interns.sandbox import Sandbox
from interns.sandbox.network import Connection, NetworkAccess
from interns.sandbox.network.authority import Authority
from tests.sandbox.conftest import OpenSandbox
from tests.sandbox.network.origins import FETCH, Origin, origin

pytestmark = pytest.mark.anyio
BACKENDS = pytest.mark.parametrize("open_box", ["bubblewrap", "docker"], indirect=True)
TEST_CA = "test-ca.pem"


@pytest.fixture(scope="module")
def authority() -> Authority:
    """The test authority the HTTPS origins' certificates come from."""
    return Authority()


@pytest.fixture
def https_origin(authority: Authority) -> Iterator[Origin]:
    with origin(authority.context_for("allowed.test")) as server:
        yield server


@pytest.fixture
def http_origin() -> Iterator[Origin]:
    with origin() as server:
        yield server


async def _open(
    open_box: OpenSandbox, workspace: Path, authority: Authority, **access: object
) -> tuple[Sandbox, list[Connection]]:
    """A sandbox behind the proxy, with the client script and the test authority in its workspace."""
    (workspace / "fetch.py").write_text(FETCH)
    (workspace / TEST_CA).write_bytes(authority.pem())
    seen: list[Connection] = []
    box = await open_box(network=NetworkAccess(**access), on_connection=seen.append)  # type: ignore[arg-type]
    return box, seen


async def _fetch(box: Sandbox, url: str, data: str | None = None) -> tuple[int, str]:
    result = await box.exec(
        ["python3", "fetch.py", url, *([data] if data else [])], env={"SSL_CERT_FILE": f"/workspace/{TEST_CA}"}
    )
    return result.exit_code, result.stdout + result.stderr


@BACKENDS
async def test_an_allowed_https_host_is_tunnelled_and_journaled(
    open_box: OpenSandbox, workspace: Path, authority: Authority, https_origin: Origin
) -> None:
    routes = {"allowed.test": "127.0.0.1"}
    box, seen = await _open(open_box, workspace, authority, allow=("allowed.test",), routes=routes)
    code, output = await _fetch(box, f"https://allowed.test:{https_origin.port}/hello")
    assert code == 0, output
    assert f"200 hello from allowed.test:{https_origin.port}" in output
    assert [r["path"] for r in https_origin.seen] == ["/hello"]
    await box.aclose()  # the proxy reports a tunnel when it closes
    [connection] = seen
    assert (connection.host, connection.port, connection.method) == ("allowed.test", https_origin.port, "CONNECT")
    assert connection.allowed and connection.rule == "allowed.test" and connection.address == "127.0.0.1"
    assert connection.sent > 200 and connection.received > 200  # a TLS handshake and a request each way
    assert not connection.credential


@BACKENDS
async def test_a_host_outside_the_allowlist_is_refused_and_the_tool_output_says_why(
    open_box: OpenSandbox, workspace: Path, authority: Authority, https_origin: Origin
) -> None:
    routes = {"allowed.test": "127.0.0.1", "other.test": "127.0.0.1"}
    box, seen = await _open(open_box, workspace, authority, allow=("allowed.test",), routes=routes)
    code, output = await _fetch(box, f"https://other.test:{https_origin.port}/")
    assert code == 3
    assert "403" in output and "other.test is not in guardrails.network.allow" in output
    assert https_origin.seen == []
    assert [(c.host, c.allowed, c.rule) for c in seen] == [("other.test", False, "")]


@BACKENDS
async def test_deny_wins_over_allow(
    open_box: OpenSandbox, workspace: Path, authority: Authority, http_origin: Origin
) -> None:
    routes = {"a.example.test": "127.0.0.1", "b.example.test": "127.0.0.1"}
    access = {"allow": ("*.example.test",), "deny": ("b.example.test",), "routes": routes}
    box, seen = await _open(open_box, workspace, authority, **access)
    allowed = await _fetch(box, f"http://a.example.test:{http_origin.port}/")
    denied = await _fetch(box, f"http://b.example.test:{http_origin.port}/")
    assert allowed[0] == 0, allowed[1]
    assert denied[0] == 3 and "denied by guardrails.network.deny 'b.example.test'" in denied[1]
    assert [r["headers"]["host"] for r in http_origin.seen] == [f"a.example.test:{http_origin.port}"]
    assert [(c.host, c.allowed, c.rule) for c in seen] == [
        ("a.example.test", True, "*.example.test"),
        ("b.example.test", False, "b.example.test"),
    ]


@BACKENDS
async def test_plain_http_goes_on_in_origin_form_with_its_body(
    open_box: OpenSandbox, workspace: Path, authority: Authority, http_origin: Origin
) -> None:
    box, seen = await _open(
        open_box, workspace, authority, allow=("allowed.test",), routes={"allowed.test": "127.0.0.1"}
    )
    code, output = await _fetch(box, f"http://allowed.test:{http_origin.port}/upload?x=1", data="some body")
    assert code == 0, output
    [request] = http_origin.seen
    assert request["path"] == "/upload?x=1" and request["body"] == b"some body"
    assert "proxy-connection" not in request["headers"] and request["headers"]["connection"] == "close"
    [connection] = seen
    assert connection.method == "POST" and connection.allowed and connection.received > len("hello from")


@BACKENDS
async def test_the_hosts_loopback_is_out_of_reach_even_with_the_network_on(
    open_box: OpenSandbox, workspace: Path, authority: Authority, http_origin: Origin
) -> None:
    box, seen = await _open(open_box, workspace, authority, allow=("*", "localhost"))
    port = http_origin.port
    direct = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('reached')"
    result = await box.exec(["python3", "-c", direct])
    assert result.exit_code != 0 and "reached" not in result.stdout
    urls = {
        "localhost": f"http://localhost:{port}/",  # an allowed name that resolves to 127.0.0.1
        "127.0.0.1": f"http://127.0.0.1:{port}/",  # `*` is names only, never an address
        "2130706433": f"http://2130706433:{port}/",  # 127.0.0.1 as one number: a name to `*`, loopback once resolved
        "::1": f"http://[::1]:{port}/",
        "169.254.169.254": "http://169.254.169.254/latest/meta-data/",
    }
    for host, url in urls.items():
        # NO_PROXY keeps loopback names off the proxy; an attacker would not let it: go through the proxy anyway.
        result = await box.exec(["python3", "fetch.py", url], env={"NO_PROXY": "", "no_proxy": ""})
        assert result.exit_code == 3, (host, result.stdout)
        assert "403" in result.stdout, (host, result.stdout)
    assert http_origin.seen == []
    refused = {c.host: c.reason for c in seen}
    assert not any(c.allowed for c in seen)
    assert set(refused) == set(urls)
    assert "127.0.0.1 is this machine's loopback" in refused["localhost"]
    assert "loopback" in refused["2130706433"]


@BACKENDS
async def test_an_address_allowed_literally_is_reached(
    open_box: OpenSandbox, workspace: Path, authority: Authority, http_origin: Origin
) -> None:
    box, seen = await _open(open_box, workspace, authority, allow=("127.0.0.1",))
    url = f"http://127.0.0.1:{http_origin.port}/"
    result = await box.exec(["python3", "fetch.py", url], env={"NO_PROXY": "", "no_proxy": ""})
    assert result.exit_code == 0, result.stdout
    assert len(http_origin.seen) == 1 and seen[0].rule == "127.0.0.1"


@BACKENDS
async def test_behind_the_proxy_a_command_keeps_its_exit_code_stdin_and_output(
    open_box: OpenSandbox, workspace: Path, authority: Authority
) -> None:
    plain = await open_box()
    box, _ = await _open(open_box, workspace, authority, allow=("example.test",))
    commands = [
        ["sh", "-c", "read line; echo got $line; echo err >&2; exit 7"],
        ["no-such-command"],
        ["sh", "-c", "kill -9 $$"],
    ]
    for argv in commands:
        ours, theirs = await box.exec(argv, stdin="hello\n"), await plain.exec(argv, stdin="hello\n")
        assert (ours.exit_code, ours.stdout) == (theirs.exit_code, theirs.stdout), argv
        assert theirs.stderr.strip() in ours.stderr, argv
    assert (await box.exec(["sh", "-c", "read line; echo got $line"], stdin="hello\n")).stdout == "got hello\n"
