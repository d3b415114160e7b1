"""The viewer's HTTP API on loopback: the list and its filters, a run's summary, pages of events, diffs, links."""

from __future__ import annotations

from pathlib import Path

from interns.journal import Notice
from interns.journal.viewer import ViewerServer
from tests.journal.viewer.conftest import fetch, sign_in
from tests.journal.viewer.gate import deep_edit_run
from tests.journal.viewer.runs import (
    FINAL_DIFF,
    HOSTILE_TEXT,
    StartRun,
    demo_run,
    failed_check_run,
    failed_run,
    record_demo_run,
    refusing_run,
)


def test_the_list_filters_by_status_task_text_and_review(viewer: ViewerServer, start_run: StartRun) -> None:
    done = demo_run(start_run)
    failed = failed_run(start_run, task="other", reason="the parser still drops the quote")
    reviewed = demo_run(start_run)
    (reviewed.dir / "review.json").write_text('{"decision": "accepted", "note": "", "detail": "", "at": "now"}')
    api = f"{viewer.url}api/runs"

    everything = fetch(api).json
    assert [r["run_id"] for r in everything["runs"]] == [reviewed.run_id, failed.run_id, done.run_id]
    assert everything["tasks"] == ["demo", "other"] and everything["total"] == 3
    row = everything["runs"][2]
    assert (row["status"], row["denials"], row["approvals"], row["usage"]["total_tokens"]) == ("succeeded", 1, 1, 440)
    assert row["awaiting_review"] and not everything["runs"][0]["awaiting_review"]

    assert [r["run_id"] for r in fetch(f"{api}?status=failed").json["runs"]] == [failed.run_id]
    assert [r["run_id"] for r in fetch(f"{api}?task=demo").json["runs"]] == [reviewed.run_id, done.run_id]
    assert [r["run_id"] for r in fetch(f"{api}?q=QUOTE").json["runs"]] == [failed.run_id]
    # "awaiting review" only where a person can still accept: a failed run can be rejected, not accepted.
    assert [r["run_id"] for r in fetch(f"{api}?review=awaiting").json["runs"]] == [done.run_id]
    assert fetch(f"{api}?q=nothing-like-this").json["runs"] == []


def test_a_runs_summary_has_its_plan_totals_blocks_and_changes(viewer: ViewerServer, start_run: StartRun) -> None:
    run = demo_run(start_run)

    summary = fetch(f"{viewer.url}api/runs/{run.run_id}").json

    assert summary["run"]["status"] == "succeeded" and summary["awaiting_review"] and summary["can_accept"]
    steps = {step["id"]: step for step in summary["plan"]["steps"]}
    assert list(steps) == ["explore", "fix"]
    assert (steps["fix"]["status"], steps["fix"]["attempts"], steps["fix"]["needs"]) == ("succeeded", 2, ["explore"])
    assert steps["fix"]["tally"]["denials"] == 1 and steps["fix"]["tally"]["checks_failed"] == 1
    assert summary["totals"]["usage"]["total_tokens"] == 440 and summary["totals"]["usage"]["cost_usd"] > 0
    [blocked] = summary["denied"]
    assert (blocked["target"], blocked["rule"], blocked["count"]) == ("test_app.py", "guardrails.write", 1)
    assert summary["diff"]["files"] == [{"path": "app.py", "added": 1, "removed": 1}]
    assert summary["events"] == (run.dir / "events.jsonl").read_bytes().count(b"\n") and not summary["live"]


def test_events_come_in_pages_of_one_step(viewer: ViewerServer, start_run: StartRun) -> None:
    run = demo_run(start_run)
    events = f"{viewer.url}api/runs/{run.run_id}/events"

    explore = fetch(f"{events}?step=explore").json
    first = fetch(f"{events}?step=fix&limit=4").json
    rest = fetch(f"{events}?step=fix&after={first['last_n']}&limit=100").json
    run_level = fetch(f"{events}?step=_run").json

    assert [e["type"] for e in explore["events"]][:2] == ["step_started", "model_response"]
    assert explore["events"][1]["text"] == HOSTILE_TEXT, "sent as it was written; the page shows it as text"
    assert len(first["events"]) == 4 and first["more_after"] and not rest["more_after"]
    assert {e["step"] for e in first["events"] + rest["events"]} == {"fix"}
    assert [e["attempt_of"] for e in rest["events"]][-1] == 2
    assert [e["type"] for e in run_level["events"]] == ["run_started", "plan_made", "run_finished"]


