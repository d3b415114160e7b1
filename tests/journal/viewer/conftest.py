"""Fixtures for the viewer's tests: a viewer on loopback over a journal root, and a headless Chromium to drive it."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from interns.journal.viewer import ViewerServer

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium; Playwright cannot download a browser of its own where the tests run."""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
REQUIRE_VARIABLE = "INTERNS_REQUIRE_BROWSER"
"""Set (CI sets it) to make a missing browser fail the browser tests instead of skipping them."""
SCREENSHOTS_VARIABLE = "INTERNS_SCREENSHOTS"
DEFAULT_SCREENSHOTS = Path(__file__).resolve().parents[3] / "tests-output" / "screenshots"


class Answer:
    """An HTTP answer: status, headers and the body, decoded as JSON where it is JSON."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self) -> Any:
        return json.loads(self.body)


PEOPLE: dict[int, str] = {}
"""Port of each viewer signed in by `sign_in` → its session cookie, as the person's browser holds it."""


def fetch(
    url: str,
    *,
    method: str = "GET",
    body: object = None,
    headers: dict[str, str] | None = None,
    stranger: bool = False,
) -> Answer:
    """One request, without following redirects; an HTTP error is an answer like any other.

    It goes as the person (their session cookie, and for a POST their page's Origin) to a viewer `sign_in` signed
    in, unless `stranger`; `headers` have the last word.
    """

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    parts = urlsplit(url)
    person: dict[str, str] = {}
    if not stranger and parts.port in PEOPLE:
        person = {"Cookie": PEOPLE[parts.port]}
        if method == "POST":
            person["Origin"] = f"{parts.scheme}://{parts.netloc}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=person | (headers or {}))
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def sign_in(link: str) -> str:
    """Open the link a viewer printed, as the person does; their later `fetch`es carry the cookie. Returns it."""
    answer = fetch(link, stranger=True)
    assert answer.status == 302 and "Set-Cookie" in answer.headers, (answer.status, answer.body)
    cookie = answer.headers["Set-Cookie"].split(";", 1)[0]
    PEOPLE[urlsplit(link).port or 80] = cookie
    return cookie


@pytest.fixture
def viewer(root: Path) -> Iterator[ViewerServer]:
    """A read-only viewer over `root` on a free loopback port, its person signed in."""
    with ViewerServer(root).start() as server:
        sign_in(server.sign_in_url)
        yield server
        PEOPLE.pop(server.port, None)


def browser_problem() -> str | None:
    """Why no headless browser can run here, or None when one can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")  # not per session: Playwright's sync API keeps an event loop running meanwhile
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright; skipped (failed where required) when it cannot run."""
    if (problem := browser_problem()) is not None:
        if os.environ.get(REQUIRE_VARIABLE):
            pytest.fail(f"a browser is required ({REQUIRE_VARIABLE}) but: {problem}", pytrace=False)
        pytest.skip(f"browser tests skipped: {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page of a laptop's size; any script error on it fails the test."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the browser tests save their screenshots ($INTERNS_SCREENSHOTS, else tests-output/screenshots)."""
    folder = Path(os.environ.get(SCREENSHOTS_VARIABLE) or DEFAULT_SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
