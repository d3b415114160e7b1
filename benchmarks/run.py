"""The benchmark harness: runs every benchmark (or those named), prints a table of medians and ratios against peers
and floors with each target met or MISSED, and writes every raw figure as JSON.

    .venv/bin/python -m benchmarks                 # all, default sizes (a few minutes on 2 cores)
    .venv/bin/python -m benchmarks --quick         # all, tiny sizes (a smoke run)
    .venv/bin/python -m benchmarks --only journal_index --only prompt_weight --out figures.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks import (
    batch,
    journal_index,
    long_run,
    parallel,
    prompt_weight,
    prose_checks,
    proxy,
    readiness,
    solve_rate,
    solve_tasks,
    step_overhead,
)
from benchmarks.table import BenchResult, Row, at_most, render

RESULTS = Path(__file__).parent / "results"
ASKED_FOR_ONLY = {"solve_rate"}
"""Benchmarks left out of a plain run: the solve rate needs a model server and takes hours with a local model."""
VIEWER_TARGET_S = 2.0


def viewer(events: int, repeats: int) -> BenchResult:
    """The review viewer's first screen of a large run, from `viewer_first_screen.main`, where that module exists."""
    try:
        from benchmarks import viewer_first_screen
    except ImportError as exc:
        return BenchResult("viewer", rows=[Row("viewer · first screen", None, unit="s", note=f"not there: {exc}")])
    figures = viewer_first_screen.main(events=events, repeats=repeats)
    rows = []
    for key, label in (("cold_s", "cold server"), ("warm_s", "warm server"), ("browser_s", "in Chromium")):
        value = figures.get(key)
        row = Row(f"viewer · first screen, {label}", value, unit="s", note=f"{figures.get('events', events):,} events")
        if value is None:
            row.note = str(figures.get("browser_note", "not measured"))[:120]
        row.target, row.met = f"< {VIEWER_TARGET_S:g} s", at_most(value, VIEWER_TARGET_S)
        rows.append(row)
    rows.append(Row("viewer · server peak memory", figures.get("server_peak_rss_mb"), unit="MB"))
    return BenchResult("viewer", rows=rows, raw=figures)


def benchmarks(args: argparse.Namespace) -> dict[str, Callable[[], BenchResult]]:
    """Each benchmark by name, bound to the sizes asked for."""
    peer, install = not args.no_peer, not args.no_install
    return {
        "step_overhead": lambda: step_overhead.measure(
            steps=args.steps,
            rounds=args.step_rounds,
            sandbox_steps=args.sandbox_steps,
            floor_commands=args.floor_commands,
            peer=peer,
            install_peer=install,
        ),
        "readiness": lambda: readiness.measure(rounds=args.rounds * 5, commands=args.floor_commands // 4 or 1),
        "parallel": lambda: parallel.measure(rounds=args.parallel_rounds, turn_seconds=args.turn_seconds),
        "journal_index": lambda: journal_index.measure(events=args.events, runs=args.runs, rounds=args.rounds),
        "viewer": lambda: viewer(args.viewer_events, args.viewer_repeats),
        "prompt_weight": lambda: prompt_weight.measure(rounds=args.rounds, peer=peer, install_peer=install),
        "batch": lambda: batch.measure(runs=args.batch_runs, ray=not args.no_ray, store_runs=args.store_runs),
        "long_run": lambda: long_run.measure(rounds=args.rounds * 2, tool_turns=args.long_turns),
        "prose_checks": lambda: prose_checks.measure(args.prose_corpus),
        "proxy": lambda: proxy.measure(requests=args.floor_commands, rounds=args.rounds),
        "solve_rate": lambda: solve_rate.measure(
            attempts=args.attempts,
            base_url=args.base_url,
            model=args.model_name,
            tasks=args.solve_task or None,
            peer=peer,
            install_peer=install,
            on_attempt=_said,
        ),
    }


def _said(attempt: solve_rate.Attempt) -> None:
    verdict = "solved" if attempt.solved else f"not solved ({attempt.reason})"
    print(f"  {attempt.agent} on {attempt.task}: {verdict} in {attempt.seconds:.0f} s", file=sys.stderr, flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; --quick swaps every default size for a tiny one."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs, in seconds")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this benchmark (repeat)")
    parser.add_argument("--out", type=Path, help="raw figures JSON (default: benchmarks/results/<time>.json)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of the cheaper benchmarks (default 3)")
    parser.add_argument("--steps", type=int, help="agent steps per local run (default 1000)")
    parser.add_argument("--sandbox-steps", type=int, help="agent steps per bubblewrap and docker run (default 300)")
    parser.add_argument("--step-rounds", type=int, help="interleaved runs of each step-overhead variant (default 1)")
    parser.add_argument("--floor-commands", type=int, help="raw floor commands per round (default 200)")
    parser.add_argument("--parallel-rounds", type=int, help="runs of each workers setting (default 1)")
    parser.add_argument("--turn-seconds", type=float, help="the parallel model's seconds per turn (default 1)")
    parser.add_argument("--events", type=int, help="journal events to append (default 100000)")
    parser.add_argument("--runs", type=int, help="runs to list (default 10000)")
    parser.add_argument("--viewer-events", type=int, help="events in the viewer's run (default 50000)")
    parser.add_argument("--viewer-repeats", type=int, help="viewer timings (default 5)")
    parser.add_argument("--batch-runs", type=int, help="runs of the offline example per batch (default 200)")
    parser.add_argument("--store-runs", type=int, help="runs in the store for the batch listing (default 100000)")
    parser.add_argument("--no-ray", action="store_true", help="leave the local Ray cluster out of the batch figures")
    parser.add_argument("--long-turns", type=int, help="tool turns of the long run on the Anthropic wire (default 200)")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("INTERNS_BASE_URL_LOCAL"),
        help="solve_rate: the OpenAI-compatible server both agents use (default: $INTERNS_BASE_URL_LOCAL)",
    )
    parser.add_argument("--model-name", default=solve_rate.MODEL, help="solve_rate: the server's model name")
    parser.add_argument("--attempts", type=int, help="solve_rate: attempts per task and agent (default 5)")
    parser.add_argument(
        "--solve-task", action="append", choices=sorted(solve_tasks.TASKS), help="solve_rate: only this task (repeat)"
    )
    parser.add_argument("--no-peer", action="store_true", help="leave mini-swe-agent out")
    parser.add_argument("--no-install", action="store_true", help="use mini-swe-agent only if already installed")
    parser.add_argument(
        "--prose-corpus", type=Path, default=prose_checks.CORPUS, help="a folder of stage pairs for prose_checks"
    )
    parser.add_argument("--profile", action="store_true", help="also profile one local worker run (where time goes)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else DEFAULTS
    for name, value in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


DEFAULTS: dict[str, Any] = {
    "rounds": 3,
    "steps": 1000,
    "sandbox_steps": 300,
    "step_rounds": 1,
    "floor_commands": 200,
    "parallel_rounds": 1,
    "turn_seconds": 1.0,
    "events": 100_000,
    "runs": 10_000,
    "viewer_events": 50_000,
    "viewer_repeats": 5,
    "batch_runs": 200,
    "store_runs": 100_000,
    "long_turns": 200,
    "attempts": 5,
}
QUICK: dict[str, Any] = {
    "rounds": 1,
    "steps": 20,
    "sandbox_steps": 5,
    "step_rounds": 1,
    "floor_commands": 8,
    "parallel_rounds": 1,
    "turn_seconds": 0.05,
    "events": 2_000,
    "runs": 200,
    "viewer_events": 2_000,
    "viewer_repeats": 1,
    "batch_runs": 2,
    "store_runs": 1_000,
    "long_turns": 30,
    "attempts": 1,
}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit.stdout.strip(),
    }


