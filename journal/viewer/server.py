"""The viewer's server: where it listens, who it answers to, and the token its pages must show to act."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import threading
from pathlib import Path

from interns.journal.store import RunStore
from interns.journal.viewer.actions import ReviewActions
from interns.journal.viewer.handler import Handler, ViewerHTTPServer
from interns.journal.viewer.views import RunViews


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ViewerServer:
    """The review viewer over the runs under one journal root, on `host:port` (port 0: a free one is picked)."""

    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        actions: ReviewActions | None = None,
    ) -> None:
        """Bind to `host:port` at once; `actions` (None: a read-only viewer) carries out accept, reject and retry."""
        self.views = RunViews(RunStore(root))
        self.actions = actions
        self.token = secrets.token_urlsafe(24)
        self.action_lock = threading.Lock()
        self.host = host
        server_class = type("_Server", (ViewerHTTPServer,), {"address_family": _family(host)})
        self._server: ViewerHTTPServer = server_class((host, port), Handler)
        self._server.viewer = self
        self.port: int = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where to open the viewer in a browser."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/"

    @property
    def loopback(self) -> bool:
        """Whether only this machine can reach the viewer."""
        return is_loopback(self.host)

    def allowed_host(self, host_header: str | None) -> bool:
        """Whether a request's Host header names this server (a loopback viewer refuses other names: DNS rebinding)."""
        if not self.loopback:
            return True
        names = {"127.0.0.1", "localhost", "[::1]", self.host if ":" not in self.host else f"[{self.host}]"}
        return host_header in {f"{name}:{self.port}" for name in names}

    def serve_forever(self) -> None:
        """Answer requests until `close` is called (from another thread) or the process is interrupted."""
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> ViewerServer:
        """Answer requests on a background thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="interns-viewer", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop answering and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> ViewerServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _family(host: str) -> socket.AddressFamily:
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host.strip("[]")).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET
