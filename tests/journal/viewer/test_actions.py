"""Accept, reject and retry through the viewer's API do what `interns review` does, on a real repository run."""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from interns.agents.cli.view import GateActions
from interns.journal import RunStore
from interns.journal.viewer import ViewerServer
from tests.journal.viewer.conftest import Answer, fetch, sign_in
from tests.journal.viewer.gate import RepoRun, acting_viewer, repo_run


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[tuple[RepoRun, ViewerServer, GateActions]]:
    with acting_viewer(repo_run(tmp_path)) as desk:
        yield desk


def act(server: ViewerServer, run_id: str, action: str, note: str = "") -> Answer:
    headers = {"Content-Type": "application/json"}
    return fetch(f"{server.url}api/runs/{run_id}/{action}", method="POST", body={"note": note}, headers=headers)


def decision(run: RepoRun, run_id: str | None = None) -> dict[str, str]:
    return json.loads((run.runs / "runs" / (run_id or run.run_id) / "review.json").read_text())


def test_accept_lands_the_work_on_the_base_branch(gate: tuple[RepoRun, ViewerServer, GateActions]) -> None:
    run, server, _ = gate
    assert run.value_on_main == "VALUE = 1"

    accepted = act(server, run.run_id, "accept")
    again = act(server, run.run_id, "accept")

    assert accepted.status == 200 and "accepted" in accepted.json["message"]
    assert run.value_on_main == "VALUE = 2" and decision(run)["decision"] == "accepted"
    assert decision(run)["by"] == "viewer" and decision(run)["user"] == getpass.getuser()
    assert decision(run)["host"] == socket.gethostname()
    assert (again.status, "already accepted" in again.json["error"]) == (409, True)
    summary = fetch(f"{server.url}api/runs/{run.run_id}").json
    assert summary["review"]["decision"] == "accepted" and not summary["awaiting_review"]


def test_reject_needs_a_note_and_deletes_the_runs_branches(gate: tuple[RepoRun, ViewerServer, GateActions]) -> None:
    run, server, _ = gate
    assert run.repo.git.branch("--list", "interns/*")

    silent = act(server, run.run_id, "reject")
    rejected = act(server, run.run_id, "reject", "not what I meant")

    assert silent.status == 400 and "note" in silent.json["error"]
    assert rejected.status == 200
    assert (decision(run)["decision"], decision(run)["note"]) == ("rejected", "not what I meant")
    assert not run.repo.git.branch("--list", "interns/*") and run.value_on_main == "VALUE = 1"


def test_retry_runs_the_task_again_with_the_note(gate: tuple[RepoRun, ViewerServer, GateActions]) -> None:
    run, server, actions = gate

    started = act(server, run.run_id, "retry", "use the constant")
    twice = act(server, run.run_id, "retry", "again")
    actions.wait()

    assert started.status == 200 and "retrying" in started.json["message"]
    assert twice.status == 409 and "already under way" in twice.json["error"]
    newest = RunStore(run.runs).list()[0]
    assert newest.run_id != run.run_id
    assert (decision(run)["decision"], decision(run)["note"]) == ("retried", "use the constant")
    assert decision(run)["by"] == "viewer"
    assert newest.run_id in decision(run)["detail"]


def test_a_failed_run_cannot_be_accepted(tmp_path: Path) -> None:
    run = repo_run(tmp_path, fail=True)
    with ViewerServer(run.runs, actions=GateActions(run.runs)).start() as server:
        sign_in(server.sign_in_url)
        refused = act(server, run.run_id, "accept")
        summary = fetch(f"{server.url}api/runs/{run.run_id}").json
    run.repo.close()

    assert refused.status == 409 and "only a run that succeeded can be accepted" in refused.json["error"]
    assert summary["run"]["status"] == "failed" and not summary["can_accept"]
    assert summary["can_decide"] and not summary["awaiting_review"], "a failed run can be rejected, not accepted"
