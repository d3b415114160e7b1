"""A credential is added at the proxy: the host gets the header, the sandbox never holds the secret."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from interns.sandbox.network import Connection, Credential, NetworkAccess
from interns.sandbox.network.authority import Authority
from tests.sandbox.conftest import OpenSandbox
from tests.sandbox.network.origins import FETCH, origin

pytestmark = pytest.mark.anyio
BACKENDS = pytest.mark.parametrize("open_box", ["bubblewrap", "docker"], indirect=True)

FETCH_AND_SEARCH = """\
import hashlib, re, sys, urllib.request
url, digests = sys.argv[1], sys.argv[2:]
with urllib.request.urlopen(url, data=b"{}", timeout=20) as answer:
    print(answer.status, answer.read().decode())
searched, found = 0, dict.fromkeys(digests, 0)
with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
    for line in maps.read().splitlines():
        start, end = (int(x, 16) for x in line.split()[0].split("-"))
        if "r" not in line.split()[1]:
            continue
        try:
            mem.seek(start)
            chunk = mem.read(end - start)
        except (OSError, ValueError, OverflowError):
            continue
        searched += len(chunk)
        for match in re.finditer(rb"s3cret-[0-9a-f]{32}", chunk):
            seen = hashlib.sha256(match.group()).hexdigest()
            if seen in found:
                found[seen] += 1
print("searched", searched, "found", *found.values())
"""
"""The client that talked TLS with the proxy, searching its own memory for the secret afterwards (given only its
digest, so the search itself does not put it there)."""


@BACKENDS
async def test_a_credential_is_added_at_the_proxy_and_never_enters_the_sandbox(
    open_box: OpenSandbox, workspace: Path, tmp_path: Path
) -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    digest = _digest(secret)
    decoy = f"s3cret-{uuid.uuid4().hex}"  # put into the sandbox on purpose: the search must find it
    test_ca = Authority()
    upstream_ca = tmp_path / "upstream-ca.pem"
    upstream_ca.write_bytes(test_ca.pem())
    (workspace / "fetch.py").write_text(FETCH)
    (workspace / "fetch_and_search.py").write_text(FETCH_AND_SEARCH)
    seen: list[Connection] = []
    with origin(test_ca.context_for("api.test")) as api:
        access = NetworkAccess(
            allow=("api.test",),
            credentials=(Credential("api.test", "Authorization", f"Bearer {secret}"),),
            routes={"api.test": "127.0.0.1"},
            upstream_cafile=str(upstream_ca),
        )
        box = await open_box(network=access, on_connection=seen.append)
        # No CA of the test's own here: the sandbox trusts the proxy's authority through the variables it is given.
        fetched = await box.exec(["python3", "fetch.py", f"https://api.test:{api.port}/repos", "{}"])
        search = ["/workspace", "/tmp", "/home", "/run", "/etc"]
        files = await box.exec(["sh", "-c", f"grep -rsl -- {secret[:20]} {' '.join(search)}; echo done"])
        environment = await box.exec(["sh", "-c", "cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline | tr '\\0' '\\n'"])
        memory = await box.exec(
            ["python3", "fetch_and_search.py", f"https://api.test:{api.port}/again", digest, _digest(decoy)],
            env={"DECOY": decoy},
        )
        await box.aclose()
    assert fetched.exit_code == 0, fetched.stdout + fetched.stderr
    assert f"200 hello from api.test:{api.port}" in fetched.stdout
    assert [(r["path"], r["body"], r["headers"]["authorization"]) for r in api.seen] == [
        ("/repos", b"{}", f"Bearer {secret}"),
        ("/again", b"{}", f"Bearer {secret}"),
    ]
    assert files.stdout.strip() == "done"
    assert "HTTPS_PROXY=http://127.0.0.1:3128" in environment.stdout and secret not in environment.stdout
    *_, searched, _, secret_copies, decoy_copies = memory.stdout.split()
    assert memory.exit_code == 0 and int(searched) > 1_000_000, memory.stdout + memory.stderr
    assert int(secret_copies) == 0 and int(decoy_copies) > 0
    assert len(seen) == 2
    assert all(c.credential and c.allowed and c.sent > 0 and c.received > 0 for c in seen)
    assert secret not in repr(seen)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@BACKENDS
async def test_the_proxys_authority_is_trusted_by_the_system_bundle_too(
    open_box: OpenSandbox, workspace: Path, tmp_path: Path
) -> None:
    """curl, git and others that read the system bundle rather than SSL_CERT_FILE trust the proxy as well."""
    test_ca = Authority()
    access = NetworkAccess(allow=("api.test",), credentials=(Credential("api.test", "X-Key", "k"),))
    box = await open_box(network=access)
    bundle = await box.exec(["cat", "/etc/ssl/certs/ca-certificates.crt"])
    ours = await box.exec(["sh", "-c", 'cat "$SSL_CERT_FILE"'])
    assert bundle.exit_code == 0 and bundle.stdout == ours.stdout
    assert bundle.stdout.count("BEGIN CERTIFICATE") > 1  # the system's authorities, then the proxy's
    assert test_ca.pem().decode() not in bundle.stdout
