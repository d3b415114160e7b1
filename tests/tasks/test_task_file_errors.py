"""Files that are not a task file at all: missing, unreadable, not UTF-8, empty, bad YAML, not a mapping."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from interns import tasks

ProblemsOf = Callable[[Path], list[tuple[int | None, str, str]]]


def test_a_missing_file(tmp_path: Path, problems: ProblemsOf) -> None:
    assert problems(tmp_path / "nope.yaml") == [(None, "", "no such file")]


def test_a_folder_instead_of_a_file(tmp_path: Path, problems: ProblemsOf) -> None:
    assert problems(tmp_path) == [(None, "", "is a folder, not a task file")]


def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_byte(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    path = write_task("version: 1\nname: demo\ngoal: café\n".encode("latin-1"))

    assert problems(path) == [(3, "", "not UTF-8 text (byte 0xe9 cannot be decoded); save the file as UTF-8")]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_an_empty_file(text: str, write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    message = "the file is empty; a task file needs at least version, name, goal and workspace"

    assert problems(write_task(text)) == [(None, "", message)]


@pytest.mark.parametrize(
    ("text", "line", "got"), [("- a\n- b\n", 1, "a list"), ("just words\n", 1, "'just words'"), ("\n\n42\n", 3, "42")]
)
def test_a_top_level_that_is_not_a_mapping(
    text: str, line: int, got: str, write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    message = f"the top level must be a mapping of keys such as version, name, goal and workspace; got {got}"

    assert problems(write_task(text)) == [(line, "", message)]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("version: 1\nname: demo\n  goal: x\n", 3, "invalid YAML: mapping values are not allowed here"),
        ("version: 1\n\tname: demo\n", 2, "invalid YAML: found character '\\t' that cannot start any token"),
        (
            "version: 1\nname: [demo\n\n",
            4,
            "invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence at line 2)",
        ),
        (
            "version: 1\n---\nname: demo\n",
            2,
            "invalid YAML: expected a single document in the stream, but found another document",
        ),
        (
            "version: 1\nname: !custom demo\n",
            2,
            "invalid YAML: could not determine a constructor for the tag '!custom'",
        ),
        ("version: 1\nname: a\x07b\n", 2, "invalid YAML: the character U+0007 is not allowed in a YAML file"),
        ("version: 1\n? [a, b]\n: c\n", 2, "invalid YAML: a mapping key must be a plain value, not a list or mapping"),
        (
            "version: 1\nloop: &me\n  - *me\n",
            3,
            "the alias *me is inside the value it names, so it would repeat without end",
        ),
        ("version: 1\nname: *nowhere\n", 2, "invalid YAML: found undefined alias 'nowhere'"),
    ],
)
def test_bad_yaml_is_one_problem_at_the_line_yaml_names(
    text: str, line: int, message: str, write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    assert problems(write_task(text)) == [(line, "", message)]


def test_a_duplicate_key_is_a_problem_at_its_second_line(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    text = "version: 1\nname: demo\ngoal: g\nworkspace: {folder: data}\nname: other\n"

    assert problems(write_task(text)) == [
        (5, "name", "duplicate key 'name' (first at line 2); only the last one would count")
    ]


def test_problems_print_as_file_line_field_message(write_task: Callable[..., Path]) -> None:
    path = write_task("version: 1\nname: demo\ngoal: g\nworkspace: {folder: data}\nworkers: many\n")

    with pytest.raises(tasks.TaskFileError) as caught:
        tasks.load(path)

    assert str(caught.value) == f"{path}:5: workers: expected an integer, got 'many'"
    assert str(caught.value.problems[0]) == str(caught.value)


def test_a_problem_without_line_or_field_prints_only_what_it_has() -> None:
    assert str(tasks.Problem(Path("t.yaml"), None, "", "no such file")) == "t.yaml: no such file"
    assert str(tasks.Problem(Path("t.yaml"), 3, "", "invalid YAML: x")) == "t.yaml:3: invalid YAML: x"
    assert str(tasks.Problem(Path("t.yaml"), 3, "name", "bad")) == "t.yaml:3: name: bad"


def test_a_task_file_error_lists_its_problems_sorted_one_per_line() -> None:
    late = tasks.Problem(Path("t.yaml"), 9, "workers", "late")
    early = tasks.Problem(Path("t.yaml"), 2, "name", "early")
    whole = tasks.Problem(Path("t.yaml"), None, "", "whole file")

    error = tasks.TaskFileError([late, early, whole])

    assert error.problems == [whole, early, late]
    assert str(error).splitlines() == ["t.yaml: whole file", "t.yaml:2: name: early", "t.yaml:9: workers: late"]