def test_a_live_run_shows_events_as_they_are_written(viewer: ViewerServer, start_run: StartRun) -> None:
    live = record_demo_run(start_run(), finish=False)
    summary = fetch(f"{viewer.url}api/runs/{live.run_id}").json
    assert summary["live"] and summary["run"]["status"] == "running"
    seen = fetch(f"{viewer.url}api/runs/{live.run_id}/events?step=fix").json["last_n"]

    live.record(Notice(step="fix", message="still working"))
    newer = fetch(f"{viewer.url}api/runs/{live.run_id}/events?step=fix&after={seen}").json

    assert [e["message"] for e in newer["events"]] == ["still working"]
    assert fetch(f"{viewer.url}api/runs/{live.run_id}").json["events"] == summary["events"] + 1


def test_one_event_whole_the_final_diff_and_a_steps_edits(viewer: ViewerServer, start_run: StartRun) -> None:
    run = demo_run(start_run)
    api = f"{viewer.url}api/runs/{run.run_id}"

    event = fetch(f"{api}/events/6").json
    diff = fetch(f"{api}/diff").json
    [edit] = fetch(f"{api}/steps/fix/changes").json["changes"]

    assert (event["n"], event["type"], event["step_key"]) == (6, "command_run", "explore")
    assert (diff["text"], diff["truncated"]) == (FINAL_DIFF, False)
    assert edit["path"] == "app.py" and "+VALUE = 2" in edit["diff"]
    assert fetch(f"{api}/events/999").status == 404
    assert fetch(f"{api}/steps/nope/changes").status == 404


def test_runs_and_events_have_stable_links(viewer: ViewerServer, start_run: StartRun) -> None:
    run = demo_run(start_run)

    page = fetch(f"{viewer.url}runs/{run.run_id}")
    by_prefix = fetch(f"{viewer.url}runs/{run.run_id[:-2]}?step=fix")
    latest = fetch(f"{viewer.url}runs/last")
    event = fetch(f"{viewer.url}runs/{run.run_id}/events/7")
    missing = fetch(f"{viewer.url}runs/no-such-run")

    assert page.status == 200 and b'<main id="app"' in page.body
    assert (by_prefix.status, by_prefix.headers["Location"]) == (302, f"/runs/{run.run_id}?step=fix")
    assert latest.headers["Location"] == f"/runs/{run.run_id}"
    assert event.headers["Location"] == f"/runs/{run.run_id}#event-7"
    assert missing.status == 404 and b"no run matches" in missing.body


def test_pages_allow_only_the_viewers_own_scripts(viewer: ViewerServer, start_run: StartRun) -> None:
    run = demo_run(start_run)
    answer = fetch(f"{viewer.url}runs/{run.run_id}")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_another_host_name_is_refused(viewer: ViewerServer, start_run: StartRun) -> None:
    """A page on another site that rebinds its name to 127.0.0.1 still cannot read the runs."""
    demo_run(start_run)
    answer = fetch(f"{viewer.url}api/runs", headers={"Host": f"evil.example:{viewer.port}"})
    assert answer.status == 421 and b"run_id" not in answer.body
    assert fetch(f"{viewer.url}api/runs", headers={"Host": f"localhost:{viewer.port}"}).status == 200


def test_review_actions_need_the_cookie_json_and_the_viewers_own_origin(root: Path, start_run: StartRun) -> None:
    run = demo_run(start_run)
    with ViewerServer(root).start() as read_only:
        url = f"{read_only.url}api/runs/{run.run_id}/accept"
        json_type = {"Content-Type": "application/json"}
        own = {"Origin": read_only.url.rstrip("/")}
        stranger = fetch(url, method="POST", body={}, headers=json_type | own, stranger=True)
        cookie = sign_in(read_only.sign_in_url)
        as_form = fetch(url, method="POST", body={}, headers={"Content-Type": "application/x-www-form-urlencoded"})
        no_origin = fetch(url, method="POST", body={}, headers=json_type | {"Origin": ""})
        other_origin = fetch(url, method="POST", body={}, headers=json_type | {"Origin": "http://evil.example"})
        signed_in = fetch(url, method="POST", body={}, headers=json_type)
        page = fetch(f"{read_only.url}runs/{run.run_id}").body.decode()

    assert stranger.status == 401
    assert (as_form.status, no_origin.status, other_origin.status) == (403, 403, 403)
    assert signed_in.status == 501, "a viewer started without actions cannot act"
    assert read_only.key not in page and cookie.split("=", 1)[1] not in page
    assert 'name="interns-actions" content="off"' in page
    assert not (run.dir / "review.json").exists()


