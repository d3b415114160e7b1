"""A sandbox's way out when its network is an allowlist: a host-side proxy reached only through a unix socket."""

from __future__ import annotations

from interns.sandbox.network.environment import CA_BUNDLE, proxy_env
from interns.sandbox.network.forwarder import PORT, SOCKET_DIR, serve_argv, wrap_argv
from interns.sandbox.network.proxy import Connection, ProxyServer
from interns.sandbox.network.rules import Credential, Decision, NetworkAccess, decide

__all__ = [
    "CA_BUNDLE",
    "PORT",
    "SOCKET_DIR",
    "Connection",
    "Credential",
    "Decision",
    "NetworkAccess",
    "ProxyServer",
    "decide",
    "proxy_env",
    "serve_argv",
    "wrap_argv",
]
