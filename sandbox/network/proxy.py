"""The host-side proxy of one sandbox: HTTP and HTTPS CONNECT on a unix socket, decided by host name, journaled.

h11 reads each request head (nothing here parses HTTP by hand); what follows a decision is relayed as bytes,
counted both ways. A CONNECT to an allowed host is a tunnel the proxy does not look into, unless the task adds a
credential for that host: then the proxy terminates TLS with the run's own authority (`authority.py`), adds the
header and speaks TLS upstream, verified against this host's trust store. A plain HTTP request is sent on with its
head in origin form and `Connection: close`. Everything refused gets a 403 whose status line says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import h11

from interns.errors import RunError
from interns.sandbox.network.forwarder import SOCKET_NAME
from interns.sandbox.network.rules import (
    NetworkAccess,
    decide,
    explicitly_allowed_address,
    literal_address,
    normal_host,
    refused_address,
    valid_host,
)

HEAD_LIMIT = 64 * 1024
"""Bytes a request head may take."""
MAX_CONNECTIONS = 256
"""Connections one sandbox may hold open through its proxy at once; more are refused."""
HEAD_SECONDS = 30.0
CONNECT_SECONDS = 30.0
_CHUNK = 64 * 1024
log = logging.getLogger(__name__)
_HOP_HEADERS = {b"connection", b"proxy-connection", b"proxy-authorization", b"keep-alive", b"host"}


@dataclass(frozen=True)
class Connection:
    """One connection the sandbox asked the proxy for, and what became of it."""

    host: str
    port: int
    method: str
    """`CONNECT` for a tunnel (HTTPS), else the plain HTTP request's method."""
    allowed: bool
    rule: str
    """The allow or deny pattern that decided; "" when no pattern matched."""
    reason: str
    address: str = ""
    """The address the proxy connected to."""
    sent: int = 0
    """Bytes from the sandbox to the host it reached."""
    received: int = 0
    """Bytes from that host back to the sandbox."""
    credential: bool = False
    """Whether the proxy added a credential header (and so terminated TLS)."""


class _Refused(RunError):
    """A request the proxy turns down: answered to the sandbox as an HTTP error with its reason, never raised on."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class ProxyServer:
    """The proxy of one sandbox: start it, mount `socket_dir` into the sandbox, close it when the sandbox closes."""

    def __init__(
        self,
        access: NetworkAccess,
        *,
        on_connection: Callable[[Connection], object] | None = None,
        tls: Callable[[str], ssl.SSLContext] | None = None,
    ) -> None:
        self.access = access
        self._report = on_connection or (lambda _: None)
        self._tls = tls
        """Server-side TLS for a host whose requests get a credential (present when the access has any)."""
        self._server: asyncio.AbstractServer | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.socket_dir = Path(tempfile.mkdtemp(prefix="interns-proxy-"))
        """A private folder holding only the proxy's socket (and the sandbox's CA bundle)."""
        self.ca_bundle: Path | None = None
        """The CA bundle the sandbox trusts, when the proxy ends TLS for a credential."""

    async def start(self) -> None:
        """Listen on the unix socket in `socket_dir`."""
        path = self.socket_dir / SOCKET_NAME
        self._server = await asyncio.start_unix_server(self._handle, path=str(path), limit=HEAD_LIMIT)
        path.chmod(0o600)

    def discard(self) -> None:
        """Remove the socket folder of a proxy that never started."""
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    async def aclose(self) -> None:
        """Stop listening, end every connection, remove the socket folder."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        self.discard()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            if len(self._handlers) > MAX_CONNECTIONS:
                await _refuse(writer, _Refused(503, f"more than {MAX_CONNECTIONS} connections open at once"))
            else:
                await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ssl.SSLError):
            pass
        except Exception:  # what a sandbox sends must never break the proxy; the connection just ends
            log.warning("the network proxy dropped a connection", exc_info=True)
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request, rest = await _read_head(reader)
        except _Refused as refused:
            await _refuse(writer, refused)
            return
        if request is None:
            return
        method = request.method.decode("ascii", "replace")
        try:
            host, port, head = _destination(request)
        except _Refused as refused:
            await _refuse(writer, refused)
            return
        decision = decide(self.access, host)
        record = Connection(host, port, method, decision.allowed, decision.rule, decision.reason)
        try:
            if not decision.allowed:
                raise _Refused(403, decision.reason)
            address = await self._address(host, port)
            record = replace(record, address=address)
            secret = [c for c in self.access.credentials if c.host == host]
            if method == "CONNECT" and secret and self._tls is not None:
                record = replace(record, credential=True)
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await writer.start_tls(self._tls(host))
                request, rest = await _read_head(reader)
                if request is None:
                    return
                _, _, head = _destination(request, host=host, port=port)
                head = _with_headers(head, request, [(c.header, c.value) for c in secret])
                upstream = await _open(address, port, host, self.access.upstream_cafile)
            else:
                upstream = await _open(address, port, None)
        except _Refused as refused:
            self._report(replace(record, allowed=False, reason=refused.reason))
            await _refuse(writer, refused)
            return
        sent = received = 0
        try:
            if head is None:
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                upstream[1].write(head)
                sent += len(head)
            upstream[1].write(rest)
            sent += len(rest)
            up, down = await asyncio.gather(_pump(reader, upstream[1]), _pump(upstream[0], writer))
            sent, received = sent + up, received + down
        finally:
            upstream[1].close()
            self._report(replace(record, sent=sent, received=received))

    async def _address(self, host: str, port: int) -> str:
        """The address to connect to: resolved here, public unless `allow` names it; never re-resolved."""
        routed = self.access.routes.get(host)
        if routed is not None:
            return routed
        if literal_address(host) is not None:
            addresses = [host]
        else:
            try:
                found = await asyncio.get_running_loop().getaddrinfo(host, port, type=1)  # SOCK_STREAM
            except OSError as exc:
                raise _Refused(502, f"{host} could not be resolved: {exc}") from None
            addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        why = ""
        for address in addresses:
            if explicitly_allowed_address(self.access, address):
                return address
            why = refused_address(address)
            if not why:
                return address
        raise _Refused(403, f"{host} resolves to {why or 'nothing'}: refused")


