"""Quick start: a command loads only what it uses; model SDKs, docker, OpenTelemetry and the viewer wait for theirs, and
a run is on record before pydantic-ai and the sandboxes load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from interns.journal import RunStore
from tests.agents.batch.conftest import NOTES_TASK, SCRIPT
from tests.agents.conftest import TaskDir

HEAVY = ("anthropic", "openai", "docker", "opentelemetry", "interns.journal.viewer", "git", "interns.tasks")
BEFORE_THE_FIRST_EVENT = ("pydantic_ai", "docker", "git", "interns.sandbox.bubblewrap.backend", "asyncio", "rich")
"""What a new run does not need to load to journal its start."""


def loaded_after(*modules: str, among: tuple[str, ...] = HEAVY) -> set[str]:
    """Which of `among` a fresh interpreter holds after importing `modules`."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(h for h in {list(among)!r} if h in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


def test_the_command_line_loads_no_provider_sdk_tracing_viewer_git_or_task_model() -> None:
    assert loaded_after("interns.agents.cli.app") == set()


def test_the_command_line_loads_no_pydantic_rich_or_asyncio_before_a_command_is_chosen() -> None:
    assert loaded_after("interns.agents.cli.app", among=("pydantic", "rich", "asyncio")) == set()


def test_listing_runs_builds_no_event_model_and_loads_no_runtime() -> None:
    among = ("interns.journal.events", "interns.tasks", "pydantic_ai", "interns.agents.cli.timeline", "git")
    assert loaded_after("interns.agents.cli.app", "interns.agents.cli.runs", among=among) == set()


def test_a_run_loads_no_model_sdk_docker_or_viewer_until_it_needs_them() -> None:
    loaded = loaded_after("interns.agents.cli.app", "interns.agents.runtime.runner", "interns.agents.worker.models")
    assert not loaded & {"anthropic", "openai", "docker", "interns.journal.viewer", "git"}, loaded
    assert "pydantic_ai" not in loaded_after("interns.agents.runtime.runner", among=("pydantic_ai",))


