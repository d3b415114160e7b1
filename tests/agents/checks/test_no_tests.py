"""A check that rests on tests does not pass when its test command ran no test."""

from __future__ import annotations

import pytest

from interns.agents.checks.no_tests import ran_no_test
from interns.journal import CheckResult, StepFinished
from tests.agents.conftest import TaskDir

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "output",
    [
        "\n" + "-" * 70 + "\nRan 0 tests in 0.000s\n\nOK\n",
        "\n" + "-" * 70 + "\nRan 0 tests in 0.000s\n\nNO TESTS RAN\n",
        "============================= test session starts ==============================\ncollected 0 items\n\n"
        "============================ no tests ran in 0.01s =============================\n",
        "no tests ran in 0.02s\n",
    ],
)
def test_test_runners_that_ran_nothing_are_recognised(output: str) -> None:
    assert ran_no_test(output)


@pytest.mark.parametrize(
    "output",
    [
        "Ran 3 tests in 0.001s\n\nOK\n",
        "collected 10 items\n\n10 passed in 0.10s\n",
        "nothing to see: 'Ran 0 tests' is what we check for in code\n",
        "",
    ],
)
def test_output_of_tests_that_ran_is_not_flagged(output: str) -> None:
    assert not ran_no_test(output)


async def test_a_done_when_whose_tests_ran_none_fails_the_step(task_dir: TaskDir) -> None:
    task = task_dir.write(
        {
            "steps": [{"id": "fix", "instructions": "Fix it.", "done_when": ["python3 -m unittest -v calc.py"]}],
            "guardrails": {"sandbox": "local"},
            "review": {"retries": 0},
        },
        {"fix": [{"final": "Fixed."}]},
        {"calc.py": "def add(a, b):\n    return a + b\n"},
    )

    result, events = await task_dir.run(task)

    assert result.status == "failed"
    (check,) = [e for e in events if isinstance(e, CheckResult)]
    assert check.exit_code == 0 and not check.passed and "ran no test" in check.output
    finished = next(e for e in events if isinstance(e, StepFinished))
    assert finished.status == "failed"
