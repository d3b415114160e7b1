"""Only the person who started `interns view` can press its buttons: the secret is in the link printed to them.

The attacker is any process that reaches the viewer on loopback (another user's program, a sandbox that got out):
it can read whatever the viewer serves to a stranger, and send any request it likes, but it never sees the terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from interns.journal import ApprovalAnswered, RunStore
from tests.journal.viewer.conftest import Answer, fetch
from tests.journal.viewer.gate import RepoRun, paused_run, repo_run
from tests.journal.viewer.test_command import interns_view

TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{20,}")
"""Anything on a page that could be a secret (token_urlsafe makes such strings)."""


@pytest.fixture
def waiting(tmp_path: Path) -> Iterator[RepoRun]:
    """A repository run that waits for review."""
    run = repo_run(tmp_path)
    yield run
    run.repo.close()


def scraped_secrets(answer: Answer) -> list[str]:
    """Every token-like string a page or answer served to a stranger (headers and body)."""
    text = answer.body.decode("utf-8", "replace") + json.dumps(answer.headers)
    return sorted(set(TOKEN_LIKE.findall(text)))


def undecided(run: RepoRun) -> bool:
    """Nothing was decided: no review file, and main is as it was."""
    return not (run.runs / "runs" / run.run_id / "review.json").exists() and run.value_on_main == "VALUE = 1"


def posts_with_guessed_secrets(
    root: str, run_id: str, actions: tuple[tuple[str, str], ...], secrets: list[str]
) -> list[Answer]:
    """Each action posted from the viewer's own Origin with each secret a stranger could scrape or guess."""
    answers = []
    for action, note in actions:
        for secret in secrets:
            headers = {
                "Content-Type": "application/json",
                "Origin": root.rstrip("/"),
                "X-Interns-Token": secret,
                "Cookie": f"interns-view-{urlsplit(root).port}={secret}",
            }
            url = f"{root}api/runs/{run_id}/{action}"
            answers.append(fetch(url, method="POST", body={"note": note}, headers=headers, stranger=True))
    return answers


def test_a_stranger_on_loopback_cannot_accept_reject_or_retry(waiting: RepoRun) -> None:
    with interns_view("--runs-dir", str(waiting.runs), cwd=waiting.runs.parent) as viewing:
        root = viewing.url
        paths = ["", f"runs/{waiting.run_id}", f"api/runs/{waiting.run_id}", "static/common.js", "static/run.js"]
        pages = [fetch(root + path, stranger=True) for path in paths]
        scraped = [secret for page in pages for secret in scraped_secrets(page)] + ["", "guess"]
        actions = (("accept", ""), ("reject", "no"), ("retry", "again"))
        answers = posts_with_guessed_secrets(root, waiting.run_id, actions, scraped)

    assert {answer.status for answer in answers} <= {401, 403}, [a.body for a in answers if a.status not in (401, 403)]
    assert undecided(waiting)
    assert not any(urlsplit(viewing.link).query.split("=", 1)[-1] in page.body.decode() for page in pages)


def test_a_stranger_cannot_approve_deny_or_resume_a_paused_run(tmp_path: Path) -> None:
    run = paused_run(tmp_path)
    with interns_view("--runs-dir", str(run.runs), cwd=run.runs.parent) as viewing:
        root = viewing.url
        pages = [fetch(root + path, stranger=True) for path in ("", f"runs/{run.run_id}", "static/run.js")]
        scraped = [secret for page in pages for secret in scraped_secrets(page)] + ["", "guess"]
        answers = posts_with_guessed_secrets(
            root, run.run_id, (("approve", ""), ("deny", "no"), ("resume", "")), scraped
        )
        cookie = fetch(viewing.link, stranger=True).headers["Set-Cookie"].split(";", 1)[0]
        for action, origin, kind in (
            ("approve", "http://evil.example", "application/json"),
            ("deny", root.rstrip("/"), "text/plain"),  # what a form on another site can send
            ("resume", "null", "application/json"),
        ):
            headers = {"Cookie": cookie, "Origin": origin, "Content-Type": kind}
            url = f"{root}api/runs/{run.run_id}/{action}"
            answers.append(fetch(url, method="POST", body={"note": "no"}, headers=headers, stranger=True))
    events = list(RunStore(run.runs).events(run.run_id))
    run.repo.close()

    assert {answer.status for answer in answers} <= {401, 403}, [a.body for a in answers if a.status not in (401, 403)]
    assert not any(isinstance(event, ApprovalAnswered) for event in events)
    assert RunStore(run.runs).load(run.run_id).status == "awaiting_approval"


def test_the_printed_link_signs_the_person_in_and_their_actions_work(waiting: RepoRun) -> None:
    with interns_view("--runs-dir", str(waiting.runs), cwd=waiting.runs.parent) as viewing:
        root = viewing.url
        key = dict(pair.split("=", 1) for pair in urlsplit(viewing.link).query.split("&"))["key"]
        signed_in = fetch(viewing.link, stranger=True)
        cookie = SimpleCookie(signed_in.headers["Set-Cookie"])
        [(name, morsel)] = cookie.items()
        person = {"Cookie": f"{name}={morsel.value}", "Origin": root.rstrip("/"), "Content-Type": "application/json"}
        again_by_another = fetch(viewing.link, stranger=True)
        page = fetch(f"{root}runs/{waiting.run_id}", headers={"Cookie": person["Cookie"]}, stranger=True)
        elsewhere = fetch(
            f"{root}/evil.example/?key={key}&step=fix", headers={"Cookie": person["Cookie"]}, stranger=True
        )
        foreign = person | {"Origin": "http://evil.example"}
        from_elsewhere = fetch(
            f"{root}api/runs/{waiting.run_id}/accept", method="POST", body={}, headers=foreign, stranger=True
        )
        still_undecided = undecided(waiting)
        accepted = fetch(
            f"{root}api/runs/{waiting.run_id}/accept", method="POST", body={}, headers=person, stranger=True
        )

    assert (signed_in.status, signed_in.headers["Location"]) == (302, "/"), "to the clean URL, without the key"
    assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/"
    assert morsel.value != key and key not in page.body.decode() and morsel.value not in page.body.decode()
    assert again_by_another.status == 403, "the link works once"
    assert elsewhere.headers["Location"] == "/evil.example/?step=fix", "a signed-in browser stays on the viewer"
    assert from_elsewhere.status == 403 and still_undecided, "the cookie alone is not enough: the Origin must be ours"
    assert accepted.status == 200 and "accepted" in accepted.json["message"]
    assert waiting.value_on_main == "VALUE = 2"


def test_reads_need_the_cookie_too(waiting: RepoRun) -> None:
    with interns_view("--runs-dir", str(waiting.runs), cwd=waiting.runs.parent) as viewing:
        root = viewing.url
        listing = fetch(f"{root}api/runs", stranger=True)
        events = fetch(f"{root}api/runs/{waiting.run_id}/events", stranger=True)
        page = fetch(f"{root}runs/{waiting.run_id}", stranger=True)
        script = fetch(f"{root}static/common.js", stranger=True)

    assert (listing.status, events.status, page.status, script.status) == (401, 401, 401, 200)
    assert waiting.run_id not in listing.body.decode() + events.body.decode()
    assert b"interns view" in page.body, "the page says where the link is"
