"""Batches and evals on a real local Ray cluster: journals streamed back while runs go, a node killed mid-run."""

from __future__ import annotations

import json

import pytest

from interns.agents.cluster.local import LocalCluster
from interns.journal import RunFinished, RunStore
from interns.journal.batches import BatchStore
from tests.agents.batch.conftest import NotesBatch, notes_batch
from tests.agents.processes import wait_for

__all__ = ["notes_batch"]  # the fixture, shared with the local batch tests

THROUGH = ["ray", "ray-client"]
"""How a driver reaches the cluster: as a process of a node (`--on ray`, RAY_ADDRESS), or from off the cluster
through the head's Ray Client server (`--on ray://HOST:PORT`), where Ray has no generator tasks."""


def _where(cluster: LocalCluster, through: str) -> tuple[list[str], dict[str, str]]:
    """The `--on` arguments and the environment that reach the cluster `through` one way."""
    if through == "ray":
        return ["--on", "ray"], {"RAY_ADDRESS": cluster.address}
    return ["--on", cluster.client_address], {"RAY_ADDRESS": ""}


@pytest.mark.parametrize("through", THROUGH)
def test_a_batch_on_the_cluster_lands_its_journals_and_can_be_accepted(
    ray_cluster: LocalCluster, notes_batch: NotesBatch, through: str
) -> None:
    weeks = notes_batch.weeks("ok\n", "bad\n", "ok\n")
    on, env = _where(ray_cluster, through)
    args = ["batch", "task.yaml", "--each", "notes/*", "-m", "scripted:script.yaml", "-j", "2", *on]
    ran = notes_batch.interns(*args, env=env)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "2 of 3 rows passed, 3 done" in ran.stdout
    store = RunStore(notes_batch.runs)
    headers = {h.params["notes_folder"]: h for h in store.list()}
    assert [headers[str(w)].status for w in weeks] == ["succeeded", "failed", "succeeded"]
    for header in headers.values():
        [end] = [e for e in store.events(header.run_id) if isinstance(e, RunFinished)]
        assert end.status == header.status
    shown = notes_batch.interns("show", headers[str(weeks[1])].run_id)
    assert "check FAILED: grep -q ok notes.txt" in shown.stdout, shown.stdout
    accepted = notes_batch.interns("batches", "last", "--accept-passed")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert [w.joinpath("summary.md").exists() for w in weeks] == [True, False, True]


def test_a_node_killed_mid_run_leaves_its_run_interrupted_and_the_row_runs_elsewhere(
    ray_cluster: LocalCluster, notes_batch: NotesBatch
) -> None:
    notes_batch.weeks("ok\n")
    args = ["eval", "task.yaml", "--runs", "3", "-m", "scripted:slow.yaml", "-p", "notes_folder=notes/week-1"]
    started = notes_batch.start(
        *args, "-j", "2", "--on", "ray", "--json", "eval.json", env={"RAY_ADDRESS": ray_cluster.address}
    )
    store = RunStore(notes_batch.runs)

    def two_running_with_events() -> bool:  # one on each node: the journals are streamed, not copied at the end
        running = [h for h in store.list() if h.status == "running"]
        return len(running) == 2 and all(list(store.events(h.run_id)) for h in running)

    try:
        wait_for(two_running_with_events, timeout=240)
        ray_cluster.kill(ray_cluster.nodes[-1])
        assert started.wait(timeout=400) == 0
    finally:
        if started.poll() is None:
            started.kill()
    [batch] = BatchStore(notes_batch.runs).list()
    states = BatchStore(notes_batch.runs).states(batch)
    assert [s.status for s in states] == ["succeeded"] * 3
    runs = [h for s in states for h in s.runs]
    interrupted = [h for h in runs if h.status == "interrupted"]
    assert len(interrupted) == 1, [(h.run_id, h.status) for h in runs]
    assert "the node running it stopped" in interrupted[0].reason
    assert sorted(len(s.runs) for s in states) == [1, 1, 2]
    report = json.loads((notes_batch.root / "eval.json").read_text())
    [figures] = report["models"]
    assert (figures["finished"], figures["passed"]) == (3, 3)
    assert interrupted[0].run_id not in figures["run_ids"]
    assert figures["run_ids"] == [s.runs[-1].run_id for s in states]


@pytest.mark.parametrize("through", THROUGH)
def test_nodes_without_the_tasks_sandbox_refuse_the_row_and_nothing_runs_unsandboxed(
    ray_cluster: LocalCluster, notes_batch: NotesBatch, through: str
) -> None:
    notes_batch.weeks("ok\n")
    task = notes_batch.task.read_text().replace("sandbox: bubblewrap", 'sandbox: docker, image: "interns-no-such:0"')
    notes_batch.task.write_text(task)
    on, env = _where(ray_cluster, through)
    ran = notes_batch.interns("batch", "task.yaml", "--each", "notes/*", "-m", "scripted:script.yaml", *on, env=env)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "0 of 1 rows passed, 0 done" in ran.stdout
    refusal = ran.stderr.replace("\n", " ")
    assert "row 1 did not start: no node of the cluster can run it:" in refusal, ran.stderr
    nodes = ray_cluster.alive_nodes()  # two, or one after the test that kills a node
    assert refusal.count("cannot run a docker sandbox") == nodes >= 1, "each node refused it"
    assert "interns-no-such:0" in refusal
    assert not RunStore(notes_batch.runs).list()
