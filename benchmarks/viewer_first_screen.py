"""How long the review viewer takes to show the first screen of a run of 50,000 events, and the server's memory.

It journals a synthetic run (a plan of 12 steps, model turns, commands with long output, denials, approvals,
checks, retries, reviews and a final diff) through `journal.open_run`, then, over repeated runs, it starts a fresh
viewer process and times:

- cold: the run page's HTML, its scripts and stylesheet, and the API calls the page makes first (the run's summary
  and the first page of the default step's events), against a server that has never read the run;
- warm: the same again, on the same server;
- browser (where Playwright and Chromium are installed): from opening the URL in headless Chromium until the
  timeline shows its first event, each time on a fresh server.

It prints the medians and the viewer's peak resident memory, and returns them from `main`. The target is under 2 s
for the first screen of a 50,000-event run.

    .venv/bin/python benchmarks/viewer_first_screen.py [--events 50000] [--repeats 5] [--keep DIR] [--json FILE]

`--keep DIR` leaves the synthetic run under DIR, to look at: `interns view --runs-dir DIR`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from interns.journal import (
    CheckResult,
    CommandRun,
    Event,
    MergeResult,
    ModelResponse,
    Notice,
    PlanMade,
    PolicyDecision,
    Redactor,
    ReviewVerdict,
    RunFinished,
    RunStarted,
    StepFinished,
    StepRetry,
    StepStarted,
    ToolCall,
    Usage,
    open_run,
)

TARGET_S = 2.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
STEPS = 12
OUTPUT_LINES = [2, 2, 3, 5, 8, 8, 12, 30, 60, 300]
"""Lines of output a command prints, drawn from these: mostly a few, sometimes a test run's worth."""
TURNS_PER_ATTEMPT = 400
SERVER = """
import sys
from pathlib import Path
from interns.journal.viewer import ViewerServer
server = ViewerServer(Path(sys.argv[1]))
print(server.url, server.key, flush=True)
server.serve_forever()
"""

LOREM = (
    "The failing test expects the parser to keep trailing whitespace inside quoted fields; the tokenizer strips it "
    "before the quote is closed. I will move the strip after the field is complete and run the suite again."
)
PYTEST_LINE = "tests/test_parser.py::test_field_{i} PASSED                                  [{p:3d}%]"


def write_synthetic_run(root: Path, events: int = 50_000, seed: int = 7) -> str:
    """Journal a synthetic run of about `events` events under `root`; returns its id."""
    rng = random.Random(seed)
    steps = [f"step-{i:02d}" for i in range(STEPS)]
    journal = open_run(
        root,
        task="synthetic-large",
        goal="A large synthetic run, to time the viewer: many steps, long outputs, denials and retries.",
        task_text="version: 1\nname: synthetic-large\n",
        model="anthropic:claude-sonnet-4-5",
        workspace=str(root / "project"),
        redactor=Redactor(),
    )
    record = journal.record
    record(RunStarted(task="synthetic-large", goal="time the viewer", model="anthropic:claude-sonnet-4-5",
                      workspace=str(root / "project"), steps=steps, sandbox="bubblewrap"))  # fmt: skip
    plan = [
        {"id": s, "instructions": f"Part {i} of the work: fix the parser's handling of case {i}.",
         "needs": [steps[i - 1]] if i % 4 else [], "tools": ["read", "edit", "run"], "done_when": ["pytest -q"]}
        for i, s in enumerate(steps)
    ]  # fmt: skip
    record(PlanMade(source="supervisor", steps=plan))
    per_step = max(events - 4, STEPS * 8) // STEPS
    total = Usage()
    for i, step in enumerate(steps):
        written, attempt, usage = 0, 0, Usage()
        while True:
            attempt += 1
            record(StepStarted(step=step, attempt=attempt, instructions=plan[i]["instructions"], prompt=LOREM * 8))
            written += 1
            for _ in range(TURNS_PER_ATTEMPT):
                if written >= per_step - 6:
                    break
                count, spent = _turn(record, rng, step, attempt)
                written, usage = written + count, usage + spent
            failed = written < per_step - 6  # more to write: this attempt's check fails and the step goes on
            code = 1 if failed else 0
            record(CommandRun(step=step, argv=["bash", "-c", "pytest -q"], exit_code=code, duration=2.5,
                              stdout=_output(rng, 40), by="check"))  # fmt: skip
            record(CheckResult(step=step, command="pytest -q", passed=not failed, exit_code=code))
            written += 2
            if failed:
                record(StepRetry(step=step, attempt=attempt + 1, feedback="The check failed:\n" + _output(rng, 20)))
                written += 1
                continue
            notes = "The change does what the step asks."
            record(ReviewVerdict(step=step, attempt=attempt, decision="accept", notes=notes))
            break
        record(StepFinished(step=step, status="succeeded", attempts=attempt, summary=LOREM, usage=usage))
        record(MergeResult(branch=f"interns/steps/x/{step}", ok=True))
        total = total + usage
    record(Notice(level="warning", message="a synthetic run: nothing here was done by a real model"))
    record(RunFinished(status="succeeded", usage=total))
    journal.write_diff(_diff(rng))
    journal.finish("succeeded")
    return journal.run_id


