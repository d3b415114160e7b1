"""A writer killed mid-run loses nothing it recorded, and readers report its run as interrupted."""

import signal
import subprocess
import sys
from pathlib import Path

from interns.journal import Notice, RunStore

# Records events and prints each one's number once `record` has returned. With a pause, it stops after every
# `pause` events until told to go on; with 0 it runs flat out. Events are padded with up to `pad` bytes.
WRITER = """
import sys
from pathlib import Path
from interns.journal import Notice, Redactor, open_run

pause, pad = int(sys.argv[2]), int(sys.argv[3])
run = open_run(Path(sys.argv[1]), task="crashy", goal="die midway", task_text="name: crashy\\n",
               model="scripted:crash.yaml", workspace="../project", redactor=Redactor())
print(run.run_id, flush=True)
n = 0
while True:
    n += 1
    run.record(Notice(message=f"event {n} " + "x" * (n * 131 % (pad + 1))))
    print(n, flush=True)
    if pause and n % pause == 0:
        sys.stdin.readline()
"""


def run_writer_and_kill(root: Path, *, pause: int, pad: int, kill_after: int) -> tuple[str, int]:
    """Start a writer, SIGKILL it once it has acknowledged `kill_after` events; returns its run id and the count."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), str(pause), str(pad)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root.parent,
    )
    assert writer.stdin is not None and writer.stdout is not None
    run_id = writer.stdout.readline().strip()
    acknowledged = 0
    while acknowledged < kill_after:
        acknowledged = int(writer.stdout.readline())
        if pause and acknowledged % pause == 0 and acknowledged < kill_after:
            writer.stdin.write("go on\n")
            writer.stdin.flush()
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdin.close()
    writer.stdout.close()
    return run_id, acknowledged


def test_a_writer_killed_between_events_loses_none_of_them(root: Path) -> None:
    run_id, acknowledged = run_writer_and_kill(root, pause=50, pad=0, kill_after=300)
    store = RunStore(root)

    events = list(store.events(run_id))

    assert [e.seq for e in events] == list(range(1, acknowledged + 1))  # it was paused: exactly these, none lost
    assert all(isinstance(e, Notice) and e.message.startswith(f"event {e.seq} ") for e in events)
    assert [(h.run_id, h.status) for h in store.list()] == [(run_id, "interrupted")]
    assert store.load(run_id).status == "interrupted"


def test_a_writer_killed_at_full_speed_leaves_a_readable_interrupted_run(root: Path) -> None:
    run_id, acknowledged = run_writer_and_kill(root, pause=0, pad=5000, kill_after=300)
    store = RunStore(root)

    events = list(store.events(run_id))

    assert len(events) >= acknowledged
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(isinstance(e, Notice) and e.message.startswith(f"event {e.seq} ") for e in events)
    assert [h.run_id for h in store.list(status="interrupted")] == [run_id]
    assert store.list(status="running") == []
