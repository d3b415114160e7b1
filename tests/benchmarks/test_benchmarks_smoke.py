"""Each benchmark runs at a tiny size and returns figures of the right shape; no figure's value is asserted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import (
    journal_index,
    long_run,
    parallel,
    prompt_weight,
    prose_checks,
    proxy,
    readiness,
    run,
    step_overhead,
)
from benchmarks.stats import flatness, interleaved
from benchmarks.table import BenchResult, Row
from tests.support.messages_api import PrefixCache


def assert_shape(result: BenchResult, name: str) -> None:
    """Named as asked, with rows that each carry a number or say why not, and JSON-serialisable raw figures."""
    assert result.name == name
    assert result.rows
    for row in result.rows:
        assert isinstance(row, Row)
        assert row.ours is not None or row.note, row
    json.dumps(result.raw)
    json.dumps([row.to_json() for row in result.rows])


def per_step_samples(result: BenchResult, backend: str) -> list[list[float]]:
    figures = result.raw["backends"][backend]
    return figures["samples_s"]["ours"] if "samples_s" in figures else []


def test_step_overhead() -> None:
    result = step_overhead.measure(steps=4, rounds=1, floor_commands=3, peer=False)
    assert_shape(result, "step_overhead")
    assert set(result.raw["backends"]) == set(step_overhead.BACKENDS)
    for backend, figures in result.raw["backends"].items():
        if "left_out" in figures:
            continue
        assert [len(run) for run in per_step_samples(result, backend)] == [4]
        assert [len(run) for run in figures["samples_s"]["floor"]] == [3]
        assert set(figures["flatness"][0]) == {"first_10pct_ms", "last_10pct_ms", "last_over_first"}
    assert "mini_swe_agent" not in result.raw["backends"]["local"]["samples_s"]


def test_readiness() -> None:
    result = readiness.measure(rounds=2, commands=2)
    assert_shape(result, "readiness")
    for figures in result.raw["backends"].values():
        if "left_out" not in figures:
            assert [len(figures["first_s"][v]) for v in ("ours", "floor")] == [2, 2]
            assert [len(figures["per_command_s"][v]) for v in ("ours", "floor")] == [2, 2]


def test_parallel() -> None:
    result = parallel.measure(rounds=1, steps=2, turn_seconds=0.01, workers=(1, 2))
    assert_shape(result, "parallel")
    assert set(result.raw["wall_s"]) == {"workers=1", "workers=2"}
    assert [row.met is None for row in result.rows] == [True, False]


def test_journal_index() -> None:
    result = journal_index.measure(events=40, runs=30, rounds=1, cli=False)
    assert_shape(result, "journal_index")
    assert result.raw["append"]["events"] == 40
    assert result.raw["append"]["events_bytes"] > 0
    assert len(result.raw["runs"]["samples_s"]["rebuild"]) == 1


def test_prompt_weight() -> None:
    result = prompt_weight.measure(rounds=1, tool_turns=3, peer=False)
    assert_shape(result, "prompt_weight")
    assert set(result.raw["tokens"]) == {"ours"}
    assert len(result.raw["cache"]["usages"][0]) == 4  # three tool turns, then the answer
    assert result.rows[-1].unit == "%"


def test_long_run() -> None:
    result = long_run.measure(rounds=1, tool_turns=30, budget=2_000)
    assert_shape(result, "long_run")
    assert len(result.raw["start"]["samples_s"]["ours"]) == 1
    stack = next(row for row in result.rows if row.benchmark.startswith("start · typer"))
    assert stack.ours is not None and stack.other is not None and stack.ours > stack.other, "the stack costs something"
    context = result.raw["context"]
    assert context["compactions"] >= 1 and context["summary_requests"] == context["compactions"]
    assert len(context["input_tokens"]) == 31  # thirty tool turns, then the answer


def test_prose_checks(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(
        "stages:\n  - {name: notes, text: 'We paid $380 to Anna Kowalski.'}\n"
        "  - {name: smooth, text: 'Anna Kowalski was paid $380.'}\n"
        "planted:\n  - {stage: smooth, kind: number, from: '$380', to: 'a fee'}\n"
    )
    result = prose_checks.measure(tmp_path)
    assert_shape(result, "prose_checks")
    assert (result.raw["words"], result.raw["pairs"], result.raw["plants_by_hand"]) == (6, 1, 1)
    assert result.raw["plants_mechanical"] == 4, "each of two facts deleted and changed"


def test_a_plant_whose_text_is_not_in_its_stage_is_refused(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(
        "stages: [{name: a, text: x}, {name: b, text: y}]\nplanted: [{stage: b, kind: name, from: z, to: w}]\n"
    )
    with pytest.raises(ValueError, match="planted text 'z' is not in stage b"):
        prose_checks.load(tmp_path)


def test_the_harness_writes_every_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    run.main(["--quick", "--only", "prompt_weight", "--no-peer", "--out", str(out)])
    report = json.loads(out.read_text())
    assert set(report) == {"machine", "sizes", "results"}
    assert list(report["results"]) == ["prompt_weight"]
    first_row = report["results"]["prompt_weight"]["rows"][0]
    assert {"benchmark", "ours", "other", "ratio", "target", "met"} <= set(first_row)
    assert "prompt · cache reads from turn 3" in capsys.readouterr().out


def test_an_unknown_benchmark_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown benchmark"):
        run.main(["--only", "nope"])


def test_the_prefix_cache_reads_what_an_earlier_request_wrote() -> None:
    cache = PrefixCache(min_cacheable=10)
    system = [{"type": "text", "text": "x" * 200, "cache_control": {"type": "ephemeral"}}]
    hello = {"role": "user", "content": "hello"}
    first: dict[str, Any] = {"system": system, "messages": [hello]}
    second = {**first, "messages": [hello, {"role": "assistant", "content": "hi"}]}
    assert cache.account(first)["cache_read_input_tokens"] == 0
    assert cache.account(second)["cache_read_input_tokens"] > 0
    assert cache.account(second)["input_tokens"] > 0, "the last message carries no cache mark here"


def test_the_cache_share_counts_from_the_turn_asked() -> None:
    fresh = {"input_tokens": 40, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    cached = {"input_tokens": 10, "cache_read_input_tokens": 30, "cache_creation_input_tokens": 0}
    assert prompt_weight.cache_share([fresh, fresh, cached], from_turn=3) == 75.0
    assert prompt_weight.cache_share([fresh], from_turn=3) is None


def test_interleaving_and_flatness() -> None:
    calls: list[str] = []
    samples = interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 2)
    assert calls == ["a", "b", "a", "b"] and [len(v) for v in samples.values()] == [2, 2]
    assert flatness([0.001] * 10 + [0.003] * 10)["last_over_first"] == pytest.approx(3.0)


def test_batch() -> None:
    from benchmarks import batch

    result = batch.measure(runs=1, concurrency=(1,), ray=False, store_runs=50)
    assert_shape(result, "batch")
    assert [row.benchmark for row in result.rows][:1] == ["batch · local · concurrency=1"]
    assert result.raw["store"]["runs"] == 50


def test_proxy() -> None:
    result = proxy.measure(requests=2, rounds=1, packages=1)
    assert_shape(result, "proxy")
    if "http_request_s" in result.raw:
        assert [len(result.raw["https_request_s"][v]) for v in ("proxy", "direct")] == [2, 2]
        assert [len(result.raw["pip_install_s"][v]) for v in ("proxy", "direct")] == [1, 1]
