"""Servers on the host's loopback that stand for hosts on the internet, and a client run inside the sandbox.

An origin notes every request it gets (path, headers, body); with a TLS context it speaks HTTPS with a certificate
from a test authority. The proxy under test reaches them through `NetworkAccess.routes`, the one way around its
refusal of loopback addresses, which only tests take.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.support.loopback import QuietHandler

FETCH = """\
import sys, urllib.request
url, data = sys.argv[1], (sys.argv[2].encode() if len(sys.argv) > 2 else None)
try:
    with urllib.request.urlopen(url, data=data, timeout=20) as answer:
        print(answer.status, answer.read().decode())
except Exception as exc:
    print("failed:", exc)
    sys.exit(3)
"""
"""A client inside the sandbox: Python's urllib, which takes the proxy and CA variables as pip and requests do."""


@dataclass
class Origin:
    """One server and the requests it received."""

    port: int
    seen: list[dict[str, Any]] = field(default_factory=list)


class _Recording(QuietHandler):
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.origin.seen.append({"path": self.path, "headers": headers, "body": body})
        self.reply(200, "text/plain", b"hello from " + headers.get("host", "").encode())

    do_GET = do_POST = _answer


class _Server(ThreadingHTTPServer):
    origin: Origin


@contextmanager
def origin(tls: ssl.SSLContext | None = None) -> Iterator[Origin]:
    """An origin on 127.0.0.1 while the block runs, HTTPS when `tls` is given."""
    server = _Server(("127.0.0.1", 0), _Recording)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.origin = Origin(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.origin
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
