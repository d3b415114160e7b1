"""`interns run -p` and `interns check -p`: parameters through the real command line, into the run's header."""

from __future__ import annotations

from interns.journal import RunStore
from tests.agents.batch.conftest import NotesBatch


def test_a_run_uses_the_values_given_and_its_header_records_them(notes_batch: NotesBatch) -> None:
    [week] = notes_batch.weeks("all ok\n")
    result = notes_batch.interns("run", "task.yaml", "-m", "scripted:script.yaml", "-p", "notes_folder=notes/week-1")
    assert result.returncode == 0, result.stdout + result.stderr
    [header] = RunStore(notes_batch.runs).list()
    assert header.status == "succeeded"
    assert header.params == {"notes_folder": str(week), "style": "plain"}
    assert header.goal == f"Summarise the notes in {week}."
    assert header.workspace == str(week)


def test_a_run_without_a_required_value_names_the_parameter_and_exits_2(notes_batch: NotesBatch) -> None:
    result = notes_batch.interns("run", "task.yaml", "-m", "scripted:script.yaml", "-p", "colour=red")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "task.yaml:5: params.notes_folder: has no default, so a run must give it" in result.stderr
    assert "task.yaml:4: params: -p colour: the task has no such parameter (it declares: notes_folder, style)" in (
        result.stderr
    )
    assert not RunStore(notes_batch.runs).list()


def test_check_lists_the_params_and_checks_the_workspace_once_given(notes_batch: NotesBatch) -> None:
    without = notes_batch.interns("check", "task.yaml")
    assert without.returncode == 0, without.stderr
    assert "param notes_folder: path (no default: a run gives -p notes_folder=...)" in without.stdout
    assert "param style: str = plain" in without.stdout
    missing = notes_batch.interns("check", "task.yaml", "-p", "notes_folder=notes/nowhere")
    assert missing.returncode == 2
    assert "nowhere" in missing.stderr
    notes_batch.weeks("ok\n")
    given = notes_batch.interns("check", "task.yaml", "-p", "notes_folder=notes/week-1", "-p", "style=terse")
    assert given.returncode == 0, given.stderr


def test_a_retry_runs_the_task_again_with_the_same_values(notes_batch: NotesBatch) -> None:
    [week] = notes_batch.weeks("ok\n")
    args = ["run", "task.yaml", "-m", "scripted:script.yaml", "-p", "notes_folder=notes/week-1", "-p", "style=terse"]
    assert notes_batch.interns(*args).returncode == 0
    [first] = RunStore(notes_batch.runs).list()
    retried = notes_batch.interns("review", first.run_id, "--retry", "shorter, please", "--minutes", "1")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    newest = RunStore(notes_batch.runs).list(limit=1)[0]
    assert newest.run_id != first.run_id
    assert newest.params == {"notes_folder": str(week), "style": "terse"}
