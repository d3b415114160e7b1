"""Task parameters: declared under `params:`, used as `{{ name }}`, given as text and read as their type."""

from __future__ import annotations

from pathlib import Path

import pytest

from interns import tasks
from tests.tasks.conftest import WriteTask

TASK = """\
version: 1
name: notes
goal: Summarise the notes of {{ week }}.
workspace: {folder: "{{ notes_folder }}"}
params:
  notes_folder: {type: path, description: where the notes are}
  week: {default: week-1}
  workers: {type: int, default: 2}
workers: "{{ workers }}"
steps:
  - id: sum
    instructions: Summarise {{ week }} in {{ notes_folder }}/summary.md.
"""


def test_given_values_fill_text_paths_and_typed_fields(write_task: WriteTask, tmp_path: Path) -> None:
    path = write_task(TASK)
    spec = tasks.load(path, {"notes_folder": str(tmp_path / "week-49"), "workers": "3"})
    assert spec.goal == "Summarise the notes of week-1."
    assert spec.workspace.folder == tmp_path / "week-49"  # type: ignore[union-attr]
    assert spec.workers == 3
    assert spec.steps[0].instructions == f"Summarise week-1 in {tmp_path / 'week-49'}/summary.md."
    assert tasks.param_values(spec.params, {"notes_folder": "/n", "workers": "3"}) == {
        "notes_folder": "/n",
        "week": "week-1",
        "workers": 3,
    }


def test_a_relative_path_value_is_taken_from_where_the_person_runs(
    write_task: WriteTask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "here"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    spec = tasks.load(write_task(TASK), {"notes_folder": "notes/week-49"})
    assert spec.workspace.folder == elsewhere / "notes" / "week-49"  # type: ignore[union-attr]


def _problems(path: Path, given: dict[str, str] | None) -> list[tuple[int | None, str, str]]:
    with pytest.raises(tasks.TaskFileError) as caught:
        tasks.load(path, given)
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_a_missing_value_a_bad_value_and_an_unknown_name_are_named_by_line(write_task: WriteTask) -> None:
    path = write_task(TASK)
    found = _problems(path, {"workers": "many", "colour": "red"})
    assert (6, "params.notes_folder", "has no default, so a run must give it: -p notes_folder=...") in found
    assert (8, "params.workers", "-p workers: 'many' is not an integer") in found
    assert any(line == 5 and "-p colour: the task has no such parameter" in m for line, _, m in found), found


def test_a_use_of_an_undeclared_parameter_is_named_by_line(write_task: WriteTask) -> None:
    path = write_task(TASK.replace("Summarise {{ week }} in", "Summarise {{ wek }} in"))
    found = _problems(path, {"notes_folder": "/n"})
    assert found == [(12, "steps[0].instructions", "{{ wek }} names no parameter; declare it under params")]


def test_a_default_of_the_wrong_type_is_a_field_error(write_task: WriteTask) -> None:
    path = write_task(TASK.replace("{type: int, default: 2}", "{type: int, default: two}"))
    found = _problems(path, {"notes_folder": "/n"})
    assert found == [(8, "params.workers.default", "the default 'two' is not an integer")]


def test_a_value_of_the_wrong_type_for_its_field_fails_validation_there(write_task: WriteTask) -> None:
    path = write_task(TASK.replace("{type: int, default: 2}", "{default: two}"))
    found = _problems(path, {"notes_folder": "/n"})
    assert [(line, field) for line, field, _ in found] == [(9, "workers")]


def test_without_values_a_check_uses_stand_ins(write_task: WriteTask) -> None:
    spec = tasks.load(write_task(TASK), None)
    assert spec.workers == 2
    assert spec.goal == "Summarise the notes of week-1."


def test_a_file_without_params_is_unchanged_by_braces_that_name_nothing(write_task: WriteTask) -> None:
    text = TASK.split("params:")[0].replace("{{ week }}", "it").replace('"{{ notes_folder }}"', "n")
    text += "steps:\n  - id: a\n    instructions: \"docker inspect --format '{{.Id}}' x\"\n"
    spec = tasks.load(write_task(text), {})
    assert spec.steps[0].instructions == "docker inspect --format '{{.Id}}' x"


def test_assignments_split_on_the_first_equals_sign() -> None:
    assert tasks.parse_assignments(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(ValueError, match="NAME=VALUE"):
        tasks.parse_assignments(["novalue"])
    with pytest.raises(ValueError, match="given twice"):
        tasks.parse_assignments(["a=1", "a=2"])
