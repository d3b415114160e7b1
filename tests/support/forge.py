"""A package index and a smart-HTTP git server on loopback (HTTPS when given a TLS context): a forge to fetch from.

The index follows PEP 503 (`/simple/NAME/` links to `/files/WHEEL`) and serves wheels made here; `/git/...` is
`git http-backend` over a folder of bare repositories. Every path asked for is noted in `paths`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import ssl
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

from tests.support.loopback import QuietHandler

__all__ = ["Forge", "forge", "wheel"]


def wheel(name: str, version: str) -> bytes:
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


class _Handler(QuietHandler):
    """A PEP 503 index under /simple, and `git http-backend` (smart HTTP) under /git."""

    server: Forge

    def do_GET(self) -> None:
        if self.path.startswith("/git/"):
            self._git()
            return
        project = self.path.removeprefix("/simple/").strip("/")
        files = {f"{name}-{version}-py3-none-any.whl": data for (name, version), data in self.server.wheels.items()}
        found = [f for f in files if f.startswith(f"{project}-")]
        if self.path.startswith("/simple/") and found:
            self._reply(200, "text/html", "".join(f'<a href="/files/{f}">{f}</a>' for f in found).encode())
        elif self.path.removeprefix("/files/") in files:
            self._reply(200, "application/octet-stream", files[self.path.removeprefix("/files/")])
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
        self.reply(status, kind, body, headers)


class Forge(ThreadingHTTPServer):
    """The running server: its wheels by (name, version), its folder of bare repositories, the paths asked for."""

    wheels: dict[tuple[str, str], bytes]
    repos: Path
    paths: list[str]


@contextmanager
def forge(tls: ssl.SSLContext | None, repos: Path, packages: list[tuple[str, str]]) -> Iterator[Forge]:
    """The index of `packages` (name, version) and the git server over `repos`, on 127.0.0.1 while the block runs."""
    server = Forge(("127.0.0.1", 0), _Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.wheels = {package: wheel(*package) for package in packages}
    server.repos, server.paths = repos, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