def compile_the_kit() -> None:
    """Write the kit's bytecode before anything is timed, as installing a package does: an editable checkout gets it on
    first import, never under PYTHONDONTWRITEBYTECODE, and each fresh `interns` would then compile what changed."""
    import compileall

    import interns

    package = Path(interns.__file__).resolve().parent.parent  # the checkout (editable) or site-packages (installed)
    for folder in ("interns", "agents", "tasks", "sandbox", "journal", "prompts"):
        if (package / folder).is_dir():
            compileall.compile_dir(package / folder, quiet=2)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks asked for, print the table, write the JSON."""
    args = parse(argv)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    chosen = benchmarks(args)
    unknown = [name for name in args.only if name not in chosen]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(chosen)}")
    compile_the_kit()
    report: dict[str, Any] = {"machine": machine(), "sizes": {k: getattr(args, k) for k in DEFAULTS}, "results": {}}
    rows: list[Row] = []
    for name, measure in chosen.items():
        if (args.only and name not in args.only) or (not args.only and name in ASKED_FOR_ONLY):
            continue
        console.print(f"[bold]{name}[/] ...")
        started = time.perf_counter()
        try:
            result = measure()
        except Exception as exc:  # one broken benchmark must not lose the figures of the others
            result = BenchResult(name, rows=[Row(name, None, note=f"failed: {exc}"[:160])])
            result.raw = {"error": traceback.format_exc()}
        took = time.perf_counter() - started
        console.print(f"  {took:.1f} s")
        report["results"][name] = {"seconds": took, "rows": [r.to_json() for r in result.rows], "raw": result.raw}
        rows += result.rows
    if args.profile:
        console.print("[bold]profile[/] of one local worker run ...")
        try:
            report["profile"] = step_overhead.profile_worker(min(args.steps, 300))
        except Exception:  # the figures measured so far are still written
            report["profile"] = {"error": traceback.format_exc()}
            console.print(report["profile"]["error"], markup=False)
        for entry in report["profile"].get("top_cumulative", []):
            console.print(f"  {entry['cum_ms_per_step']:7.2f} ms/step  {entry['function']}", markup=False)
    report["machine"]["load_average_after"] = os.getloadavg()
    load = ", ".join(f"{x:.2f}" for x in report["machine"]["load_average"])
    title = f"{report['machine']['cores']} cores, load average {load} at start; medians"
    render(rows, console, title=title)
    out = args.out or RESULTS / f"bench-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, default=str) + "\n")
    console.print(f"raw figures: {out}")
