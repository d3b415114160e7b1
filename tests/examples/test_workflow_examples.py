"""The worked examples of personal workflows, run as their READMEs say, from a copy, and accepted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from interns.journal import CheckResult, RunStore, StepStarted
from tests.agents.cli.test_cli import interns

EXAMPLES = Path(__file__).parents[2] / "examples"

OUTPUTS = {
    "dictation-to-post": ["published/raw/post.md"],
    "notes-to-blog-post": ["drafts/post.md"],
    "weekly-report": ["reports/report.md"],
    "meta-review": ["meta/meta-review.md"],
    "inbox-triage": ["drafts/triage.md", "drafts/outbox/03-meeting.eml.txt"],
}


def run_example(tmp_path: Path, name: str) -> Path:
    """Copy the example, run it with its script and accept it; the copy's folder."""
    example = tmp_path / name
    shutil.copytree(EXAMPLES / name, example)
    inputs = {p: p.read_bytes() for p in example.rglob("*") if p.is_file()}
    run = interns("run", f"{name}/task.yaml", "--model", f"scripted:{name}/script.yaml", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    accepted = interns("review", "--accept", cwd=tmp_path)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    for path, data in inputs.items():
        assert path.read_bytes() == data, f"{path.relative_to(tmp_path)} changed: inputs stay as they were"
    return example


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_the_example_runs_offline_and_its_outputs_land_where_the_task_says(tmp_path: Path, name: str) -> None:
    assert (EXAMPLES / name / "README.md").read_text().count(f"examples/{name}/task.yaml") == 1
    example = run_example(tmp_path, name)
    for output in OUTPUTS[name]:
        assert (example / output).is_file(), f"{output} did not land"


def test_the_blog_post_pipeline_catches_a_dropped_number(tmp_path: Path) -> None:
    example = run_example(tmp_path, "notes-to-blog-post")
    store = RunStore(tmp_path / ".interns")
    events = list(store.events("last"))
    failed = [e for e in events if isinstance(e, CheckResult) and e.step == "draft" and not e.passed]
    assert failed and any("1.2 million" in finding for finding in failed[0].findings), failed
    assert [e.attempt for e in events if isinstance(e, StepStarted) and e.step == "draft"] == [1, 2]
    assert "1.2 million rows" in (example / "drafts" / "post.md").read_text()
    history = json.loads((store.dir("last") / "messages" / "draft.json").read_text())
    assert "1.2 million" in json.dumps(history[-2:]) or "1.2 million" in json.dumps(history), "the worker was told"


def test_show_folds_the_timeline_by_step_and_picks_one_step(tmp_path: Path) -> None:
    run_example(tmp_path, "notes-to-blog-post")
    folded = interns("show", "last", "--by-step", "--lines", "0", cwd=tmp_path).stdout
    headings = [line for line in folded.splitlines() if line.startswith("── ")]
    assert [h.split()[1:3] for h in headings] == [
        ["step", "fix"],
        ["step", "draft"],
        ["step", "verify"],
        ["the", "run"],
    ]
    draft = folded.split("── step draft")[1].split("── step verify")[0]
    assert "[draft]" in draft and "[fix]" not in draft and "[verify]" not in draft

    one = interns("show", "last", "--step", "verify", cwd=tmp_path).stdout
    assert "[verify]" in one and "[draft]" not in one and "[fix]" not in one and "run succeeded" in one


def test_the_dictation_pipeline_lists_corrections_and_the_judge_s_verdicts(tmp_path: Path) -> None:
    example = run_example(tmp_path, "dictation-to-post")
    events = list(RunStore(tmp_path / ".interns").events("last"))
    checks = {(e.step, e.passed): e for e in events if isinstance(e, CheckResult) and e.kind == "preserves"}
    assert checks["fix", True].notes == [
        "raw/speech.txt:3: name 'LLM' was corrected to 'vLLM' in raw/draft_v1_fixed.md",
        "raw/speech.txt:5: name 'Tomasz Nowack' was corrected to 'Tomasz Nowak' in raw/draft_v1_fixed.md",
    ]
    assert "the judge: kept, 'In the third quarter' is Q3 written out." in checks["smooth", True].notes[0]
    caught = checks["structure", False].findings
    assert "URL 'https://github.com/example/home-llm-bench' is missing" in caught[0] and "judge: lost" in caught[0]
    assert "name 'Tuesday'" in caught[1] and "judge: changed" in caught[1]
    post = (example / "published" / "raw" / "post.md").read_text()
    assert "https://github.com/example/home-llm-bench" in post and "Tuesday" not in post and "[HOOK" not in post
    assert sorted(p.name for p in (example / "notes" / "raw").iterdir()) == ["speech.txt"], "drafts stay in the run"
