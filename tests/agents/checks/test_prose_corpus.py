"""The preservation check on its corpus of stage pairs holds the figures the README states."""

from __future__ import annotations

from benchmarks import prose_checks


def test_faithful_stages_raise_at_most_one_false_alarm_per_thousand_words_and_plants_are_caught() -> None:
    result = prose_checks.measure()
    alarms, by_hand, mechanical = result.rows

    assert result.raw["words"] >= 3_000 and result.raw["pairs"] >= 15, "the corpus is all there"
    assert alarms.met, result.raw["false_alarms"]
    assert by_hand.met, result.raw["missed_by_hand"]
    assert mechanical.met, result.raw["missed_mechanical"]


def test_every_kind_of_plant_the_issue_names_is_in_the_corpus() -> None:
    kinds = {plant.kind for plant in prose_checks.load().plants}

    assert {"number", "name", "url", "quote", "changed number", "changed name"} <= kinds
