"""The viewer's server: where it listens, who it answers to, and the secret only the person who started it holds.

The secret (`key`) is never served: it is in the link printed to the person's terminal, which trades it, once, for
an HttpOnly, SameSite=Strict cookie. Pages and the API answer only requests with that cookie; review actions also
need an Origin that is the viewer's own.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
import threading
from http.cookies import CookieError, SimpleCookie
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
        self.key = secrets.token_urlsafe(32)
        """The secret in the printed link, traded once for the session cookie; never part of any answer."""
        self._session = secrets.token_urlsafe(32)
        self._key_spent = False
        self._key_lock = threading.Lock()
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
    def sign_in_url(self) -> str:
        """The link for the person who started the viewer: it signs their browser in (print it to them only)."""
        return f"{self.url}?key={self.key}"

    @property
    def cookie_name(self) -> str:
        """The session cookie's name; cookies do not tell ports apart, so it names this viewer's."""
        return f"interns-view-{self.port}"

    def trade_key(self, key: str) -> str | None:
        """The session cookie's value for the printed key, the first time it is shown; None for anything else."""
        with self._key_lock:  # two requests with the key at once: only one gets the cookie
            if self._key_spent or not hmac.compare_digest(key.encode(), self.key.encode()):
                return None
            self._key_spent = True
            return self._session

    def signed_in(self, cookie_header: str | None) -> bool:
        """Whether a request's Cookie header carries this viewer's session."""
        try:
            morsel = SimpleCookie(cookie_header or "").get(self.cookie_name)
        except CookieError:
            return False
        return morsel is not None and hmac.compare_digest(morsel.value.encode(), self._session.encode())

    def own_origin(self, origin: str | None, host_header: str | None) -> bool:
        """Whether a request's Origin is this viewer's own page (the Host it was sent to, which must be ours)."""
        return origin is not None and self.allowed_host(host_header) and origin == f"http://{host_header}"

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
