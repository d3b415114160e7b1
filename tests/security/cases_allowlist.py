"""Attacks from a step whose network is an allowlist: the host's loopback by any name or form, through the proxy or not.

The sandbox has no interface but its own loopback; its one way out is the proxy, which decides by name and then
refuses any address of this machine (loopback, its interfaces), private networks and the metadata address. The
host fixture's server on 127.0.0.1 notes any connection.
"""

from __future__ import annotations

from tests.security.attack import Attack, Seen, Turns, sh
from tests.security.conftest import Host

ONLY_ISOLATING = ("bubblewrap", "docker")
"""A local sandbox refuses an allowlist before the run starts (tests/security/test_local_refuses_allowlist.py)."""
PROXY = "http://127.0.0.1:3128"


def through_proxy(url: str) -> str:
    """A command that fetches `url` through the proxy whatever NO_PROXY says, printing 'reached' if it got through."""
    probe = (
        "import urllib.request as u; "
        f"o = u.build_opener(u.ProxyHandler({{'http': '{PROXY}', 'https': '{PROXY}'}})); "
        f"print(o.open('{url}', timeout=5).status, 'reached')"
    )
    return f'env -u NO_PROXY -u no_proxy python3 -c "{probe}"'  # urllib would skip the proxy for names in NO_PROXY


def _raw_connect(target: str) -> str:
    """A CONNECT written by hand to the forwarder, and to the proxy's socket itself, printing the answers."""
    request = f"CONNECT {target} HTTP/1.1\\r\\nHost: {target}\\r\\n\\r\\n"
    probe = (
        "import socket; "
        "a = socket.create_connection(('127.0.0.1', 3128), timeout=5); "
        f"a.sendall(b'{request}'); print(a.recv(200)); "
        "b = socket.socket(socket.AF_UNIX); b.connect('/run/interns-proxy/proxy.sock'); "
        f"b.sendall(b'{request}'); print(b.recv(200))"
    )
    return f'python3 -c "{probe}"'


def _direct(host: Host, backend: str) -> Turns:
    probe = f"import socket; socket.create_connection(('127.0.0.1', {host.port}), timeout=3); print('reached')"
    return [
        sh(f'python3 -c "{probe}"'),
        sh(f"exec 3<>/dev/tcp/127.0.0.1/{host.port} && echo reached"),
        sh("exec 3<>/dev/tcp/1.1.1.1/443 && echo reached"),  # no route out but the proxy
    ]


def _by_address(host: Host, backend: str) -> Turns:
    port = host.port
    return [
        sh(through_proxy(f"http://127.0.0.1:{port}/")),
        sh(through_proxy(f"http://2130706433:{port}/")),  # 127.0.0.1 as one number: a name to `*`
        sh(through_proxy(f"http://0x7f000001:{port}/")),
        sh(through_proxy(f"http://127.1:{port}/")),
        sh(through_proxy(f"http://[::ffff:127.0.0.1]:{port}/")),
        sh(_raw_connect(f"127.0.0.1:{port}")),
    ]


def _by_name(host: Host, backend: str) -> Turns:
    port = host.port
    return [
        sh(through_proxy(f"http://localhost:{port}/")),
        sh(through_proxy(f"https://localhost:{port}/")),
        sh(_raw_connect(f"localhost:{port}")),
        sh(_raw_connect(f"localhost.:{port}")),
    ]


def _metadata(host: Host, backend: str) -> Turns:
    return [sh(through_proxy("http://169.254.169.254/latest/meta-data/")), sh(_raw_connect("169.254.169.254:80"))]


def _connected(host: Host, seen: Seen) -> bool:
    outputs = [run.stdout for run in seen.commands()]
    return host.connections.is_set() or any("reached" in text or "200 Connection" in text for text in outputs)


def _metadata_allowed(host: Host, seen: Seen) -> bool:
    """The proxy let a connection to the metadata address through (nothing listens there: the journal tells)."""
    from interns.journal import NetworkConnection

    tried = [e for e in seen.events if isinstance(e, NetworkConnection) and e.host == "169.254.169.254"]
    return _connected(host, seen) or not tried or any(e.allowed for e in tried)


ALLOWLIST_ATTACKS = [
    Attack(
        "allowlist: host loopback directly",
        _direct,
        _connected,
        guardrails={"network": {"allow": ["*"]}},
        only=ONLY_ISOLATING,
    ),
    Attack(
        "allowlist: host loopback through the proxy by address",
        _by_address,
        _connected,
        guardrails={"network": {"allow": ["*"]}},
        only=ONLY_ISOLATING,
    ),
    Attack(
        "allowlist: an allowed name that resolves to the host's loopback",
        _by_name,
        _connected,
        guardrails={"network": {"allow": ["localhost", "*"]}},
        only=ONLY_ISOLATING,
    ),
    Attack(
        "allowlist: the cloud metadata address",
        _metadata,
        _metadata_allowed,
        guardrails={"network": {"allow": ["*"]}},
        only=ONLY_ISOLATING,
    ),
]
