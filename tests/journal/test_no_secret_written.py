"""A secret planted everywhere a run records something appears in no file the journal writes."""

import json
from pathlib import Path

from interns.journal import CommandRun, ModelResponse, Redactor, RunStore, ToolCall, open_run

ENV_SECRET = "s3cr3t-from-the-environment-42"
PATTERN_SECRET = "sk-ant-api03-Zq8xW2vU4tS6rQ0pO9nM7lK5jH3gF1dE_-cB"


def test_planted_secrets_never_reach_any_file_of_the_journal(root: Path) -> None:
    redactor = Redactor.from_environ({"DEPLOY_TOKEN": ENV_SECRET, "PATH": "/usr/bin"})
    planted = f"token={ENV_SECRET} key={PATTERN_SECRET}"
    run = open_run(
        root,
        task="leaky",
        goal=f"Use {planted}",
        task_text=f"name: leaky\ncontext:\n  notes: {planted}\n",
        model="scripted:leaky.yaml",
        workspace="../project",
        redactor=redactor,
    )
    run.record(ModelResponse(attempt=1, text=f"I found {planted}", tool_calls=[{"args": {"cmd": planted}}]))
    run.record(ToolCall(tool="run", args={"argv": ["echo", planted], planted: planted}, ok=True, result=planted))
    run.record(CommandRun(argv=["env"], exit_code=0, duration=0.01, stdout=f"DEPLOY_TOKEN={ENV_SECRET}\n"))
    run.save_messages("worker", json.dumps([{"parts": [{"content": planted}]}]).encode())
    run.save_messages("raw", planted.encode())
    run.write_diff(f"+API_KEY = '{PATTERN_SECRET}'\n")
    run.finish("failed", reason=f"gave up on {planted}")
    list(RunStore(root).events(run.run_id))  # readers may write too (the index)

    files = [path for path in root.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"run.json", "events.jsonl", "task.yaml", "final.diff", "worker.json"}
    for path in files:
        content = path.read_bytes()
        for secret in (ENV_SECRET, PATTERN_SECRET):
            assert secret.encode() not in content, f"{secret} leaked into {path}"
            assert secret[: len(secret) // 2].encode() not in content, f"part of {secret} leaked into {path}"
    assert b"[REDACTED:DEPLOY_TOKEN]" in (run.dir / "events.jsonl").read_bytes()
    assert b"[REDACTED:ANTHROPIC_API_KEY]" in (run.dir / "final.diff").read_bytes()
