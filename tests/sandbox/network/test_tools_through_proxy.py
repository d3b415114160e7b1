"""pip and git, unchanged, through the proxy: a package index and a smart-HTTP git server on the host's loopback.

Both are HTTPS with a test authority the sandbox is told to trust (PIP_CERT, GIT_SSL_CAINFO); the proxy only
tunnels them. Neither tool is given any proxy setting but the standard variables.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from interns.sandbox import Sandbox
from interns.sandbox.network import Connection, NetworkAccess
from interns.sandbox.network.authority import Authority
from tests.sandbox.conftest import OpenSandbox

pytestmark = pytest.mark.anyio
BACKENDS = pytest.mark.parametrize("open_box", ["bubblewrap", "docker"], indirect=True)
TEST_CA = "/workspace/test-ca.pem"


def _wheel(name: str, version: str) -> bytes:
    """A minimal pure-Python wheel whose module says hello."""
    files = {
        f"{name}/__init__.py": b"GREETING = 'hello through the proxy'\n",
        f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{name}-{version}.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}\n"
        for path, data in files.items()
    )
    files[f"{name}-{version}.dist-info/RECORD"] = (record + f"{name}-{version}.dist-info/RECORD,,\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    """A PEP 503 index of one wheel under /simple, and `git http-backend` (smart HTTP) under /git."""

    server: _Server

    def do_GET(self) -> None:
        if self.path.startswith("/git/"):
            self._git()
            return
        wheel_name = "tinypkg-1.0-py3-none-any.whl"
        if self.path.rstrip("/") == "/simple/tinypkg":
            body = f'<a href="/files/{wheel_name}">{wheel_name}</a>'.encode()
            self._reply(200, "text/html", body)
        elif self.path == f"/files/{wheel_name}":
            self._reply(200, "application/octet-stream", self.server.wheel)
        else:
            self._reply(404, "text/plain", b"no such page")

    def do_POST(self) -> None:
        self._git()

    def _git(self) -> None:
        path, _, query = self.path.removeprefix("/git").partition("?")
        length = int(self.headers.get("content-length") or 0)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_PROJECT_ROOT": str(self.server.repos),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("content-type", ""),
            "CONTENT_LENGTH": str(length),
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.server.repos),
        }
        done = subprocess.run(
            ["git", "http-backend"], input=self.rfile.read(length), env=env, capture_output=True, check=False
        )
        head, _, body = done.stdout.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line)
        status = int(headers.pop("Status", "200").split()[0])
        self._reply(status, headers.pop("Content-Type", "text/plain"), body, headers)

    def _reply(self, status: int, kind: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.server.paths.append(self.path)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    wheel: bytes
    repos: Path
    paths: list[str]


@contextmanager
def _forge(authority: Authority, repos: Path) -> Iterator[_Server]:
    """The index and git server, HTTPS for `forge.test`, on 127.0.0.1 while the block runs."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.socket = authority.context_for("forge.test").wrap_socket(server.socket, server_side=True)
    server.wheel, server.repos, server.paths = _wheel("tinypkg", "1.0"), repos, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def _sandbox(open_box: OpenSandbox, workspace: Path, authority: Authority) -> tuple[Sandbox, list[Connection]]:
    (workspace / "test-ca.pem").write_bytes(authority.pem())
    seen: list[Connection] = []
    access = NetworkAccess(allow=("forge.test",), routes={"forge.test": "127.0.0.1"})
    return await open_box(network=access, on_connection=seen.append), seen


@BACKENDS
async def test_pip_installs_from_an_index_through_the_proxy(
    open_box: OpenSandbox, workspace: Path, tmp_path: Path
) -> None:
    authority = Authority()
    with _forge(authority, tmp_path) as forge:
        box, seen = await _sandbox(open_box, workspace, authority)
        if (await box.exec(["python3", "-m", "pip", "--version"])).exit_code != 0:
            pytest.skip("this sandbox's python3 has no pip (Debian: python3-pip)")
        port = forge.server_address[1]
        install = ["python3", "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check", "--target"]
        install += ["/tmp/site", "--index-url", f"https://forge.test:{port}/simple/", "tinypkg"]
        installed = await box.exec(
            [
                "sh",
                "-c",
                " ".join(install) + " && PYTHONPATH=/tmp/site python3 -c 'import tinypkg; print(tinypkg.GREETING)'",
            ],
            env={"PIP_CERT": TEST_CA},
        )
    assert installed.exit_code == 0, installed.stdout + installed.stderr
    assert "hello through the proxy" in installed.stdout
    assert "/files/tinypkg-1.0-py3-none-any.whl" in forge.paths
    assert seen and all(c.host == "forge.test" and c.allowed and c.method == "CONNECT" for c in seen)


@BACKENDS
async def test_git_clones_over_smart_http_through_the_proxy(
    open_box: OpenSandbox, workspace: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "project.git"
    source = tmp_path / "source"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(source)], check=True)
    (source / "README").write_text("cloned through the proxy\n")
    subprocess.run([*git, "-C", str(source), "add", "README"], check=True)
    subprocess.run([*git, "-C", str(source), "commit", "-qm", "first"], check=True)
    subprocess.run([*git, "clone", "-q", "--bare", str(source), str(repo)], check=True)
    authority = Authority()
    with _forge(authority, tmp_path) as forge:
        box, seen = await _sandbox(open_box, workspace, authority)
        url = f"https://forge.test:{forge.server_address[1]}/git/project.git"
        cloned = await box.exec(["git", "clone", "-q", url, "clone"], env={"GIT_SSL_CAINFO": TEST_CA})
        readme = await box.exec(["cat", "clone/README"])
    assert cloned.exit_code == 0, cloned.stdout + cloned.stderr
    assert readme.stdout == "cloned through the proxy\n"
    assert any("git-upload-pack" in path for path in forge.paths)  # the smart protocol, not static files
    assert seen and all(c.host == "forge.test" and c.allowed for c in seen)
