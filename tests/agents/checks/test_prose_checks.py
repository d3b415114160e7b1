"""Built-in checks for prose and data in real runs: a scripted worker, a real sandbox, the journal as evidence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from interns.agents.cli.timeline import event_line
from interns.journal import CheckResult, Event, ModelResponse, StepRetry, StepStarted
from tests.agents.conftest import TaskDir

pytestmark = pytest.mark.anyio

NOTES = "# Notes\n\nRevenue rose 12.5% to $1.2 million in 2024, said Dana Whitfield of Northwind.\n"
FAITHFUL = "Summary: revenue rose 12.5% to $1.2 million in 2024 (Dana Whitfield, Northwind).\n"
DROPPED = "Summary: revenue rose to $1.2 million in 2024 (Dana Whitfield, Northwind).\n"


def stage(backend: str = "local", checks: list[Any] | None = None, **task: Any) -> dict[str, Any]:
    """A task with one stage that reads notes.md and writes summary.md."""
    step = {"id": "summarise", "instructions": "Summarise the notes.", "input": "notes.md", "output": "summary.md"}
    return {"steps": [{**step, "done_when": checks or []}], "guardrails": {"sandbox": backend}, **task}


def writes(text: str, path: str = "summary.md") -> list[dict[str, Any]]:
    """The turns of a worker that writes one file and stops."""
    return [{"call": {"write": {"path": path, "content": text}}}, {"final": f"wrote {path}"}]


def checks_of(events: list[Event], kind: str) -> list[CheckResult]:
    return [e for e in events if isinstance(e, CheckResult) and e.kind == kind]


@pytest.mark.parametrize("backend", ["local", "bubblewrap"])
async def test_a_stage_that_drops_a_number_is_sent_back_naming_it_and_passes_once_fixed(
    task_dir: TaskDir, backend: str
) -> None:
    task = task_dir.write(
        stage(backend, [{"preserves": None}]),
        {"summarise": writes(DROPPED) + writes(FAITHFUL)},
        files={"notes.md": NOTES},
    )

    result, events = await task_dir.run(task)

    assert result.status == "succeeded"
    first, second = checks_of(events, "preserves")
    assert (first.passed, first.exit_code) == (False, 1)
    assert first.findings == ["notes.md:3: number '12.5%' is missing from summary.md"]
    assert second.passed and second.findings == []
    retry = next(e for e in events if isinstance(e, StepRetry))
    assert "number '12.5%' is missing from summary.md" in retry.feedback
    assert (result.run_dir / "workspace" / "summary.md").read_text() == FAITHFUL


async def test_a_number_still_missing_after_the_last_attempt_fails_the_run(task_dir: TaskDir) -> None:
    task = task_dir.write(
        stage(checks=[{"preserves": {"may_drop": ["names"]}}], review={"retries": 0}),
        {"summarise": writes(DROPPED.replace("Dana Whitfield, Northwind", "a spokesperson"))},
        files={"notes.md": NOTES},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed" and result.failed_step == "summarise"
    (check,) = checks_of(events, "preserves")
    assert check.findings == ["notes.md:3: number '12.5%' is missing from summary.md"], "names may go, numbers not"


async def test_an_unresolved_marker_keeps_the_run_from_passing_and_is_listed(task_dir: TaskDir) -> None:
    text = "Summary: revenue rose 12.5% to $1.2 million in 2024.\nApproved by [UNCLEAR: who?] on [MISSING?: date].\n"
    task = task_dir.write(
        stage(checks=[{"no_markers": None}], review={"retries": 0}),
        {"summarise": writes(text)},
        files={"notes.md": NOTES},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed"
    (check,) = checks_of(events, "no_markers")
    assert check.command == "no unresolved markers in the output"
    assert check.findings == ["summary.md:2: [UNCLEAR: who?]", "summary.md:2: [MISSING?: date]"]
    shown = Console(width=200, record=True, color_system=None)
    shown.print(event_line(check))
    assert "summary.md:2: [UNCLEAR: who?]" in shown.export_text(), "the person sees each marker in the timeline"


async def test_markers_default_to_every_file_the_step_changed(task_dir: TaskDir) -> None:
    task = task_dir.write(
        {
            "steps": [{"id": "draft", "instructions": "Draft.", "done_when": [{"no_markers": None}]}],
            "guardrails": {"sandbox": "local"},
            "review": {"retries": 0},
        },
        {
            "draft": [
                {"call": {"write": {"path": "a.md", "content": "fine"}}},
                *writes("Due [ASSUMED: end of June].\n", "b/c.md"),
            ]
        },
        files={"old.md": "[UNCLEAR: untouched, so not this step's]\n"},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed"
    assert checks_of(events, "no_markers")[0].findings == ["b/c.md:1: [ASSUMED: end of June]"]


async def test_a_json_file_that_breaks_its_schema_fails_the_task(task_dir: TaskDir) -> None:
    schema = {"type": "object", "required": ["total"], "properties": {"total": {"type": "number"}}}
    (task_dir.root / "schemas").mkdir()
    (task_dir.root / "schemas" / "totals.json").write_text(json.dumps(schema))
    task = task_dir.write(
        {
            "steps": [{"id": "tally", "instructions": "Write totals.json."}],
            "done_when": [{"file": "totals.json", "json_schema": "schemas/totals.json"}, {"file": "missing.json"}],
            "guardrails": {"sandbox": "local"},
        },
        {"tally": writes('{"total": "lots"}', "totals.json")},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed" and result.failed_step is None
    schema_check, exists_check = checks_of(events, "file")
    assert schema_check.command == "totals.json matches the schema totals.json"
    assert schema_check.findings == ["totals.json: $.total: 'lots' is not of type 'number'"]
    assert exists_check.findings == ["missing.json: no such file"]
    assert "the task's checks failed: totals.json matches the schema totals.json" in result.reason


async def test_a_file_matching_its_schema_passes(task_dir: TaskDir) -> None:
    (task_dir.root / "totals.schema.yaml").write_text("type: object\nrequired: [total]\n")
    task = task_dir.write(
        stage(checks=[{"file": "totals.yaml", "json_schema": "totals.schema.yaml"}]),
        {"summarise": writes("total: 3\n", "totals.yaml")},
        files={"notes.md": NOTES},
    )
    task_text = task.read_text().replace("output: summary.md", "output: totals.yaml")
    task.write_text(task_text)

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    assert [c.passed for c in checks_of(events, "file")] == [True]


async def test_an_exemplar_copied_verbatim_fails(task_dir: TaskDir) -> None:
    exemplar = (
        "Quarterly results were strong across every region, with growth led by the northern stores "
        "and a steady rise in online orders through the autumn."
    )
    (task_dir.root / "exemplar.md").write_text(exemplar)
    copied = "Summary: revenue rose 12.5% to $1.2 million in 2024. " + exemplar.split(", with ")[1]
    task = task_dir.write(
        stage(
            checks=[{"not_copied": {"min_words": 10}}], context={"exemplars": ["exemplar.md"]}, review={"retries": 0}
        ),
        {"summarise": writes(copied)},
        files={"notes.md": NOTES},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed"
    (check,) = checks_of(events, "not_copied")
    assert check.findings == [
        "summary.md:1: 16 words copied from exemplar.md: "
        '"growth led by the northern stores and a steady rise in online orders through the autumn"'
    ]


async def test_a_rubric_is_judged_by_the_supervisor_model_with_its_reasoning_journaled(task_dir: TaskDir) -> None:
    rubric = "States the growth figure and who reported it."
    task = task_dir.write(
        stage(checks=[{"rubric": rubric}]),
        {
            "summarise": writes(DROPPED) + writes(FAITHFUL),
            "summarise.rubric": [
                {"final": {"passed": False, "reasoning": "The growth figure (12.5%) is not stated."}},
                {"final": {"passed": True, "reasoning": "States 12.5% growth and names Dana Whitfield."}},
            ],
        },
        files={"notes.md": NOTES},
    )

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    first, second = checks_of(events, "rubric")
    assert (first.passed, first.output) == (False, "The growth figure (12.5%) is not stated.")
    assert (second.passed, second.output) == (True, "States 12.5% growth and names Dana Whitfield.")
    assert first.command == f"rubric: {rubric}"
    retry = next(e for e in events if isinstance(e, StepRetry))
    assert "The growth figure (12.5%) is not stated." in retry.feedback
    judged = [e for e in events if isinstance(e, ModelResponse) and e.tool_calls and e.step == "summarise"]
    assert any(call["args"].get("reasoning") for e in judged for call in e.tool_calls), "the judge's turns journaled"


def interns(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The `interns` command line in a child process, with no model keys in its environment."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "interns", *args], cwd=cwd, env={**env, "COLUMNS": "200"}, capture_output=True, text=True
    )


def test_check_prints_each_check_and_run_wants_turns_for_each_rubric(task_dir: TaskDir) -> None:
    task = task_dir.write(
        stage(checks=["test -s summary.md", {"no_markers": None}, {"rubric": "Short."}]),
        {"summarise": writes(FAITHFUL)},
        files={"notes.md": NOTES},
    )

    checked = interns("check", str(task), cwd=task_dir.root)
    script = f"scripted:{task_dir.root / 'script.yaml'}"
    ran = interns("run", str(task), "--model", script, "--runs-dir", str(task_dir.runs), cwd=task_dir.root)

    assert checked.returncode == 0, checked.stderr
    assert "done when: test -s summary.md; no unresolved markers in the output; rubric: Short." in checked.stdout
    assert ran.returncode != 0
    assert "no turns for summarise.rubric" in ran.stderr


DICTATION = (
    'okay so um we ran llama 3 with 8 billion parameters on Mondays, Anna Kowalsky said "measure first" and the\n'
    'cost was 380 dollars [UNCLEAR: "Deb" or "Beth"?] for the Cloud Code trial.\n'
)
FIXED = (
    'Okay, so we ran Llama 3 8B on Monday. Anna Kowalski said "measure first", and the cost was $380 for the\n'
    "Claude Code trial.\n"
)


async def test_a_faithful_fix_errors_stage_passes_with_its_corrections_listed(task_dir: TaskDir) -> None:
    task = task_dir.write(
        stage(checks=[{"preserves": {"may_correct": True}}], review={"retries": 0}),
        {"summarise": writes(FIXED)},
        files={"notes.md": DICTATION},
    )

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    (check,) = checks_of(events, "preserves")
    assert check.passed and check.findings == []
    assert "notes.md:1: name 'Anna Kowalsky' was corrected to 'Anna Kowalski' in summary.md" in check.output
    assert "name 'Cloud Code' was corrected to 'Claude Code'" in check.output


async def test_a_model_name_changed_into_another_fails_though_names_may_go(task_dir: TaskDir) -> None:
    changed = FIXED.replace("Llama 3 8B", "Mistral 7B")
    task = task_dir.write(
        stage(checks=[{"preserves": {"may_drop": ["names"]}}], review={"retries": 0}),
        {"summarise": writes(changed)},
        files={"notes.md": FIXED},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed"
    (check,) = checks_of(events, "preserves")
    assert check.findings == [
        "notes.md:1: name 'Llama' became 'Mistral' in summary.md",
        "notes.md:1: number '3' became '7B' in summary.md",
        "notes.md:1: number '8B' became '7B' in summary.md",
    ]


async def test_a_stage_that_does_not_write_its_output_does_not_succeed_without_checks(task_dir: TaskDir) -> None:
    task = task_dir.write(
        stage(review={"retries": 1}),
        {"summarise": [{"final": "I could not write it."}, *writes(FAITHFUL, "elsewhere.md")]},
        files={"notes.md": NOTES},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed" and result.failed_step == "summarise", result.reason
    first, second = checks_of(events, "output")
    assert (first.passed, first.command, first.findings) == (False, "summary.md written", ["summary.md: not written"])
    assert second.findings == ["summary.md: not written"], "writing another file is no output"
    retry = next(e for e in events if isinstance(e, StepRetry))
    assert "summary.md: not written" in retry.feedback


async def test_a_stage_that_writes_its_output_passes_the_output_check(task_dir: TaskDir) -> None:
    task = task_dir.write(stage(), {"summarise": writes(FAITHFUL)}, files={"notes.md": NOTES})

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    assert [(c.passed, c.findings) for c in checks_of(events, "output")] == [(True, [])]


async def test_the_task_s_own_markers_are_counted_and_named_to_the_worker(task_dir: TaskDir) -> None:
    text = "[HOOK: a first line that grabs]\nRevenue rose 12.5% [CITE: the Q3 report] to $1.2 million.\n[NOTE: fine]\n"
    task = task_dir.write(
        stage(checks=[{"no_markers": {"kinds": ["HOOK", "CITE"]}}], review={"retries": 0}),
        {"summarise": writes(text)},
        files={"notes.md": NOTES},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed"
    (check,) = checks_of(events, "no_markers")
    assert check.command == "no unresolved markers ([HOOK: ...], [CITE: ...] too) in the output"
    assert check.findings == ["summary.md:1: [HOOK: a first line that grabs]", "summary.md:2: [CITE: the Q3 report]"]
    started = next(e for e in events if isinstance(e, StepStarted))
    assert "This task marks work still to do with `[HOOK: ...]`, `[CITE: ...]`, besides" in started.prompt


def test_a_marker_kind_in_lower_case_is_refused_with_its_line(task_dir: TaskDir) -> None:
    task = task_dir.write(stage(checks=[{"no_markers": {"kinds": ["hook"]}}]), {}, files={"notes.md": NOTES})

    checked = interns("check", str(task), cwd=task_dir.root)

    assert checked.returncode == 2, checked.stdout + checked.stderr
    assert "no_markers.kinds" in checked.stderr and "Traceback" not in checked.stderr, checked.stderr


async def test_the_judge_lets_pass_what_it_finds_kept_and_its_reasons_are_journaled_and_shown(
    task_dir: TaskDir,
) -> None:
    vague = "Summary: revenue rose sharply to $1.2 million in 2024, said Ms Whitfield of Northwind.\n"
    fixed = "Summary: revenue rose 12.5% to $1.2 million in 2024, said Ms Whitfield of Northwind.\n"
    same_person = {"verdict": "kept", "reason": "'Ms Whitfield' is Dana Whitfield, named by her title."}
    task = task_dir.write(
        stage(checks=[{"preserves": {"judge": True}}]),
        {
            "summarise": writes(vague) + writes(fixed),
            "summarise.facts": [
                {
                    "final": {
                        "verdicts": [
                            {"number": 1, "verdict": "lost", "reason": "It says 'sharply', not 12.5%."},
                            {"number": 2, **same_person},
                        ]
                    }
                },
                {"final": {"verdicts": [{"number": 1, **same_person}]}},
            ],
        },
        files={"notes.md": NOTES},
    )

    result, events = await task_dir.run(task)

    assert result.status == "succeeded", result.reason
    first, second = checks_of(events, "preserves")
    assert first.findings == [
        "notes.md:3: number '12.5%' is missing from summary.md; the judge: lost, It says 'sharply', not 12.5%."
    ]
    kept = (
        "notes.md:3: name 'Dana Whitfield' became 'Ms Whitfield' in summary.md; the judge: kept, "
        "'Ms Whitfield' is Dana Whitfield, named by her title."
    )
    assert first.notes == [kept] and (second.passed, second.notes) == (True, [kept])
    shown = Console(width=300, record=True, color_system=None)
    shown.print(event_line(second))
    assert "the judge: kept, 'Ms Whitfield' is Dana Whitfield" in shown.export_text(), "a person sees the reasons"
    judged = [e for e in events if isinstance(e, ModelResponse) and e.step == "summarise" and e.tool_calls]
    assert any("verdicts" in call["args"] for e in judged for call in e.tool_calls), "the judge's turns journaled"


async def test_without_a_verdict_the_heuristics_findings_stand(task_dir: TaskDir) -> None:
    task = task_dir.write(
        stage(checks=[{"preserves": {"judge": True}}], review={"retries": 0}),
        {"summarise": writes(DROPPED)},
        files={"notes.md": NOTES},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed"
    (check,) = checks_of(events, "preserves")
    assert check.findings == ["notes.md:3: number '12.5%' is missing from summary.md"]
    assert check.notes and check.notes[0].startswith("the judge gave no verdict, so the heuristics' stand")