def _turn(record: Any, rng: random.Random, step: str, attempt: int) -> tuple[int, Usage]:
    """One model turn and what it leads to: a policy decision, the tool call, maybe a command; events written, usage."""
    turn = Usage(requests=1, input_tokens=rng.randint(2_000, 9_000), output_tokens=rng.randint(50, 600),
                 cache_read_tokens=rng.randint(0, 6_000), cost_usd=round(rng.uniform(0.002, 0.03), 5))  # fmt: skip
    command = rng.choice(["pytest -q tests/test_parser.py", "grep -rn strip src/", "git push origin main",
                          "python -m parser --check data.csv", "pip install requests"])  # fmt: skip
    record(ModelResponse(step=step, attempt=attempt, text=LOREM[: rng.randint(40, len(LOREM))],
                         tool_calls=[{"tool": "run", "args": {"command": command}}], usage=turn))  # fmt: skip
    asked = command.startswith("pip install")
    denied = command.startswith("git push") or (asked and rng.random() < 0.5)
    verdict: Any = "deny" if denied else "allow"
    if command.startswith("git push"):
        rule, reason = "guardrails.commands.deny[0]: git push *", f"{command!r} matches the deny rule 'git push *'"
    elif asked:
        rule = "guardrails.commands.ask[0]: pip install *"
        reason = "a person at the terminal said " + ("no" if denied else "yes")
    else:
        rule, reason = "guardrails.commands.allow[0]: *", f"{command!r} matches the allow rule '*'"
    record(PolicyDecision(step=step, tool="run", target=command, verdict=verdict, rule=rule, reason=reason,
                          asked=asked))  # fmt: skip
    if denied:
        record(ToolCall(step=step, tool="run", args={"command": command}, ok=False, result="Refused by policy"))
        return 3, turn
    output = _output(rng, rng.choice(OUTPUT_LINES))
    code = rng.choice([0, 0, 0, 1])
    event: Event = CommandRun(step=step, argv=["bash", "-c", command], exit_code=code, duration=rng.uniform(0.01, 4),
                              stdout=output)  # fmt: skip
    record(event)
    record(ToolCall(step=step, tool="run", args={"command": command}, ok=code == 0, result=output[:4000]))
    return 4, turn


def _output(rng: random.Random, lines: int) -> str:
    return "\n".join(PYTEST_LINE.format(i=i, p=min(100, i * 100 // max(lines, 1))) for i in range(lines))


def _diff(rng: random.Random) -> str:
    parts = []
    for f in range(8):
        body = "".join(
            f"-    old_line_{n} = parse(field)\n+    new_line_{n} = parse(field).strip()\n" for n in range(20)
        )
        parts.append(f"diff --git a/src/mod_{f}.py b/src/mod_{f}.py\n--- a/src/mod_{f}.py\n+++ b/src/mod_{f}.py\n"
                     f"@@ -1,40 +1,40 @@\n def parse(field):\n{body}")  # fmt: skip
    return "".join(parts)


def _get(url: str, cookie: str) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie}), timeout=60) as response:
        return response.read()


