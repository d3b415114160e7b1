"""The viewer as a person uses it, in headless Chromium: find a run, read what happened and what changed, accept it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from interns.agents.cli.view import GateActions
from interns.journal import (
    ApprovalAnswered,
    Journal,
    Notice,
    Redactor,
    RunStarted,
    RunStore,
    StepFinished,
    StepStarted,
    open_run,
)
from interns.journal.viewer import ViewerServer
from tests.journal.viewer.gate import ASKED_COMMAND, RepoRun, deep_edit_run, paused_run, repo_run
from tests.journal.viewer.runs import (
    HOSTILE_TEXT,
    MISSING_FACTS,
    NEW_LINES,
    StartRun,
    failed_check_run,
    failed_run,
    folder_run,
    record_demo_run,
    refusing_run,
    turn,
)


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
    assert page.locator("#final-diff .diff-file summary").inner_text().split() == ["app.py", "by", "fix", "+1", "−1"]
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


@pytest.fixture
def paused_desk(tmp_path: Path) -> Iterator[tuple[RepoRun, ViewerServer, GateActions]]:
    run = paused_run(tmp_path)
    actions = GateActions(run.runs)
    with ViewerServer(run.runs, actions=actions).start() as server:
        yield run, server, actions
    actions.wait()
    run.repo.close()


def signed_in_url(server: ViewerServer, path: str) -> str:
    return f"{server.url}{path}?key={server.key}"


def test_a_person_approves_a_paused_run_and_resumes_it_from_its_page(
    paused_desk: tuple[RepoRun, ViewerServer, GateActions], page: Any, screenshots: Path
) -> None:
    run, server, actions = paused_desk
    page.goto(signed_in_url(server, f"runs/{run.run_id}"))
    waiting = page.locator("#waiting")
    waiting.wait_for()
    assert ASKED_COMMAND in waiting.inner_text() and "Paused" in page.inner_text("#outcome")
    assert page.locator(".live-note").count() == 0, "a paused run's process has exited: it is not shown as going"
    assert page.locator("#resume").count() == 0, "nothing to resume while a request waits"
    screenshot(page, screenshots / "run-paused.png")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, screenshots / "run-paused-phone.png")
    page.set_viewport_size({"width": 1360, "height": 900})

    waiting.locator("button.deny").click()
    waiting.locator("button.confirm-deny").click()
    expect(page.locator("#answer-error")).to_contain_text("say why")
    assert not [e for e in RunStore(run.runs).events(run.run_id) if isinstance(e, ApprovalAnswered)]
    waiting.get_by_role("button", name="Cancel").click()

    waiting.locator("button.approve").click()
    expect(page.locator("#waiting")).to_have_count(0)
    expect(page.locator("#action-message")).to_contain_text("approved")
    [answer] = [e for e in RunStore(run.runs).events(run.run_id) if isinstance(e, ApprovalAnswered)]
    assert (answer.approved, answer.by) == (True, "viewer")

    page.click("#resume")
    page.click("#confirm")
    expect(page.locator("#run-head .badge").first).to_have_text("succeeded", timeout=60_000)
    assert "Succeeded" in page.inner_text("#outcome")
    assert page.locator("#accept").is_enabled(), "the run that went on to its end now waits for review"
    actions.wait()
    screenshot(page, screenshots / "run-resumed.png")


def test_a_person_denies_a_paused_call_with_a_reason_from_its_page(
    paused_desk: tuple[RepoRun, ViewerServer, GateActions], page: Any
) -> None:
    run, server, _ = paused_desk
    page.goto(signed_in_url(server, f"runs/{run.run_id}"))
    waiting = page.locator("#waiting")
    waiting.locator("button.deny").click()
    waiting.locator("textarea.deny-reason").fill("not on a Friday")
    waiting.locator("button.confirm-deny").click()

    expect(page.locator("#waiting")).to_have_count(0)
    expect(page.locator("#resume")).to_be_visible()
    [answer] = [e for e in RunStore(run.runs).events(run.run_id) if isinstance(e, ApprovalAnswered)]
    assert (answer.approved, answer.reason, answer.by) == (False, "not on a Friday", "viewer")


def test_a_failed_run_opens_on_its_failing_check_and_its_findings(desk: Desk, page: Any, screenshots: Path) -> None:
    run = failed_check_run(
        lambda **kw: open_run(desk.gate.runs, task_text="", model="m", workspace="w", redactor=Redactor(), **kw)
    )
    page.goto(desk.url(f"runs/{run.run_id}"))

    banner = page.locator("#failure")
    banner.wait_for()
    assert "E       assert 1 == 2" in banner.inner_text() and "collected noise line 1\n" not in banner.inner_text()
    banner.get_by_role("link", name=re.compile("its command")).click()
    expect(page.locator(".ev.highlight .cmd")).to_have_text("pytest -q")
    builtin = page.locator(".ev.k-check").first
    assert builtin.locator(".findings li").all_inner_texts() == MISSING_FACTS
    prefix = builtin.locator(".check-what").evaluate("e => getComputedStyle(e, '::before').content")
    assert prefix in ("none", "normal"), "a built-in check is no shell command"
    assert "2 fact(s) missing" in builtin.inner_text()
    screenshot(page, screenshots / "run-failed.png")


def test_a_run_page_opens_on_the_step_that_was_sent_back_under_a_line_per_step(desk: Desk, page: Any) -> None:
    page.goto(desk.url(f"runs/{desk.demo.run_id}"))

    story = page.locator("#story")
    story.locator('li[data-step="fix"]').wait_for()
    fix = story.locator('li[data-step="fix"]').inner_text()
    assert "2 attempts" in fix and "attempt 1 sent back: The check failed." in fix and "1 refusal" in fix
    assert "last check" in fix and "grep -q 2 app.py" in fix
    expect(page.locator("#stepbar .chip.active")).to_have_attribute("data-step", "fix")
    story.locator('li[data-step="explore"] .story-step').click()
    expect(page.locator("#stepbar .chip.active")).to_have_attribute("data-step", "explore")


def test_the_list_groups_a_retry_under_its_original_shows_progress_and_sorts(desk: Desk, page: Any) -> None:
    retry = open_run(
        desk.gate.runs, task="parser", goal="g", task_text="", model="m", workspace="w", redactor=Redactor()
    )
    retry.record(RunStarted(task="parser", goal="g", model="m", workspace="w", steps=[], retry_of=desk.failed.run_id))
    retry.finish("succeeded")
    page.goto(desk.url())
    page.wait_for_selector("#runs tbody tr[data-run]")

    assert rows(page) == [desk.failed.run_id, retry.run_id, desk.demo.run_id, desk.gate.run_id]
    original = page.locator(f'tr[data-run="{desk.failed.run_id}"]')
    assert original.locator("a.retried-as").inner_text() == retry.run_id
    assert "retry" in page.locator(f'tr[data-run="{retry.run_id}"]').get_attribute("class")
    assert "2/2 steps" in page.locator(f'tr[data-run="{desk.demo.run_id}"]').inner_text()
    assert "0/1 steps" in original.inner_text()
    assert original.locator(".badge").all_inner_texts() == ["failed"], "a failed run is not awaiting review"

    page.click('th button[data-sort="tokens"]')
    expect(page.locator("#runs tbody tr[data-run]").first).to_have_attribute("data-run", desk.demo.run_id)
    assert "sort=tokens" in page.url
    page.click('th button[data-sort="tokens"]')
    expect(page.locator("#runs tbody tr[data-run]").last).to_have_attribute("data-run", desk.demo.run_id)
    review = {"decision": "retried", "note": "again", "detail": f"retried as {retry.run_id}", "at": "2026-01-01"}
    (desk.failed.dir / "review.json").write_text(json.dumps(review))
    page.goto(desk.url(f"runs/{desk.failed.run_id}"))
    expect(page.locator("#retried-as")).to_have_attribute("href", f"/runs/{retry.run_id}")


def test_an_edit_in_the_timeline_is_a_diff_with_the_files_line_numbers(tmp_path: Path, page: Any) -> None:
    run = deep_edit_run(tmp_path)
    with ViewerServer(run.runs).start() as server:
        page.goto(signed_in_url(server, f"runs/{run.run_id}"))
        expect(page.locator(".ev.k-edit")).to_have_count(2)
        edit, write = page.locator(".ev.k-edit").all()
        assert edit.locator("tr.add td.ln").all_inner_texts() == ["", "6"]
        assert edit.locator("tr.del td.ln").all_inner_texts() == ["6", ""]
        assert write.locator("tr.add td.code").all_inner_texts() == ['+a "quoted" line', "+and a second"]
        page.click("#tab-diff")
        page.wait_for_selector("#final-diff table.diff")
        assert page.locator("#file-tree a").all_inner_texts() == ["app.py", "notes.txt"]
        assert page.locator("#final-diff .changed-by").all_inner_texts() == ["by bump", "by bump"]
    run.repo.close()


@pytest.mark.parametrize(("width", "height"), [(1360, 900), (390, 844)])
def test_the_run_page_fits_a_phone_and_a_desktop_in_light_and_dark(
    desk: Desk, page: Any, screenshots: Path, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for name, run_id in (("retried", desk.demo.run_id), ("failed", desk.failed.run_id)):
            page.goto(desk.url(f"runs/{run_id}"))
            page.locator(".ev").first.wait_for()
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} at {width}px is {overflow}px wider than the screen"
            body_width = page.locator(".ev .body").first.evaluate("e => e.getBoundingClientRect().width")
            assert body_width > width * 0.6, f"the timeline's text gets {body_width}px of {width}"
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert (background == "rgb(18, 21, 27)") == (scheme == "dark"), background
            screenshot(page, screenshots / f"run-{name}-{width}-{scheme}.png")


def test_a_reviewer_finds_things_in_a_run_by_search_kind_group_and_keys(desk: Desk, page: Any) -> None:
    run = refusing_run(
        lambda **kw: open_run(desk.gate.runs, task_text="", model="m", workspace="w", redactor=Redactor(), **kw)
    )
    denials = [n for n, line in enumerate((run.dir / "events.jsonl").read_text().splitlines(), 1) if '"deny"' in line]
    page.goto(desk.url(f"runs/{run.run_id}"))
    page.locator(".ev").first.wait_for()

    page.keyboard.press("/")
    page.keyboard.type("time 17")
    expect(page.locator("#search-results .found li")).to_have_count(1)
    page.locator("#search-results .found a").click()
    expect(page.locator(".ev.highlight")).to_contain_text("Trying again, time 17.")
    page.fill("#run-search", "")
    page.select_option("#kind-filter", "policy_decision")
    expect(page.locator("#search-count")).to_have_text("30 events")

    group = page.locator("#blocked li").first
    group.locator("button.next").click()
    expect(page.locator(".ev.highlight")).to_have_attribute("data-n", str(denials[0]))
    group.locator("button.next").click()
    expect(page.locator(".ev.highlight")).to_have_attribute("data-n", str(denials[1]))
    group.locator("button.prev").click()
    group.locator("button.prev").click()
    expect(page.locator(".ev.highlight")).to_have_attribute("data-n", str(denials[-1]))
    assert "30 of 30" in group.inner_text()

    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    after = page.locator(".ev.highlight").get_attribute("data-n")
    page.keyboard.press("k")
    expect(page.locator(".ev.highlight")).not_to_have_attribute("data-n", after)
    page.keyboard.press("]")
    expect(page.locator("#stepbar .chip.active")).to_have_attribute("data-step", "_all")
    page.keyboard.press("]")
    expect(page.locator("#stepbar .chip.active")).to_have_attribute("data-step", "_run")
    page.keyboard.press("[")
    page.keyboard.press("[")
    expect(page.locator("#stepbar .chip.active")).to_have_attribute("data-step", "fix")


def test_a_retry_shows_where_its_time_and_money_went_against_its_original(desk: Desk, page: Any) -> None:
    retry = open_run(desk.gate.runs, task="demo", goal="g", task_text="", model="m", workspace="w", redactor=Redactor())
    retry.record(RunStarted(task="demo", goal="g", model="m", workspace="w", steps=["fix"], retry_of=desk.demo.run_id))
    retry.record(StepStarted(step="fix", attempt=1, instructions="Set VALUE to 2."))
    retry.record(turn("fix", 1, "Done at once.", [], tokens=50))
    retry.record(StepFinished(step="fix", status="succeeded", attempts=1, summary="VALUE is 2."))
    retry.finish("succeeded")

    page.goto(desk.url(f"runs/{desk.demo.run_id}"))
    rows_of = page.locator("#waterfall-rows .wf-row")
    expect(rows_of).to_have_count(2)
    assert [row.locator(".tick").count() for row in rows_of.all()] == [1, 3], "a tick per model turn"
    assert "330 tokens" in rows_of.nth(1).inner_text()
    assert rows_of.nth(1).locator(".bar").evaluate("e => e.style.left") != ""

    page.goto(desk.url(f"runs/{retry.run_id}"))
    table = page.locator("#compare-table")
    table.wait_for()
    assert "the original" in table.inner_text()
    tokens_row = table.locator("tr", has_text="tokens").first.inner_text().split("\t")
    assert tokens_row == ["tokens", "60", "440"], tokens_row
    assert table.locator("tr.compare-step").count() == 2, "explore, in the original only, and fix"


def test_a_folder_runs_hunks_expand_to_the_lines_around_them(
    root: Path, start_run: StartRun, page: Any, screenshots: Path
) -> None:
    run = folder_run(start_run)
    with ViewerServer(root).start() as server:
        page.goto(signed_in_url(server, f"runs/{run.run_id}"))
        page.click("#tab-diff")
        page.wait_for_selector("#final-diff table.diff")
        expanders = page.locator("#final-diff tr.expand")
        expect(expanders).to_have_count(3)  # above the first hunk, between the two, after the last
        assert page.locator("#final-diff tr.ctx", has_text="line 20").count() == 0

        expanders.nth(1).locator("button.expand-more").click()  # the 13 lines between the hunks, all at once
        expect(expanders).to_have_count(2)
        assert page.locator("#final-diff tr.ctx", has_text="line 20").locator("td.ln").all_inner_texts() == ["20", "21"]
        screenshot(page, screenshots / "run-diff-expanded.png")
        expanders.last.locator("button.expand-more").click()  # 20 lines after the last hunk
        expect(page.locator("#final-diff tr.ctx", has_text="line 53")).to_have_count(1)
        expect(expanders.last.locator("button.expand-more")).to_have_text(
            "↓ 7 more lines"
        )  # the file's length is known now
        expanders.last.locator("button.expand-more").click()  # the file ends there: the control goes
        expect(expanders).to_have_count(1)
        expanders.first.locator("button.expand-more").click()
        expect(expanders).to_have_count(0)

        shown = page.locator("#final-diff tr.ctx, #final-diff tr.add")
        new_numbers = [row.locator("td.ln").nth(1).inner_text() for row in shown.all()]
        codes = shown.locator("td.code").all_inner_texts()
        markup = page.locator("#final-diff td.code img, #final-diff td.code script").count()
        title = page.title()
    assert new_numbers == [str(n) for n in range(1, len(NEW_LINES) + 1)], "every line of the file, once, in order"
    assert [code[1:] for code in codes] == NEW_LINES
    assert markup == 0 and title != "owned", "the file's markup is text, not elements"
