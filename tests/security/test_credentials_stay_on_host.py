"""A whole run with a credential: the host gets the header, and no file of the run holds the secret.

The task allows one literal address (the test's HTTPS server on loopback, the one way a task reaches such an address)
and adds a credential for it; the host's trust store for this test is the server's authority (SSL_CERT_FILE), as the
proxy verifies upstream with the host's store. The secret's variable has a harmless name, so that the journal's
redaction of secret-looking variables could not hide a leak from the check.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from interns.journal import NetworkConnection, RunFinished
from interns.sandbox.network.authority import Authority
from tests.agents.cli.test_cli import interns
from tests.agents.conftest import TaskDir
from tests.sandbox.network.origins import origin
from tests.security.attack import sh
from tests.security.cases_allowlist import through_proxy

pytestmark = pytest.mark.anyio
VARIABLE = "INTERNS_PLANTED_HEADER_VALUE"


@pytest.mark.parametrize("backend", ["bubblewrap", "docker"])
async def test_a_credential_reaches_the_host_and_no_file_of_the_run(
    backend: str, task_dir: TaskDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"planted-{uuid.uuid4().hex}"
    authority = Authority()
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(authority.pem())
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted))
    monkeypatch.setenv(VARIABLE, secret)
    with origin(authority.context_for("127.0.0.1")) as api:
        task = {
            "steps": [{"id": "work", "instructions": "Fetch the user."}],
            "guardrails": {
                "sandbox": backend,
                "network": {"allow": ["127.0.0.1"]},
                "credentials": [{"env": VARIABLE, "host": "127.0.0.1", "value": "token {}"}],
            },
            "review": {"retries": 0},
        }
        script = {
            "work": [
                sh(through_proxy(f"https://127.0.0.1:{api.port}/user")),
                sh("env; cat /run/interns-proxy/ca-bundle.pem | tail -3; echo > seen.txt; env >> seen.txt"),
                {"final": "done"},
            ]
        }
        result, events = await task_dir.run(task_dir.write(task, script))
    assert isinstance(events[-1], RunFinished)
    assert [r["headers"].get("authorization") for r in api.seen] == [f"token {secret}"]
    fetched = [e for e in events if isinstance(e, NetworkConnection)]
    assert [(e.step, e.host, e.allowed, e.credential) for e in fetched] == [("work", "127.0.0.1", True, True)]
    assert "200 reached" in "".join(e.model_dump_json() for e in events)
    leaks = [p for p in task_dir.root.rglob("*") if _plain(p) and secret.encode() in p.read_bytes()]
    assert leaks == []
    assert "HTTPS_PROXY=" in (result.run_dir / "workspace" / "seen.txt").read_text()  # what the sandbox saw is here

    shown = interns("show", result.run_id, "--runs-dir", str(task_dir.runs), cwd=task_dir.root)
    assert shown.returncode == 0, shown.stderr
    assert f"net allowed CONNECT 127.0.0.1:{api.port}" in shown.stdout
    assert "by '127.0.0.1', credential added" in shown.stdout
    assert secret not in shown.stdout


def _plain(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()
