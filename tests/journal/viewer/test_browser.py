"""The viewer as a person uses it, in headless Chromium: find a run, read what happened and what changed, accept it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from interns.agents.cli.view import GateActions
from interns.journal import Journal, Notice, Redactor, open_run
from interns.journal.viewer import ViewerServer
from tests.journal.viewer.gate import RepoRun, repo_run
from tests.journal.viewer.runs import HOSTILE_TEXT, failed_run, record_demo_run


@dataclass
class Desk:
    """A journal root with a repository run waiting for review, a demo run and a failed run, and a viewer over it."""

    gate: RepoRun
    demo: Journal
    failed: Journal
    server: ViewerServer

    def url(self, path: str = "") -> str:
        """The page at `path`, through the sign-in link: the browser trades its key for the cookie on first use."""
        address, _, fragment = (self.server.url + path.lstrip("/")).partition("#")
        joiner = "&" if "?" in address else "?"
        return f"{address}{joiner}key={self.server.key}" + (f"#{fragment}" if fragment else "")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    gate = repo_run(tmp_path)

    def start(**overrides: Any) -> Journal:
        arguments: dict[str, Any] = {"task": "demo", "goal": "Set VALUE to 2.", "task_text": "", "model": "m",
                                     "workspace": "/somewhere", "redactor": Redactor()}  # fmt: skip
        return open_run(gate.runs, **(arguments | overrides))

    demo = record_demo_run(start())
    failed = failed_run(start, task="parser", reason="the parser still drops the closing quote")
    actions = GateActions(gate.runs)
    with ViewerServer(gate.runs, actions=actions).start() as server:
        yield Desk(gate, demo, failed, server)
    actions.wait()
    gate.repo.close()


def screenshot(page: Any, path: Path) -> None:
    """The whole page, from its top (a full-page shot taken while scrolled draws the sticky bar midway)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)


def rows(page: Any) -> list[str]:
    return [row.get_attribute("data-run") for row in page.locator("#runs tbody tr[data-run]").all()]


def test_a_reviewer_finds_a_run_and_reads_what_happened(desk: Desk, page: Any, screenshots: Path) -> None:
    page.goto(desk.url())
    page.wait_for_selector("#runs tbody tr[data-run]")
    assert rows(page) == [desk.failed.run_id, desk.demo.run_id, desk.gate.run_id]
    assert page.locator(f'tr[data-run="{desk.failed.run_id}"]').inner_text().count("drops the closing quote") == 1
    screenshot(page, screenshots / "list.png")

    page.select_option("#status-filter", "failed")
    expect(page.locator("#runs tbody tr[data-run]")).to_have_count(1)
    assert rows(page) == [desk.failed.run_id] and "status=failed" in page.url
    page.select_option("#status-filter", "")
    expect(page.locator("#runs tbody tr[data-run]")).to_have_count(3)
    page.fill("#search", "value to 2")
    expect(page.locator("#runs tbody tr[data-run]")).to_have_count(1)
    assert rows(page) == [desk.demo.run_id]

    page.click(f'tr[data-run="{desk.demo.run_id}"] a')
    page.wait_for_url(re.compile(f"/runs/{desk.demo.run_id}"))
    page.wait_for_selector("#blocked li")
    blocked = page.inner_text("#blocked")
    assert "test_app.py" in blocked and "guardrails.write" in blocked
    assert page.inner_text("#figures").count("$0.0040") == 1, "the run's cost, four turns at a tenth of a cent"

    page.click('#stepbar .chip[data-step="explore"]')
    command = page.locator(".ev.k-command").first
    command.wait_for()
    assert HOSTILE_TEXT in page.inner_text("#timeline"), "the model's markup is shown as text"
    assert page.locator("#timeline img").count() == 0 and page.title() != "owned"
    assert "collected line 60" not in command.inner_text(), "long output starts folded"
    command.get_by_role("button", name=re.compile("show all 60 lines")).click()
    assert "collected line 60" in command.inner_text()
    screenshot(page, screenshots / "run.png")

    page.click("#tab-diff")
    page.wait_for_selector("#final-diff table.diff")
    assert page.locator("#final-diff tr.add td.code").inner_text() == "+VALUE = 2"
    assert page.locator("#final-diff tr.del td.code").inner_text() == "-VALUE = 1"
    assert page.locator("#final-diff tr.add td.ln").all_inner_texts() == ["", "2"], "old and new line numbers"
    assert page.locator("#final-diff .diff-file summary").inner_text().split() == ["app.py", "+1", "−1"]
    screenshot(page, screenshots / "run-diff.png")


def test_a_link_to_an_event_opens_its_step_at_that_event(desk: Desk, page: Any) -> None:
    denial = next(
        n for n, line in enumerate((desk.demo.dir / "events.jsonl").read_text().splitlines(), 1) if '"deny"' in line
    )

    page.goto(desk.url(f"runs/{desk.demo.run_id}#event-{denial}"))

    highlighted = page.locator(".ev.highlight")
    highlighted.wait_for()
    assert highlighted.get_attribute("data-n") == str(denial)
    assert "test_app.py" in highlighted.inner_text()
    assert page.locator("#stepbar .chip.active").get_attribute("data-step") == "fix"


def test_a_reviewer_accepts_a_run_from_its_page(desk: Desk, page: Any, screenshots: Path) -> None:
    page.goto(desk.url(f"runs/{desk.gate.run_id}"))
    [cookie] = page.context.cookies()
    assert page.url == desk.server.url + f"runs/{desk.gate.run_id}", "the key leaves the address bar at once"
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert page.evaluate("document.cookie") == "", "no script on the page can read the session"
    page.click("#accept")
    page.click("#confirm")

    page.wait_for_selector("#decision")
    assert "Accepted" in page.inner_text("#decision") and "fast-forward of main" in page.inner_text("#decision")
    assert desk.gate.value_on_main == "VALUE = 2", "the run's branch landed on main"
    assert page.locator("#accept").count() == 0, "a decided run offers no more decisions"
    screenshot(page, screenshots / "run-accepted.png")


def test_a_live_run_shows_new_events_as_they_arrive(desk: Desk, page: Any) -> None:
    live = record_demo_run(
        open_run(desk.gate.runs, task="live", goal="g", task_text="", model="m", workspace="w", redactor=Redactor()),
        finish=False,
    )
    page.goto(desk.url(f"runs/{live.run_id}?step=fix"))
    page.wait_for_selector(".live-note")

    live.record(Notice(step="fix", message="a new notice while you watch"))

    page.get_by_text("a new notice while you watch").wait_for(timeout=8_000)
    live.close()


def test_a_browser_without_the_link_sees_nothing_and_can_press_nothing(desk: Desk, page: Any) -> None:
    page.goto(desk.server.url + f"runs/{desk.gate.run_id}")

    assert "Open the link from your terminal" in page.inner_text("main")
    assert page.locator("#accept").count() == 0 and desk.gate.run_id not in page.content()
    assert desk.gate.value_on_main == "VALUE = 1"