def in_fresh_interpreter(task_dir: TaskDir, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """Start and run the task dir's task with its script in a new interpreter, printing each event's type and which
    of BEFORE_THE_FIRST_EVENT were loaded when it was journaled; `prelude` runs first."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        f"{prelude}\n"
        "from interns.agents.runtime.runner import Runner\n"
        f"heavy = {list(BEFORE_THE_FIRST_EVENT)!r}\n"
        "def seen(event):\n"
        "    print(json.dumps([event.type, sorted(h for h in heavy if h in sys.modules)]), flush=True)\n"
        f"runner = Runner(Path({str(task_dir.runs)!r}), on_event=seen)\n"
        f"supervisor = runner.start(Path({str(task_dir.root / 'task.yaml')!r}), "
        f"model='scripted:{task_dir.root / 'script.yaml'}')\n"
        "import asyncio; asyncio.run(supervisor.run())\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_new_run_journals_its_start_before_pydantic_ai_and_the_sandboxes_load(task_dir: TaskDir) -> None:
    task_dir.write({"steps": [{"id": "work", "instructions": "Say done."}], "guardrails": {"sandbox": "local"}},
                   {"work": [{"final": "done"}]})  # fmt: skip

    done = in_fresh_interpreter(task_dir)

    assert done.returncode == 0, done.stderr
    shown = [json.loads(line) for line in done.stdout.splitlines()]
    assert shown[0] == ["run_started", []], shown
    assert shown[1][0] == "notice" and shown[1][1] == [], "the scripted model's notice comes with the start"
    assert shown[-1][0] == "run_finished" and "pydantic_ai" in shown[-1][1], "the worker still ran on pydantic-ai"
    [header] = RunStore(task_dir.runs).list()
    assert header.status == "succeeded"


def told_by_interns_run(task_dir: TaskDir, tell: str, *command: str, just_before_main: str = "") -> list[list[Any]]:
    """Run `interns COMMAND` (by default the task dir's task with its script) through the CLI's `main` in a new
    interpreter; for each event as it is journaled, what the expression `tell` (with `event` in scope) was then."""
    script = f"scripted:{task_dir.root / 'script.yaml'}"
    argv = ["interns", *(command or ("run", str(task_dir.root / "task.yaml"), "--model", script))]
    code = (
        "import json, sys\n"
        "from interns.agents.cli.app import main\n"
        "from interns.journal import run\n"
        "record = run.Journal.record\n"
        "def record_and_tell(journal, event):\n"
        f"    print(json.dumps({tell}), file=sys.stderr, flush=True)\n"
        "    return record(journal, event)\n"
        "run.Journal.record = record_and_tell\n"
        f"{just_before_main}\n"
        f"sys.argv = {[*argv, '--runs-dir', str(task_dir.runs)]!r}\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stderr.splitlines() if line.startswith("[")]


def test_interns_run_journals_its_start_before_rich_asyncio_and_pydantic_ai_load(task_dir: TaskDir) -> None:
    task_dir.write({"steps": [{"id": "work", "instructions": "Say done."}], "guardrails": {"sandbox": "local"}},
                   {"work": [{"final": "done"}]})  # fmt: skip

    told = told_by_interns_run(
        task_dir, f"[event.type, sorted(h for h in {list(BEFORE_THE_FIRST_EVENT)!r} if h in sys.modules)]"
    )

    assert told[0] == ["run_started", []], told
    assert told[-1][0] == "run_finished" and {"asyncio", "pydantic_ai", "rich"} <= set(told[-1][1]), told


PLUGIN_DISTRIBUTION = {
    "noisy_plugin-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: noisy-plugin\nVersion: 1.0\n",
    "noisy_plugin-1.0.dist-info/entry_points.txt": "[pydantic]\nnoisy = noisy_plugin:plugin\n",
    "noisy_plugin.py": (
        "import os, pathlib\n"
        "pathlib.Path(os.environ['PLUGIN_LOADED_MARK']).write_text('loaded')\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    ),
}


@pytest.mark.parametrize(("setting", "loaded"), [(None, False), ("", True)])
def test_the_command_line_loads_no_pydantic_plugin_unless_told_to(
    tmp_path: Path, setting: str | None, loaded: bool
) -> None:
    """pydantic would read every installed distribution's entry points for plugins on each command's start."""
    site = tmp_path / "site"
    for name, text in PLUGIN_DISTRIBUTION.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    mark = tmp_path / "loaded"
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    env |= {"PYTHONPATH": str(site), "PLUGIN_LOADED_MARK": str(mark)}
    if setting is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = setting  # a person's own setting, even empty, is kept

    done = subprocess.run(
        [sys.executable, "-m", "interns", "schema"], capture_output=True, text=True, env=env, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert mark.exists() is loaded


BROKEN_SUPERVISOR = (
    "class Broken:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'interns.agents.runtime.supervisor': raise {exc}\n"
    "sys.meta_path.insert(0, Broken())\n"
)


@pytest.mark.parametrize(
    ("exc", "status", "reason"),
    [
        ("ImportError('a damaged install')", "failed", "ImportError: a damaged install"),
        ("KeyboardInterrupt()", "cancelled", "cancelled by the user"),
    ],
)
def test_a_run_whose_runtime_cannot_load_ends_its_begun_journal(
    task_dir: TaskDir, exc: str, status: str, reason: str
) -> None:
    task_dir.write({"steps": [{"id": "work", "instructions": "Say done."}], "guardrails": {"sandbox": "local"}},
                   {"work": [{"final": "done"}]})  # fmt: skip

    done = in_fresh_interpreter(task_dir, prelude=BROKEN_SUPERVISOR.format(exc=exc))

    assert done.returncode != 0
    [header] = RunStore(task_dir.runs).list()
    assert header.status == status, "a begun run never stays 'running' when its runtime does not load"
    last = list(RunStore(task_dir.runs).events(header.run_id))[-1]
    assert last.type == "run_finished" and reason in getattr(last, "reason", ""), last


COUNTING_COLLECTIONS = (
    "import gc\n"
    "default, collections = gc.get_threshold(), []\n"
    "gc.callbacks.append(lambda phase, info: phase == 'stop' and collections.append(info['generation']))\n"
)
COLLECTOR_STATE = "[event.type, len(collections), gc.get_freeze_count() > 0, gc.get_threshold() == default]"
"""Each event's type, the collections since `main` began, whether the start is frozen, whether the thresholds are
Python's own again."""


def test_interns_run_starts_without_collecting_garbage_and_collects_once_its_work_begins(task_dir: TaskDir) -> None:
    """The start makes objects that live as long as the process: walking them to find no garbage only slows it."""
    task_dir.write({"steps": [{"id": "work", "instructions": "Say done."}], "guardrails": {"sandbox": "local"}},
                   {"work": [{"final": "done"}]})  # fmt: skip

    told = told_by_interns_run(task_dir, COLLECTOR_STATE, just_before_main=COUNTING_COLLECTIONS)

    assert told[0] == ["run_started", 0, False, False], "no collection while the run starts"
    assert told[-1][0] == "run_finished" and told[-1][2:] == [True, True], "the start's objects frozen, then as usual"


def test_a_retry_from_review_collects_as_usual_once_its_run_begins(task_dir: TaskDir) -> None:
    """A retry runs a whole run in the review command's process, as long as any run."""
    task_dir.write({"steps": [{"id": "work", "instructions": "Say done."}], "guardrails": {"sandbox": "local"}},
                   {"work": [{"final": "done"}]})  # fmt: skip
    told_by_interns_run(task_dir, "event.type")
    [first] = RunStore(task_dir.runs).list()

    told = told_by_interns_run(
        task_dir, COLLECTOR_STATE, "review", first.run_id, "--retry", "again", just_before_main=COUNTING_COLLECTIONS
    )

    assert told[0][0] == "run_started" and told[0][2:] == [False, False], "held back while the retry starts"
    assert told[-1][0] == "run_finished" and told[-1][2:] == [True, True], "the start's objects frozen, then as usual"


def collector_when(
    module: str, attribute: str, argv: list[str], cwd: Path, env: dict[str, str], *, call_through: bool = True
) -> list[bool]:
    """Run `interns ARGV` through the CLI's `main` in a new interpreter, with `module`'s `attribute` (a function, or
    a class's method as `Class.method`) wrapped to say, when called, whether the start is frozen and the collector's
    thresholds are Python's own again; without `call_through` the wrapper returns at once (a server's loop)."""
    owner, _, name = attribute.rpartition(".")
    code = (
        "import gc, importlib, json, sys\n"
        "default = gc.get_threshold()\n"
        f"holder = importlib.import_module({module!r})\n"
        f"target = getattr(holder, {owner!r}) if {owner!r} else holder\n"
        f"real = getattr(target, {name!r})\n"
        "def wrapped(*args, **kwargs):\n"
        "    state = [gc.get_freeze_count() > 0, gc.get_threshold() == default]\n"
        "    print(json.dumps(state), file=sys.stderr, flush=True)\n"
        f"    return real(*args, **kwargs) if {call_through!r} else None\n"
        f"setattr(target, {name!r}, wrapped)\n"
        "from interns.agents.cli.app import main\n"
        f"sys.argv = {['interns', *argv]!r}\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return next(json.loads(line) for line in done.stderr.splitlines() if line.startswith("["))


def test_a_batch_and_the_viewer_collect_as_usual_once_their_work_begins(tmp_path: Path) -> None:
    """Both go on for as long as their rows run or the person reviews: they collect like any long-lived process."""
    (tmp_path / "task.yaml").write_text(NOTES_TASK)
    (tmp_path / "script.yaml").write_text(yaml.safe_dump(SCRIPT))
    (tmp_path / "notes" / "week-1").mkdir(parents=True)
    (tmp_path / "notes" / "week-1" / "notes.txt").write_text("all ok\n")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | {"INTERNS_HOME": str(tmp_path / "j")}
    batch = ["batch", "task.yaml", "--each", "notes/*", "-m", "scripted:script.yaml"]

    batch_rows = collector_when("interns.agents.batch", "run_batch", batch, tmp_path, env)
    viewer = ["view", "--runs-dir", str(tmp_path / "j")]
    viewer_loop = collector_when(
        "interns.journal.viewer", "ViewerServer.serve_forever", viewer, tmp_path, env, call_through=False
    )

    assert batch_rows == [True, True] and viewer_loop == [True, True]
