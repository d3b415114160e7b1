"""Approve, deny and resume through the viewer's API do what `interns approve` and `interns resume` do, on a run that
really paused; and a run whose process is gone is never shown as going."""

from __future__ import annotations

import getpass
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from interns.agents.cli.view import GateActions
from interns.journal import ApprovalAnswered, Redactor, RunResumed, RunStore, open_run
from interns.journal.viewer import ViewerServer
from tests.journal.viewer.conftest import fetch, sign_in
from tests.journal.viewer.gate import ASKED_COMMAND, RepoRun, acting_viewer, paused_run, repo_run
from tests.journal.viewer.runs import record_demo_run
from tests.journal.viewer.test_actions import act

Desk = tuple[RepoRun, ViewerServer, GateActions]


@pytest.fixture
def paused(tmp_path: Path) -> Iterator[Desk]:
    with acting_viewer(paused_run(tmp_path)) as desk:
        yield desk


def answers(run: RepoRun) -> list[ApprovalAnswered]:
    return [e for e in RunStore(run.runs).events(run.run_id) if isinstance(e, ApprovalAnswered)]


def summary(server: ViewerServer, run_id: str) -> dict:
    return fetch(f"{server.url}api/runs/{run_id}").json


def test_a_paused_run_is_not_live_and_offers_its_requests_to_answer(paused: Desk) -> None:
    run, server, _ = paused

    seen = summary(server, run.run_id)

    assert seen["run"]["status"] == "awaiting_approval" and not seen["live"], "its process has exited"
    [request] = seen["waiting"]
    assert request["target"] == ASKED_COMMAND and request["call_id"]
    assert seen["can_answer"] and not seen["can_resume"] and not seen["can_decide"] and not seen["awaiting_review"]
    assert {step["id"]: step["status"] for step in seen["plan"]["steps"]} == {"bump": "awaiting_approval"}


def test_approving_from_the_viewer_is_journaled_with_where_who_and_which_host(paused: Desk) -> None:
    run, server, _ = paused
    [request] = summary(server, run.run_id)["waiting"]

    early = act(server, run.run_id, "resume")
    approved = act(server, run.run_id, "approve")
    after = summary(server, run.run_id)

    assert early.status == 409 and "still waits for answers" in early.json["error"]
    assert approved.status == 200 and ASKED_COMMAND in approved.json["message"]
    [answer] = answers(run)
    assert (answer.call_id, answer.approved, answer.by) == (request["call_id"], True, "viewer")
    assert (answer.user, answer.host) == (getpass.getuser(), socket.gethostname())
    assert after["waiting"] == [] and after["can_resume"] and not after["can_answer"]
    assert after["run"]["status"] == "awaiting_approval", "answering does not go on by itself"


def test_a_deny_needs_a_reason_and_the_reason_is_journaled(paused: Desk) -> None:
    run, server, _ = paused

    silent = act(server, run.run_id, "deny")
    blank = act(server, run.run_id, "deny", "   ")
    unknown = fetch(
        f"{server.url}api/runs/{run.run_id}/deny",
        method="POST",
        body={"note": "no", "call": "no-such-call"},
        headers={"Content-Type": "application/json"},
    )
    nothing_yet = answers(run)
    denied = act(server, run.run_id, "deny", "not on a Friday")

    assert (silent.status, blank.status) == (400, 400) and "say why" in silent.json["error"]
    assert unknown.status == 409 and "no unanswered request no-such-call" in unknown.json["error"]
    assert nothing_yet == []
    assert denied.status == 200 and denied.json["message"].startswith("denied")
    [answer] = answers(run)
    assert (answer.approved, answer.reason, answer.by) == (False, "not on a Friday", "viewer")


def test_resume_from_the_viewer_goes_on_in_the_background_and_is_journaled_as_the_viewers(paused: Desk) -> None:
    run, server, actions = paused
    assert act(server, run.run_id, "approve").status == 200

    resumed = act(server, run.run_id, "resume")
    twice = act(server, run.run_id, "resume")
    actions.wait()
    after = summary(server, run.run_id)

    assert resumed.status == 200 and "going on" in resumed.json["message"]
    assert twice.status == 409, twice.body
    assert after["run"]["status"] == "succeeded" and not after["live"] and after["awaiting_review"]
    [back] = [e for e in RunStore(run.runs).events(run.run_id) if isinstance(e, RunResumed)]
    assert (back.after, back.resumed, back.by) == ("awaiting_approval", ["bump"], "viewer")
    assert (back.user, back.host) == (getpass.getuser(), socket.gethostname())
    lines = (run.runs / "runs" / run.run_id / "events.jsonl").read_text().splitlines()
    commands = [event.get("argv") for event in map(json.loads, lines)]
    assert any(argv and ASKED_COMMAND in " ".join(argv) for argv in commands), "the approved command ran"


def test_answering_or_resuming_a_run_that_does_not_wait_changes_nothing_and_says_why(tmp_path: Path) -> None:
    run = repo_run(tmp_path)
    events = run.runs / "runs" / run.run_id / "events.jsonl"
    before = events.read_bytes()
    with ViewerServer(run.runs, actions=GateActions(run.runs)).start() as server:
        sign_in(server.sign_in_url)
        approved = act(server, run.run_id, "approve")
        denied = act(server, run.run_id, "deny", "no")
        resumed = act(server, run.run_id, "resume")
    run.repo.close()

    assert approved.status == 409 and "succeeded, not awaiting_approval: nothing to answer" in approved.json["error"]
    assert denied.status == 409 and "nothing to answer" in denied.json["error"]
    assert resumed.status == 409 and "only a run that is awaiting_approval" in resumed.json["error"]
    assert events.read_bytes() == before


def test_a_run_whose_process_is_gone_shows_as_interrupted_not_running(tmp_path: Path) -> None:
    journal = open_run(tmp_path, task="t", goal="g", task_text="", model="m", workspace="w", redactor=Redactor())
    record_demo_run(journal, finish=False).detach()  # its writer stops without an end, as a killed one does
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    header = json.loads((journal.dir / "run.json").read_text())
    (journal.dir / "run.json").write_text(json.dumps(header | {"pid": int(gone.stdout), "pid_start": 1}))
    with ViewerServer(tmp_path).start() as server:
        sign_in(server.sign_in_url)
        seen = summary(server, journal.run_id)
        [row] = fetch(f"{server.url}api/runs").json["runs"]
    shown = subprocess.run(
        [sys.executable, "-m", "interns", "runs", "--runs-dir", str(tmp_path)], capture_output=True, text=True
    )

    assert seen["run"]["status"] == "interrupted" and not seen["live"] and seen["can_resume"]
    assert row["status"] == "interrupted"
    assert "interrupted" in shown.stdout and "running" not in shown.stdout, shown.stdout + shown.stderr
