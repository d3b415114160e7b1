"""pip and git, unchanged, through the proxy: a package index and a smart-HTTP git server on the host's loopback.

Both are HTTPS with a test authority the sandbox is told to trust (PIP_CERT, GIT_SSL_CAINFO); the proxy only
tunnels them. Neither tool is given any proxy setting but the standard variables.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from interns.sandbox import Sandbox
from interns.sandbox.network import Connection, NetworkAccess
from interns.sandbox.network.authority import Authority
from tests.sandbox.conftest import REQUIRE_VARIABLE, OpenSandbox
from tests.support.forge import forge

pytestmark = pytest.mark.anyio
BACKENDS = pytest.mark.parametrize("open_box", ["bubblewrap", "docker"], indirect=True)
TEST_CA = "/workspace/test-ca.pem"


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
    with forge(authority.context_for("forge.test"), tmp_path, [("tinypkg", "1.0")]) as index:
        box, seen = await _sandbox(open_box, workspace, authority)
        if (await box.exec(["python3", "-m", "pip", "--version"])).exit_code != 0:
            missing = "this sandbox's python3 has no pip (Debian: python3-pip)"
            (pytest.fail if os.environ.get(REQUIRE_VARIABLE) else pytest.skip)(missing)
        port = index.server_address[1]
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
    assert "/files/tinypkg-1.0-py3-none-any.whl" in index.paths
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
    with forge(authority.context_for("forge.test"), tmp_path, []) as server:
        box, seen = await _sandbox(open_box, workspace, authority)
        url = f"https://forge.test:{server.server_address[1]}/git/project.git"
        cloned = await box.exec(["git", "clone", "-q", url, "clone"], env={"GIT_SSL_CAINFO": TEST_CA})
        readme = await box.exec(["cat", "clone/README"])
    assert cloned.exit_code == 0, cloned.stdout + cloned.stderr
    assert readme.stdout == "cloned through the proxy\n"
    assert any("git-upload-pack" in path for path in server.paths)  # the smart protocol, not static files
    assert seen and all(c.host == "forge.test" and c.allowed for c in seen)
