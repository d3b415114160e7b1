"""The eval's interval and the rows' reading, on their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from interns.agents.batch import BatchInputError, each_rows, read_rows
from interns.journal.evals import wilson_interval


def test_the_wilson_interval_matches_published_values() -> None:
    # Newcombe (1998), table I: 81 of 263 → 0.2553–0.3662; 0 of 10 → 0–0.2775; 10 of 10 → 0.7225–1.
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_rows_from_csv_and_jsonl_and_their_problems(tmp_path: Path) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text('a,b\n1,"x, y"\n\n2,z\n')
    assert read_rows(csv) == [{"a": "1", "b": "x, y"}, {"a": "2", "b": "z"}]
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text('{"a": 1, "b": true}\n\n{"a": "two"}\n[1]\n')
    with pytest.raises(BatchInputError, match=r"rows.jsonl:4: each line must be an object"):
        read_rows(jsonl)
    jsonl.write_text('{"a": 1, "b": true}\n')
    assert read_rows(jsonl) == [{"a": "1", "b": "true"}]
    (tmp_path / "dupe.csv").write_text("a,a\n1,2\n")
    with pytest.raises(BatchInputError, match=r"dupe.csv:1: the header must name each param once"):
        read_rows(tmp_path / "dupe.csv")
    (tmp_path / "rows.txt").write_text("a\n")
    with pytest.raises(BatchInputError, match=r"\.csv .* or \.jsonl"):
        read_rows(tmp_path / "rows.txt")


def test_each_gives_one_absolute_path_per_match_in_order(tmp_path: Path) -> None:
    for name in ("b", "a", "c.txt"):
        (tmp_path / name).mkdir()
    assert each_rows("folder", "[ab]", tmp_path) == [{"folder": str(tmp_path / "a")}, {"folder": str(tmp_path / "b")}]
    with pytest.raises(BatchInputError, match="matches nothing"):
        each_rows("folder", "zzz*", tmp_path)
