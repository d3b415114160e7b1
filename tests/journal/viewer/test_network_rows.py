"""The viewer lists the connections a step's proxy allowed and refused, among the step's events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from interns.journal import NetworkConnection, Redactor, RunFinished, RunStarted, StepFinished, StepStarted, open_run
from interns.journal.viewer import ViewerServer


def test_a_steps_network_connections_show_in_its_timeline(tmp_path: Path, page: Any) -> None:
    journal = open_run(
        tmp_path, task="fetch", goal="Fetch.", task_text="", model="m", workspace="/w", redactor=Redactor()
    )
    journal.record(RunStarted(task="fetch", goal="Fetch.", model="m", workspace="/w", steps=["get"]))
    journal.record(StepStarted(step="get", attempt=1, instructions="Get it."))
    allowed = {"method": "CONNECT", "allowed": True, "rule": "*.pythonhosted.org", "sent": 812, "received": 40960}
    journal.record(NetworkConnection(step="get", host="files.pythonhosted.org", port=443, **allowed))
    reason = "evil.example is not in guardrails.network.allow"
    journal.record(
        NetworkConnection(step="get", host="evil.example", port=80, method="GET", allowed=False, reason=reason)
    )
    journal.record(StepFinished(step="get", status="succeeded", attempts=1))
    journal.record(RunFinished(status="succeeded"))
    journal.finish("succeeded")
    with ViewerServer(tmp_path).start() as server:
        page.goto(f"{server.url}runs/{journal.run_id}?key={server.key}")
        page.click('#stepbar .chip[data-step="get"]')
        page.locator(".ev.k-denied").first.wait_for()
        shown = page.inner_text("#timeline")
    assert "CONNECT files.pythonhosted.org:443" in shown
    assert "allowed by '*.pythonhosted.org'; 812 B up, 40960 B down" in shown
    assert "GET evil.example:80" in shown and f"refused: {reason}" in shown
    assert "an event of a kind this viewer does not know" not in shown
