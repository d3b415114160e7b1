"""`done_when` entries: shell commands as before, built-in checks for prose and data, and errors at their line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from interns import tasks
from interns.tasks import FileCheck, NoMarkersCheck, NotCopiedCheck, PreservesCheck, RubricCheck

ProblemsOf = Callable[[Path], list[tuple[int | None, str, str]]]
WriteTask = Callable[..., Path]

HEAD = "version: 1\nname: demo\ngoal: Do the thing.\nworkspace: {folder: data}\n"
"""The four required keys on lines 1-4."""
STEP = (
    "steps:\n  - id: sum\n    instructions: Summarise.\n    input: notes.md\n    output: summary.md\n    done_when:\n"
)
"""A step on lines 5-10 whose checks start at line 11."""
KINDS = "file, no_markers, preserves, not_copied, rubric"


def test_every_kind_of_check_loads_next_to_a_command(write_task: WriteTask, tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "out.json").write_text('{"type": "object"}')
    path = write_task(
        HEAD
        + "context: {exemplars: [good.md]}\n"
        + STEP
        + "      - pytest -q\n"
        + "      - {file: out.json, json_schema: schemas/out.json}\n"
        + "      - no_markers:\n"
        + "      - {preserves: {may_drop: [numbers, Acme Corp]}}\n"
        + "      - not_copied: {min_words: 8}\n"
        + "      - rubric: Every claim names its source.\n"
    )

    checks = tasks.load(path).steps[0].done_when

    assert checks[0] == "pytest -q"
    assert [type(check) for check in checks[1:]] == [
        FileCheck,
        NoMarkersCheck,
        PreservesCheck,
        NotCopiedCheck,
        RubricCheck,
    ]
    assert isinstance(checks[1], FileCheck) and checks[1].json_schema == tmp_path / "schemas" / "out.json"
    assert isinstance(checks[3], PreservesCheck) and checks[3].rules.may_drop == ["numbers", "Acme Corp"]
    assert isinstance(checks[4], NotCopiedCheck) and checks[4].limit.min_words == 8
    assert [tasks.check_kind(check) for check in checks] == [
        "command",
        "file",
        "no_markers",
        "preserves",
        "not_copied",
        "rubric",
    ]


def test_each_check_describes_itself_in_a_few_words() -> None:
    step = tasks.Step.model_validate(
        {
            "id": "a",
            "instructions": "x",
            "done_when": [
                "make test",
                {"file": "out.json"},
                {"file": "out.json", "json_schema": "/schemas/out.json"},
                {"no_markers": ["docs/*.md"]},
                {"preserves": {"input": "in.md", "output": "out.md"}},
                {"not_copied": None},
                {"rubric": "Plain words, no jargon.\nShort sentences."},
            ],
        }
    )

    assert [tasks.describe_check(check) for check in step.done_when] == [
        "make test",
        "out.json exists",
        "out.json matches the schema out.json",
        "no unresolved markers in docs/*.md",
        "out.md keeps the numbers, names, URLs and quotes of in.md",
        "no run of 12 words copied from the exemplars",
        "rubric: Plain words, no jargon.",
    ]


def test_a_step_planned_by_the_supervisor_round_trips_through_the_journal() -> None:
    step = tasks.Step(id="a", instructions="x", done_when=["true", NoMarkersCheck(no_markers=None)])

    assert tasks.Step.model_validate(step.model_dump()) == step


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        (
            "{no_marker: [x.md]}",
            "",
            f"a check is a shell command or a mapping keyed by one of {KINDS}; "
            "got the key 'no_marker' (did you mean 'no_markers'?)",
        ),
        ("{}", "", f"a check is a shell command or a mapping keyed by one of {KINDS}; got a mapping with no key"),
        (
            "true",
            "",
            f"a check is a shell command or a mapping keyed by one of {KINDS}; "
            "got true (YAML reads it as a value: write 'true' in quotes if it is a command)",
        ),
        ("''", "", "must not be empty"),
        (
            "{file: out.json, json_shema: s.json}",
            ".json_shema",
            "unknown key 'json_shema' (did you mean 'json_schema'?)",
        ),
        ("{preserves: {inptu: a.md}}", ".preserves.inptu", "unknown key 'inptu' (did you mean 'input'?)"),
        ("{preserves: {may_drop: numbers}}", ".preserves.may_drop", "expected a list, got 'numbers'"),
        ("{not_copied: {min_words: 2}}", ".not_copied.min_words", "must be at least 4, got 2"),
        ("{rubric: ''}", ".rubric", "must not be empty"),
        (
            "{no_markers: [/etc/passwd]}",
            ".no_markers[0]",
            "'/etc/passwd' is not a workspace glob: globs are "
            "relative to the workspace root, so they cannot start with '/' or '~' or have a '..' part",
        ),
    ],
)
def test_a_bad_check_is_named_at_its_line_and_field(
    entry: str, field: str, message: str, write_task: WriteTask, problems: ProblemsOf
) -> None:
    path = write_task(HEAD + STEP + "      - make test\n" + f"      - {entry}\n")

    assert problems(path) == [(12, "steps[0].done_when[1]" + field, message)]


def test_a_bad_task_level_check_is_named_too(write_task: WriteTask, problems: ProblemsOf) -> None:
    path = write_task(HEAD + "done_when:\n  - {rubrik: Clear.}\n")

    assert problems(path) == [
        (
            6,
            "done_when[0]",
            f"a check is a shell command or a mapping keyed by one of {KINDS}; "
            "got the key 'rubrik' (did you mean 'rubric'?)",
        ),
    ]


def test_a_schema_file_that_is_missing_or_broken_is_refused_at_load(
    write_task: WriteTask, problems: ProblemsOf, tmp_path: Path
) -> None:
    (tmp_path / "broken.json").write_text('{"type": "no-such-type"}')
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    path = write_task(
        HEAD
        + STEP
        + "      - {file: a.json, json_schema: missing.json}\n"
        + "      - {file: b.json, json_schema: broken.json}\n"
        + "      - {file: c.json, json_schema: list.yaml}\n"
    )

    found = problems(path)

    assert [(line, field) for line, field, _ in found] == [
        (11, "steps[0].done_when[0].json_schema"),
        (12, "steps[0].done_when[1].json_schema"),
        (13, "steps[0].done_when[2].json_schema"),
    ]
    assert found[0][2] == f"no such schema file: {tmp_path / 'missing.json'}"
    assert found[1][2].startswith(f"the schema file {tmp_path / 'broken.json'} is not a valid JSON Schema: ")
    assert found[2][2] == f"the schema file {tmp_path / 'list.yaml'} does not hold a JSON Schema (a mapping)"


def test_preserves_needs_files_to_compare(write_task: WriteTask, problems: ProblemsOf) -> None:
    path = write_task(
        HEAD
        + "steps:\n  - id: sum\n    instructions: Summarise.\n    output: summary.md\n    done_when:\n"
        + "      - preserves:\n"
        + "done_when:\n  - {preserves: {input: a.md}}\n"
    )

    assert problems(path) == [
        (10, "steps[0].done_when[0].preserves", "needs an 'input' file: give one here or set the step's 'input'"),
        (12, "done_when[0].preserves", "at the task level, preserves needs its own 'output': no step's applies"),
    ]


def test_not_copied_needs_exemplars(write_task: WriteTask, problems: ProblemsOf) -> None:
    path = write_task(HEAD + STEP + "      - not_copied:\n")

    assert problems(path) == [
        (11, "steps[0].done_when[0].not_copied", "compares with context.exemplars, and this task names none")
    ]


def test_the_json_schema_describes_every_check(write_task: WriteTask) -> None:
    schema = tasks.json_schema()
    step_checks = schema["$defs"]["Step"]["properties"]["done_when"]["items"]["oneOf"]
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "version": 1,
        "name": "demo",
        "goal": "x",
        "workspace": {"folder": "."},
        "steps": [{"id": "a", "instructions": "x", "done_when": ["true", {"no_markers": None}, {"rubric": "ok"}]}],
    }
    bad = {**good, "steps": [{"id": "a", "instructions": "x", "done_when": [{"rubrik": "ok"}]}]}

    assert {"$ref": "#/$defs/PreservesCheck"} in step_checks
    assert schema["$defs"]["Preservation"]["properties"]["may_drop"]["description"].startswith("Facts the step may")
    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors(bad)) != []