def sign_in(base: str, key: str) -> str:
    """The session cookie the viewer's printed link sets (it answers nothing about the runs without it)."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        urllib.request.build_opener(Stay).open(f"{base}?key={key}", timeout=60)
    except urllib.error.HTTPError as redirect:
        return str(redirect.headers["Set-Cookie"]).split(";", 1)[0]
    raise RuntimeError("the viewer did not sign this client in")


def first_screen(base: str, run_id: str, cookie: str) -> tuple[float, int]:
    """Seconds to fetch what the run page needs for its first screen, and the bytes fetched."""
    started = time.perf_counter()
    got = len(_get(f"{base}runs/{run_id}", cookie))
    for name in ("viewer.css", "common.js", "diff.js", "events.js", "run.js"):
        got += len(_get(f"{base}static/{name}", cookie))
    summary_bytes = _get(f"{base}api/runs/{run_id}", cookie)
    summary = json.loads(summary_bytes)
    steps = summary["plan"]["steps"]
    first = summary["run"]["failed_step"] or next((s["id"] for s in steps if s["events"]), "_run")
    got += len(summary_bytes) + len(_get(f"{base}api/runs/{run_id}/events?step={first}&limit=150", cookie))
    return time.perf_counter() - started, got


class Viewer:
    """A viewer in a process of its own, so its memory is its own and each start is cold."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(root)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        assert self.process.stdout is not None
        self.url, self.key = self.process.stdout.readline().split()

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


def browser_times(root: Path, run_id: str, repeats: int) -> list[float] | str:
    """Seconds from opening the run page in headless Chromium until its timeline shows, or why it was not measured."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "playwright is not installed"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM}"
    figures = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            viewer = Viewer(root)
            try:
                page = browser.new_page()
                started = time.perf_counter()
                page.goto(f"{viewer.url}runs/{run_id}?key={viewer.key}")  # signs in, then the page
                page.wait_for_selector("#timeline .ev", timeout=60_000)
                figures.append(time.perf_counter() - started)
                page.close()
            finally:
                viewer.close()
        browser.close()
    return figures


def main(events: int = 50_000, repeats: int = 5, keep: Path | None = None, browser: bool = True) -> dict[str, Any]:
    """Write a synthetic run of `events` events, time the viewer's first screen `repeats` times; the figures."""
    with tempfile.TemporaryDirectory(prefix="viewer-bench-") as scratch:
        root = keep or Path(scratch) / ".interns"
        started = time.perf_counter()
        run_id = write_synthetic_run(root, events)
        written_s = time.perf_counter() - started
        journal_bytes = (root / "runs" / run_id / "events.jsonl").stat().st_size
        cold, warm, fetched, peak = [], [], 0, 0.0
        for _ in range(repeats):
            viewer = Viewer(root)
            try:
                cookie = sign_in(viewer.url, viewer.key)
                seconds, fetched = first_screen(viewer.url, run_id, cookie)
                cold.append(seconds)
                warm.append(first_screen(viewer.url, run_id, cookie)[0])
                peak = max(peak, viewer.peak_rss_mb())
            finally:
                viewer.close()
        in_browser = browser_times(root, run_id, repeats) if browser else "not asked for"
        count = sum(1 for _ in (root / "runs" / run_id / "events.jsonl").open("rb"))
    result: dict[str, Any] = {
        "events": count,
        "journal_mb": round(journal_bytes / 1e6, 1),
        "write_s": round(written_s, 2),
        "cold_s": round(statistics.median(cold), 3),
        "warm_s": round(statistics.median(warm), 3),
        "browser_s": round(statistics.median(in_browser), 3) if isinstance(in_browser, list) else None,
        "browser_note": in_browser if isinstance(in_browser, str) else "",
        "first_screen_kb": round(fetched / 1e3, 1),
        "server_peak_rss_mb": round(peak, 1),
        "repeats": repeats,
        "raw": {"cold": cold, "warm": warm, "browser": in_browser if isinstance(in_browser, list) else []},
        "run_id": run_id,
    }
    return result


def _print(result: dict[str, Any]) -> None:
    print(
        f"a run of {result['events']:,} events ({result['journal_mb']} MB of journal, written in {result['write_s']} s)"
    )
    print(f"first screen, cold server: {result['cold_s']:.3f} s (median of {result['repeats']})")
    print(f"first screen, warm server: {result['warm_s']:.3f} s")
    if result["browser_s"] is not None:
        print(f"first screen in Chromium, cold server, until the timeline shows: {result['browser_s']:.3f} s")
    else:
        print(f"first screen in Chromium: not measured ({result['browser_note']})")
    print(f"bytes the first screen fetched: {result['first_screen_kb']} kB")
    print(f"viewer's peak resident memory: {result['server_peak_rss_mb']} MB")
    worst = max(result["cold_s"], result["browser_s"] or 0)
    print(f"target: under {TARGET_S} s -> {'met' if worst < TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="journal the run under this folder and leave it there")
    parser.add_argument("--no-browser", action="store_true", help="skip the timing in headless Chromium")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    figures = main(args.events, args.repeats, keep=args.keep, browser=not args.no_browser)
    _print(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
