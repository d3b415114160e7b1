"""The viewer's requests: the sign-in link, pages, static files and the JSON API, and the review actions.

Only static files answer a stranger. Everything about the runs needs the session cookie the printed link sets;
a review action also needs JSON from the viewer's own Origin.
"""

from __future__ import annotations

import json
import re
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from interns.journal.store import AmbiguousRun, RunLookupError, RunNotFound
from interns.journal.viewer.actions import ActionRefused
from interns.journal.viewer.diffs import diff_text
from interns.journal.viewer.evals import eval_view
from interns.journal.viewer.pages import page, read_event, step_edits
from interns.journal.viewer.scan import RUN_LEVEL
from interns.journal.viewer.search import FOUND_LIMIT, refusals_like, search_run
from interns.journal.viewer.worked_copy import file_lines, has_worked_copy

if TYPE_CHECKING:
    from interns.journal.viewer.server import ViewerServer

STATIC_NAME = re.compile(r"^[a-z0-9_-]+\.(?:js|css|svg)$")
RUN_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
CONTENT_TYPES = {"html": "text/html", "js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}
SECURITY_HEADERS = {
    # Every byte on a page comes from the viewer itself; what the model wrote is only ever shown as text.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
KEY_PARAMETER = "key"
"""The query parameter of the printed link that carries the viewer's key."""
ACTIONS = ("accept", "reject", "retry", "approve", "deny", "resume")
NEEDS_A_NOTE = {"reject": "to reject a run", "retry": "to retry a run", "deny": "to deny a request"}
BODY_LIMIT = 64_000
STEP_RUN_LEVEL = "_run"
"""How the API names the events that belong to no step."""


class ViewerHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the viewer it serves."""

    daemon_threads = True
    viewer: ViewerServer


def _static(name: str) -> bytes:
    return resources.files("interns.journal.viewer").joinpath("static", name).read_bytes()


class Handler(BaseHTTPRequestHandler):
    """One request to the viewer."""

    server: ViewerHTTPServer
    protocol_version = "HTTP/1.1"

    @property
    def viewer(self) -> ViewerServer:
        return self.server.viewer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a viewer's terminal is for its URL and the warnings, not for every request."""

    def do_GET(self) -> None:
        """Pages, static files and the read-only API."""
        self._answer(self._get)

    def do_POST(self) -> None:
        """The actions: accept, reject, retry, approve, deny, resume."""
        self._answer(self._post)

    def _answer(self, route: Any) -> None:
        if not self.viewer.allowed_host(self.headers.get("Host")):
            self._send_json({"error": "this viewer answers only to its own address"}, HTTPStatus.MISDIRECTED_REQUEST)
            return
        url = urlsplit(self.path)
        parts = [unquote(part) for part in url.path.strip("/").split("/")] if url.path.strip("/") else []
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        try:
            if self.command == "GET" and KEY_PARAMETER in query:
                self._sign_in(url.path, query)
            elif parts[:1] == ["static"] or self.viewer.signed_in(self.headers.get("Cookie")):
                route(parts, query)
            else:
                self._refuse_stranger(parts)
        except (RunNotFound, KeyError, IndexError) as exc:
            self._send_json({"error": str(exc.args[0]) if exc.args else str(exc)}, HTTPStatus.NOT_FOUND)
        except AmbiguousRun as exc:
            self._send_json({"error": str(exc)}, HTTPStatus.NOT_FOUND)
        except ValueError as exc:
            self._send_json({"error": str(exc)}, HTTPStatus.BAD_REQUEST)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away

    def _sign_in(self, path: str, query: dict[str, str]) -> None:
        """Trade the printed link's key for the session cookie, then go to the same page without the key."""
        rest = {name: value for name, value in query.items() if name != KEY_PARAMETER}
        # One leading slash: "//host/..." would send the browser to another site.
        clean = "/" + path.lstrip("/") + (f"?{urlencode(rest)}" if rest else "")
        session = self.viewer.trade_key(query[KEY_PARAMETER])
        if session is not None:
            cookie = f"{self.viewer.cookie_name}={session}; HttpOnly; SameSite=Strict; Path=/"
            self._redirect(clean, cookie=cookie)
        elif self.viewer.signed_in(self.headers.get("Cookie")):  # the person's browser, opening the link again
            self._redirect(clean)
        else:
            message = "this link's key is wrong or was already used: restart interns view for a new link"
            self._send_page("signin.html", status=HTTPStatus.FORBIDDEN, message=message)

    def _refuse_stranger(self, parts: list[str]) -> None:
        """A request without the session cookie: it learns nothing of the runs and can change nothing."""
        self.close_connection = True  # a body it sent is left unread
        message = "open the link interns view printed in its terminal: it signs this browser in"
        if parts[:1] == ["api"]:
            self._send_json({"error": f"not signed in: {message}"}, HTTPStatus.UNAUTHORIZED)
        else:
            self._send_page("signin.html", status=HTTPStatus.UNAUTHORIZED, message=message)

    def _get(self, parts: list[str], query: dict[str, str]) -> None:
        search = urlsplit(self.path).query
        views = self.viewer.views
        match parts:
            case []:
                self._send_page("list.html")
            case ["runs", ref] if RUN_ID.match(ref):
                try:
                    run_id = views.store.resolve(ref)
                except RunLookupError as exc:
                    self._send_page("missing.html", status=HTTPStatus.NOT_FOUND, message=str(exc))
                    return
                if run_id != ref:
                    self._redirect(f"/runs/{quote(run_id)}" + (f"?{search}" if search else ""))
                else:
                    self._send_page("run.html")
            case ["runs", ref, "events", n] if RUN_ID.match(ref) and n.isdigit():
                self._redirect(f"/runs/{quote(views.store.resolve(ref))}#event-{int(n)}")
            case ["evals", ref] if RUN_ID.match(ref):
                self._send_page("eval.html")
            case ["api", "evals", ref] if RUN_ID.match(ref):
                self._send_json(eval_view(views.store.root, ref))
            case ["static", name] if STATIC_NAME.match(name):
                self._send(_static(name), name.rsplit(".", 1)[1], cache="no-cache")
            case ["api", "runs"]:
                self._send_json(
                    views.listing(
                        status=query.get("status") or None,
                        task=query.get("task") or None,
                        text=query.get("q", ""),
                        awaiting_review=query.get("review") == "awaiting",
                        limit=_number(query.get("limit"), 200) or 200,
                    )
                )
            case ["api", "runs", ref] if RUN_ID.match(ref):
                self._send_json(views.summary(ref) | {"actions": self.viewer.actions is not None})
            case ["api", "runs", ref, "events"] if RUN_ID.match(ref):
                step = query.get("step")
                scan = views.scan(views.store.resolve(ref))
                found = page(
                    scan,
                    RUN_LEVEL if step == STEP_RUN_LEVEL else step,
                    after=_number(query.get("after")),
                    before=_number(query.get("before")),
                    around=_number(query.get("around")),
                    limit=_number(query.get("limit"), 200) or 200,
                )
                self._send_json(found | {"step": step, "events_in_run": scan.count})
            case ["api", "runs", ref, "events", n] if RUN_ID.match(ref) and n.isdigit():
                scan = views.scan(views.store.resolve(ref))
                event = read_event(scan, int(n), clip=False)
                step = event.get("step") if isinstance(event.get("step"), str) else None
                self._send_json(event | {"step_key": step or STEP_RUN_LEVEL})
            case ["api", "runs", ref, "search"] if RUN_ID.match(ref):
                scan = views.scan(views.store.resolve(ref))
                limit = min(_number(query.get("limit"), FOUND_LIMIT) or FOUND_LIMIT, FOUND_LIMIT)
                self._send_json(search_run(scan, query.get("q", ""), query.get("kind") or None, limit))
            case ["api", "runs", ref, "refusals"] if RUN_ID.match(ref):
                scan = views.scan(views.store.resolve(ref))
                group = (query.get("tool", ""), query.get("target", ""), query.get("rule", ""))
                self._send_json({"lines": refusals_like(scan, *group)})
            case ["api", "runs", ref, "diff"] if RUN_ID.match(ref):
                run_dir = views.store.dir(ref)
                self._send_json(diff_text(run_dir / "final.diff") | {"expandable": has_worked_copy(run_dir)})
            case ["api", "runs", ref, "file"] if RUN_ID.match(ref):
                start, end = _number(query.get("start")) or 0, _number(query.get("end")) or 0
                self._send_json(file_lines(views.store.dir(ref), query.get("path", ""), start, end))
            case ["api", "runs", ref, "steps", step, "changes"] if RUN_ID.match(ref):
                scan = views.scan(views.store.resolve(ref))
                self._send_json({"step": step, "changes": step_edits(scan, step)})
            case _:
                self._send_json({"error": f"nothing at {self.path}"}, HTTPStatus.NOT_FOUND)

    def _post(self, parts: list[str], query: dict[str, str]) -> None:
        match parts:
            case ["api", "runs", ref, action] if RUN_ID.match(ref) and action in ACTIONS:
                pass
            case _:
                self._send_json({"error": f"nothing to post to at {self.path}"}, HTTPStatus.NOT_FOUND)
                return
        if not self._trusted_post():
            self.close_connection = True
            self._send_json({"error": "this request did not come from the viewer's own page"}, HTTPStatus.FORBIDDEN)
            return
        length = _number(self.headers.get("Content-Length"), 0) or 0
        if length > BODY_LIMIT:
            self._send_json({"error": "the request is too large"}, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        body = json.loads(self.rfile.read(length) or b"{}")
        fields = body if isinstance(body, dict) else {}
        note = str(fields.get("note") or "").strip()
        call = str(fields["call"]) if fields.get("call") else None
        actions = self.viewer.actions
        if actions is None:
            self._send_json({"error": "this viewer was started without review actions"}, HTTPStatus.NOT_IMPLEMENTED)
            return
        run_id = self.viewer.views.store.resolve(ref)
        if action in NEEDS_A_NOTE and not note:
            self._send_json({"error": f"{NEEDS_A_NOTE[action]}, say why in a note"}, HTTPStatus.BAD_REQUEST)
            return
        carry_out = {
            "accept": lambda: actions.accept(run_id),
            "reject": lambda: actions.reject(run_id, note),
            "retry": lambda: actions.retry(run_id, note),
            "approve": lambda: actions.approve(run_id, call),
            "deny": lambda: actions.deny(run_id, note, call),
            "resume": lambda: actions.resume(run_id),
        }[action]
        try:
            with self.viewer.action_lock:  # one decision at a time: two clicks must not both land
                message = carry_out()
        except ActionRefused as exc:
            self._send_json({"ok": False, "error": str(exc)}, HTTPStatus.CONFLICT)
            return
        self._send_json({"ok": True, "message": message})

    def _trusted_post(self) -> bool:
        """A POST (already signed in) comes from the viewer's own page: its Origin, and JSON (a form cannot send it)."""
        if not self.viewer.own_origin(self.headers.get("Origin"), self.headers.get("Host")):
            return False
        return (self.headers.get("Content-Type") or "").startswith("application/json")

    def _send_page(self, name: str, *, status: HTTPStatus = HTTPStatus.OK, message: str = "") -> None:
        html = _static(name).decode()
        html = html.replace("__ACTIONS__", "on" if self.viewer.actions is not None else "off")
        html = html.replace("__MESSAGE__", escape(message))
        self._send(html.encode(), "html", status=status, cache="no-store")

    def _send_json(self, data: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(json.dumps(data, ensure_ascii=False).encode("utf-8", "backslashreplace"), "json", status=status)

    def _send(self, body: bytes, kind: str, *, status: HTTPStatus = HTTPStatus.OK, cache: str = "no-store") -> None:
        self.send_response(status)
        content_type = CONTENT_TYPES.get(kind, "application/json")
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _redirect(self, location: str, *, cookie: str | None = None) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        if cookie is not None:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()


def _number(value: str | None, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    if not value.lstrip("-").isdigit():
        raise ValueError(f"not a whole number: {value!r}")
    return int(value)
