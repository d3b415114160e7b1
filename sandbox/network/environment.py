"""The proxy variables a sandbox behind the proxy gets, so pip, git, curl, npm and Python's HTTP clients use it."""

from __future__ import annotations

from interns.sandbox.network.forwarder import PORT, SOCKET_DIR

CA_BUNDLE_NAME = "ca-bundle.pem"
CA_BUNDLE = f"{SOCKET_DIR}/{CA_BUNDLE_NAME}"
"""Inside the sandbox: the system's trusted authorities plus the run's own, for hosts whose TLS the proxy ends."""

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
"""The system bundle on Debian and its kind, which the CA bundle stands in for inside the sandbox."""


def proxy_env(*, ca_bundle: bool = False) -> dict[str, str]:
    """Variables that send HTTP and HTTPS through the forwarder on the sandbox's own loopback."""
    url = f"http://127.0.0.1:{PORT}"
    env = {name: url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "localhost,127.0.0.1,::1"
    if ca_bundle:
        names = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT", "GIT_SSL_CAINFO")
        env |= dict.fromkeys(names, CA_BUNDLE)
        env["NODE_EXTRA_CA_CERTS"] = CA_BUNDLE
    return env