async def _read_head(reader: asyncio.StreamReader) -> tuple[h11.Request | None, bytes]:
    """The next request head from the sandbox and the bytes after it; (None, b"") when it closed first."""
    parser = h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT)
    while True:
        try:
            event = parser.next_event()
        except h11.RemoteProtocolError as exc:
            raise _Refused(400, f"not an HTTP request the proxy can read: {exc}") from None
        if event is h11.NEED_DATA:
            data = await asyncio.wait_for(reader.read(_CHUNK), HEAD_SECONDS)
            parser.receive_data(data)
            continue
        if isinstance(event, h11.Request):
            return event, parser.trailing_data[0]
        return None, b""


def _destination(
    request: h11.Request, *, host: str | None = None, port: int | None = None
) -> tuple[str, int, bytes | None]:
    """Host and port a request is for, and the head to send upstream (None for a CONNECT tunnel).

    With `host` (a request inside a tunnel the proxy terminated), the request must be in origin form and is sent to
    that host whatever its own Host header says.
    """
    method, target = request.method, request.target.decode("ascii", "replace")
    if host is not None and port is not None:
        if not target.startswith("/"):
            raise _Refused(400, "a request inside a tunnel must name a path")
        return host, port, _head(method, target, host, port, 443, request)
    if method == b"CONNECT":
        name, _, number = target.rpartition(":")
        found_host, found_port = normal_host(name), _port(number)
        _check_host(found_host)
        return found_host, found_port, None
    url = urlsplit(target)
    if url.scheme != "http" or not url.hostname:
        raise _Refused(400, "the proxy takes CONNECT host:port and http:// URLs only")
    try:
        found_port = url.port or 80
    except ValueError:
        raise _Refused(400, "the URL's port is not a number") from None
    found_host = normal_host(url.hostname)
    _check_host(found_host)
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return found_host, found_port, _head(method, path, found_host, found_port, 80, request)


def _head(method: bytes, path: str, host: str, port: int, default_port: int, request: h11.Request) -> bytes:
    """A request head in origin form for the host it goes to: its Host set, hop-by-hop headers out, one request."""
    authority = (f"[{host}]" if ":" in host else host) + ("" if port == default_port else f":{port}")
    lines = [method + b" " + path.encode("ascii") + b" HTTP/1.1", b"Host: " + authority.encode("ascii")]
    lines += [name + b": " + value for name, value in request.headers.raw_items() if name.lower() not in _HOP_HEADERS]
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _with_headers(head: bytes | None, request: h11.Request, added: list[tuple[str, str]]) -> bytes:
    """`head` with each added header in place of any the sandbox sent under that name."""
    assert head is not None
    names = {name.lower().encode("ascii") for name, _ in added}
    first, *lines = head.removesuffix(b"\r\n\r\n").split(b"\r\n")
    kept = [line for line in lines if line.split(b":", 1)[0].strip().lower() not in names]
    kept += [f"{name}: {value}".encode("latin-1") for name, value in added]
    return b"\r\n".join([first, *kept]) + b"\r\n\r\n"


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise _Refused(400, "CONNECT needs host:port with a port from 1 to 65535")
    return int(text)


def _check_host(host: str) -> None:
    if not valid_host(host):
        raise _Refused(400, "not a host name or address")


async def _open(
    address: str, port: int, tls_host: str | None, cafile: str | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to `address` (TLS verified for `tls_host` with this host's trust store, when given)."""
    context = ssl.create_default_context(cafile=cafile) if tls_host else None
    if context is not None:
        context.set_alpn_protocols(["http/1.1"])
    try:
        return await asyncio.wait_for(
            asyncio.open_connection(address, port, ssl=context, server_hostname=tls_host, limit=_CHUNK),
            CONNECT_SECONDS,
        )
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        raise _Refused(502, f"could not connect to {address} port {port}: {exc or type(exc).__name__}") from None


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
    """Copy until the end of `reader`, then end `writer`'s direction; the bytes copied."""
    total = 0
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            total += len(data)
            await writer.drain()
    except (OSError, ssl.SSLError):
        pass
    with contextlib.suppress(OSError, RuntimeError, NotImplementedError):
        if writer.can_write_eof():
            writer.write_eof()
    return total


async def _refuse(writer: asyncio.StreamWriter, refused: _Refused) -> None:
    """Answer with the refusal's status and its reason, in the status line and the body, and close."""
    reason = refused.reason.encode("ascii", "replace").replace(b"\r", b" ").replace(b"\n", b" ")[:300]
    body = b"interns proxy: " + reason + b"\n"
    phrases = {403: b"Forbidden", 502: b"Bad Gateway", 503: b"Service Unavailable"}
    phrase = phrases.get(refused.status, b"Bad Request")
    head = b"HTTP/1.1 %d %s (interns proxy: %s)\r\n" % (refused.status, phrase, reason)
    head += b"Content-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    with contextlib.suppress(OSError):
        writer.write(head + body)
        await writer.drain()