def test_a_failed_runs_summary_carries_the_failing_checks_findings(viewer: ViewerServer, start_run: StartRun) -> None:
    run = failed_check_run(start_run)
    lines = (run.dir / "events.jsonl").read_text().splitlines()
    check_n = max(n for n, line in enumerate(lines, 1) if '"check_result"' in line)
    command_n = next(n for n, line in enumerate(lines, 1) if '"command_run"' in line)

    failure = fetch(f"{viewer.url}api/runs/{run.run_id}").json["failure"]

    assert (failure["step"], failure["check"], failure["n"], failure["command_n"]) == (
        "fix",
        "pytest -q",
        check_n,
        command_n,
    )
    assert "E       assert 1 == 2" in failure["excerpt"] and "FAILED test_app.py::test_value" in failure["excerpt"]
    assert "noise line 1\n" not in failure["excerpt"], "the telling lines, not the start of the output"


def test_each_step_says_why_its_attempts_were_sent_back_and_its_last_check(
    viewer: ViewerServer, start_run: StartRun
) -> None:
    run = demo_run(start_run)

    steps = {step["id"]: step for step in fetch(f"{viewer.url}api/runs/{run.run_id}").json["plan"]["steps"]}

    assert steps["fix"]["sent_back"] == ["The check failed."] and steps["explore"]["sent_back"] == []
    assert steps["fix"]["last_check"] | {"n": 0} == {
        "n": 0,
        "passed": True,
        "command": "grep -q 2 app.py",
        "kind": "command",
    }
    assert steps["explore"]["last_check"] is None


def test_an_edit_is_a_diff_numbered_as_the_file_is_and_a_write_a_diff_of_its_lines(tmp_path: Path) -> None:
    run = deep_edit_run(tmp_path)
    with ViewerServer(run.runs).start() as server:
        sign_in(server.sign_in_url)
        events = fetch(f"{server.url}api/runs/{run.run_id}/events?step=bump").json["events"]
        changes = fetch(f"{server.url}api/runs/{run.run_id}/steps/bump/changes").json["changes"]
    run.repo.close()

    edit, write = [event for event in events if event["type"] == "tool_call" and event["ok"]]
    assert edit["line"] == 6 and "@@ -6 +6 @@" in edit["diff"] and "-VALUE = 1\n+VALUE = 2" in edit["diff"]
    assert '+a "quoted" line\n+and a second\n' in write["diff"], "the lines written, not an escaped string"
    assert [change["diff"] for change in changes] == [edit["diff"], write["diff"]]


def test_a_run_is_searched_by_text_and_kind_and_a_refusal_group_lists_every_line(
    viewer: ViewerServer, start_run: StartRun
) -> None:
    run = refusing_run(start_run, refusals=30)
    base = f"{viewer.url}api/runs/{run.run_id}"
    lines = (run.dir / "events.jsonl").read_text().splitlines()
    denials = [n for n, line in enumerate(lines, 1) if '"deny"' in line]

    by_text = fetch(f"{base}/search?q=TIME%2017").json
    by_kind = fetch(f"{base}/search?kind=policy_decision&limit=5").json
    both = fetch(f"{base}/search?q=time%201&kind=model_response").json
    group = fetch(f"{base}/refusals?tool=edit&target=test_app.py&rule=guardrails.write").json
    other = fetch(f"{base}/refusals?tool=edit&target=app.py&rule=guardrails.write").json

    [found] = by_text["found"]
    assert found["type"] == "model_response" and found["step"] == "fix" and "time 17" in found["snippet"]
    assert by_kind["total"] == 30 and len(by_kind["found"]) == 5 and by_kind["more"]
    assert {f["type"] for f in both["found"]} == {"model_response"} and both["total"] == 11, "time 1, 10 to 19"
    assert group["lines"] == denials and len(denials) == 30
    assert other["lines"] == []
