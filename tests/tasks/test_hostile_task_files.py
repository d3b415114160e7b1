"""Files built to hurt the loader: deep nesting, alias bombs, huge files. Each is refused at once with one problem."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from interns import tasks

ProblemsOf = Callable[[Path], list[tuple[int | None, str, str]]]

HEAD = "version: 1\nname: demo\ngoal: Do the thing.\nworkspace: {folder: data}\n"
"""The four required keys, valid, on lines 1-4; tests add lines from line 5 on."""

TOO_DEEP = "nested too deeply (more than 100 levels)"
TOO_BIG = "too big for a task file (more than 1 MiB); put long material in files that context.files or exemplars name"

# Run in a child with its address space capped, so a loader that expands the bomb again fails this test with a
# MemoryError or the timeout instead of taking the machine's memory.
_LOAD_IN_A_BOX = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
from interns import tasks
try:
    tasks.load(sys.argv[1])
except tasks.TaskFileError as error:
    print(json.dumps([[p.line, p.field, p.message] for p in error.problems]))
else:
    print("loaded")
"""


def load_in_a_box(path: Path) -> list[tuple[int | None, str, str]]:
    """The problems of loading `path` in a child process with 2 GiB of address space and 60 seconds."""
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_A_BOX, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [(line, field, message) for line, field, message in json.loads(done.stdout)]


def test_flow_lists_nested_5000_deep_are_one_problem(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    path = write_task(HEAD + "steps: " + "[" * 5000 + "]" * 5000 + "\n")

    assert problems(path) == [(5, "", TOO_DEEP)]


def test_block_mappings_nested_too_deep_are_refused_at_the_first_one_too_many(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    # the top level is level 1; the mapping under the key on line 5 is level 2 and starts on line 6, and so on
    nested = "".join("  " * depth + "k:\n" for depth in range(150))

    assert problems(write_task(HEAD + nested)) == [(105, "", TOO_DEEP)]


def test_a_hundred_levels_are_still_read(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    path = write_task(HEAD + "steps: " + "[" * 99 + "]" * 99 + "\n")

    assert problems(path) == [(5, "steps[0]", "expected a mapping, got a list")]


def test_an_alias_bomb_is_refused_at_the_alias_that_grows_it_too_big(write_task: Callable[..., Path]) -> None:
    # a "billion laughs": level i is a list of nine aliases of level i - 1, so level 8 would be 9**8 values
    levels = ["a0: &a0 lol"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path = write_task(HEAD + "\n".join(levels) + "\n")

    message = "too big: with what the alias *a4 repeats, the file grows past 20000 keys, values and items; "
    assert load_in_a_box(path) == [(10, "", message + "a task file needs far fewer")]


def test_an_alias_may_not_nest_its_value_deeper_than_the_bound(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    # each level wraps the one before in 50 lists: few values, but the built data would be 50 * 5 levels deep
    levels = ["l0: &l0 x"] + [f"l{i}: &l{i} {'[' * 50}*l{i - 1}{']' * 50}" for i in range(1, 6)]

    assert problems(write_task(HEAD + "\n".join(levels) + "\n")) == [(7, "", TOO_DEEP)]


def test_an_aliased_value_counts_its_own_depth_not_its_neighbours(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    # `deep` goes to level 100; `b` to level 2, so *b at level 99 of `c` reaches level 100 and is still allowed
    text = HEAD + "deep: " + "[" * 99 + "]" * 99 + "\nb: &b [x]\nc: " + "[" * 98 + "*b" + "]" * 98 + "\n"

    assert problems(write_task(text)) == [
        (5, "deep", "unknown key 'deep'"),
        (6, "b", "unknown key 'b'"),
        (7, "c", "unknown key 'c'"),
    ]


def test_a_file_with_too_many_values_is_refused_where_it_passes_the_bound(
    write_task: Callable[..., Path], problems: ProblemsOf
) -> None:
    # HEAD holds 11 values (the top mapping, 4 keys, 3 scalars, workspace's mapping, key and value); `context`,
    # its mapping, `files` and the list make 15, so item i is value 16 + i and item 19985 is value 20001
    items = "".join("    - a\n" for _ in range(20_000))

    message = "too big: the file grows past 20000 keys, values and items; a task file needs far fewer"
    assert problems(write_task(HEAD + "context:\n  files:\n" + items)) == [(7 + 19_985, "", message)]


def test_a_file_over_a_mebibyte_is_refused_unread(write_task: Callable[..., Path], problems: ProblemsOf) -> None:
    padding = "#" * (1024 * 1024 - len(HEAD)) + "\n"

    assert problems(write_task(HEAD + padding)) == [(None, "", TOO_BIG)]


def test_a_file_of_exactly_a_mebibyte_is_read(write_task: Callable[..., Path]) -> None:
    padding = "#" * (1024 * 1024 - len(HEAD) - 1) + "\n"
    path = write_task(HEAD + padding)

    assert path.stat().st_size == 1024 * 1024
    assert tasks.load(path).name == "demo"


def test_load_text_refuses_a_huge_text_before_parsing_it(tmp_path: Path) -> None:
    text = HEAD + "context: {notes: '" + "x" * (2 * 1024 * 1024) + "'}\n"

    try:
        tasks.load_text(text, tmp_path / "task.yaml")
    except tasks.TaskFileError as error:
        assert [(p.line, p.field, p.message) for p in error.problems] == [(None, "", TOO_BIG)]
    else:
        raise AssertionError("a 2 MiB task text loaded")


def test_anchors_and_aliases_within_the_bound_still_load(write_task: Callable[..., Path]) -> None:
    checks = [f"make check-{i}" for i in range(10)]
    first = f"  - {{id: s0, instructions: Do 0., done_when: &checks [{', '.join(checks)}]}}\n"
    rest = "".join(f"  - {{id: s{i}, instructions: Do {i}., done_when: *checks}}\n" for i in range(1, 150))

    spec = tasks.load(write_task(HEAD + "steps:\n" + first + rest + "done_when: *checks\n"))

    assert [step.done_when for step in spec.steps] == [checks] * 150
    assert spec.done_when == checks
