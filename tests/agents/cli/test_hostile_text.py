"""What a model or a sandbox wrote cannot drive the terminal: `interns run`, `show` and `review` print it visibly.

Control characters are shown as Python-style escapes (`\\x1b`, `\\x0d`, `\\x9b`, `\\u202e`), and rich markup in
sandbox text prints as it was written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# Each hostile sequence, and how it must look on the screen instead.
OSC_TITLE = ("\x1b]0;pwned-title\x07", "\\x1b]0;pwned-title\\x07")
OSC_CLIPBOARD = ("\x1b]52;c;cm0gLXJmIH4=\x07", "\\x1b]52;c;cm0gLXJmIH4=\\x07")
ERASE_LINE_ABOVE = ("\x1b[1A\x1b[2K", "\\x1b[1A\\x1b[2K")
BARE_CR = ("before\rafter", "before\\x0dafter")
BACKSPACES = ("rm\b\b\bls", "rm\\x08\\x08\\x08ls")
C1_CSI = ("\x9b2J", "\\x9b2J")
BIDI_OVERRIDE = ("\u202egnp.exe", "\\u202egnp.exe")
HOSTILE = [OSC_TITLE, OSC_CLIPBOARD, ERASE_LINE_ABOVE, BARE_CR, BACKSPACES, C1_CSI, BIDI_OVERRIDE]
PAYLOAD = " ".join(raw for raw, _ in HOSTILE)
RAW_CONTROLS = ["\x1b", "\x07", "\r", "\b", "\x9b", "\u202e"]
MARKUP = "[bold]loud[/bold] [link=https://evil.example]click[/link]"


def interns_bytes(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run the `interns` command line, keeping its output as bytes: text mode would turn a bare CR into a newline."""
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "interns", *args],
        cwd=cwd,
        env={**base, "COLUMNS": "200"},
        capture_output=True,
        timeout=120,
    )


def assert_shown_safely(result: subprocess.CompletedProcess[bytes], expected: list[str]) -> None:
    """No raw control character in stdout or stderr, and each expected visible form in stdout."""
    for stream in (result.stdout, result.stderr):
        text = stream.decode("utf-8", "surrogateescape")
        for raw in RAW_CONTROLS:
            assert raw not in text, f"{raw!r} reached the terminal:\n{text}"
    shown = result.stdout.decode()
    for visible in expected:
        assert visible in shown, f"{visible!r} is not shown:\n{shown}"


@pytest.fixture
def hostile_run(tmp_path: Path) -> Path:
    """A finished run whose model text, tool arguments, command output, file names and diff carry hostile bytes."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("first line\nsecond line\n")
    printf = "printf '%s\\n' " + " ".join(f"'{raw}'" for raw, _ in HOSTILE)
    script = {
        "work": [
            {"text": f"{MARKUP} model says {PAYLOAD}", "call": {"run": {"command": printf}}},
            {"call": {"write": {"path": "evil\x1b]0;title\x07\u202e.txt", "content": f"{PAYLOAD}\n"}}},
            {"call": {"edit": {"path": "notes.txt", "old": "second line", "new": f"{ERASE_LINE_ABOVE[0]}hidden"}}},
            {"call": {"read": {"path": f"missing{OSC_CLIPBOARD[0]}"}}},
            {"final": f"done {PAYLOAD} {MARKUP}"},
        ]
    }
    task = {
        "version": 1,
        "name": "hostile",
        "goal": "Print things.",
        "workspace": {"folder": "project"},
        "steps": [{"id": "work", "instructions": "Print things."}],
        "guardrails": {"sandbox": "local"},
        "review": {"supervisor": False},
    }
    (tmp_path / "script.yaml").write_text(yaml.safe_dump(script))
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(task))
    return tmp_path


def test_run_prints_model_text_tool_arguments_and_output_visibly(hostile_run: Path) -> None:
    result = interns_bytes("run", "task.yaml", "--model", "scripted:script.yaml", cwd=hostile_run)

    assert result.returncode == 0, result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    shown = ["model says \\x1b]0;pwned", "write evil\\x1b]0;title\\x07\\u202e.txt", "missing\\x1b]52;c;"]
    assert_shown_safely(result, shown)
    assert MARKUP in result.stdout.decode(), "rich markup from the model must print as written"


def test_show_prints_every_hostile_byte_visibly(hostile_run: Path) -> None:
    interns_bytes("run", "task.yaml", "--model", "scripted:script.yaml", cwd=hostile_run)

    result = interns_bytes("show", "last", "--lines", "20", cwd=hostile_run)

    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert_shown_safely(result, [visible for _, visible in HOSTILE])
    assert MARKUP in result.stdout.decode(), "rich markup from the model must print as written"


def test_show_by_step_and_json_print_no_raw_control_either(hostile_run: Path) -> None:
    interns_bytes("run", "task.yaml", "--model", "scripted:script.yaml", cwd=hostile_run)

    assert_shown_safely(interns_bytes("show", "last", "--by-step", cwd=hostile_run), [OSC_TITLE[1]])
    assert_shown_safely(interns_bytes("show", "last", "--summary", cwd=hostile_run), [])
    assert_shown_safely(interns_bytes("show", "last", "--only", "commands,failed", cwd=hostile_run), [])
    as_json = interns_bytes("show", "last", "--json", cwd=hostile_run)
    for raw in RAW_CONTROLS:
        assert raw not in as_json.stdout.decode(), f"{raw!r} reached the terminal in --json"


def test_review_shows_the_diff_and_its_file_names_visibly(hostile_run: Path) -> None:
    interns_bytes("run", "task.yaml", "--model", "scripted:script.yaml", cwd=hostile_run)
    [run_dir] = (hostile_run / ".interns" / "runs").iterdir()
    assert "\x1b[1A\x1b[2K" in (run_dir / "final.diff").read_text(), "the diff line carries the sequence"

    result = interns_bytes("review", "last", cwd=hostile_run)

    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert_shown_safely(result, ["+\\x1b[1A\\x1b[2Khidden", "-second line", "\\x9b2J"])
