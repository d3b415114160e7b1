"""Comparing a stage's input with its output: each false alarm a faithful stage raised, and each loss not to hide."""

from __future__ import annotations

from interns.agents.checks.facts import find_facts
from interns.agents.checks.matching import FactChange, compare_facts, fails


def failing(source: str, output: str, may_drop: tuple[str, ...] = (), may_correct: bool = False) -> list[str]:
    """What the check fails on, as it tells the worker."""
    return [c.describe("out") for c in compare_facts(source, output, may_drop, may_correct) if fails(c)]


def test_numbers_with_scales_and_suffixes_are_read_whole() -> None:
    facts = find_facts("Llama 3 8B runs 3.5x faster; it cost $380 for 1.2 million rows and 24 GB, on the 2nd.")

    assert [(f.text, f.key) for f in facts if f.kind == "numbers"] == [
        ("3", "3"),
        ("8B", "8000000000"),
        ("3.5x", "3.5"),
        ("$380", "money 380"),
        ("1.2 million", "1200000"),
        ("24", "24"),
        ("2nd", "ordinal 2"),
    ]


def test_the_same_figure_written_another_way_is_kept() -> None:
    source = "It has 8 billion parameters, costs $380, took three weeks, 38 percent faster, 2 and a half hours, 24 GB."
    output = "It has 8B parameters, costs 380 dollars, took 3 weeks, 38% faster, 2.5 hours (2 and a half), 24GB."

    assert failing(source, output) == []


def test_the_same_digits_in_another_unit_do_not_keep_a_number() -> None:
    source = "A day of batch work costs $3.50, and vLLM was 3.5x faster."
    output = "A day of batch work is cheap, and vLLM was 3.5x faster."

    assert failing(source, output) == ["number '$3.50' is missing from out"]


def test_a_scaled_number_changed_in_scale_is_a_change() -> None:
    assert failing("We moved 1.2 million rows.", "We moved 1.2 billion rows.") == [
        "number '1.2 million' became '1.2 billion' in out"
    ]


def test_plurals_possessives_case_and_fillers_are_no_loss() -> None:
    source = "Marco ran the checks on Mondays, um, with Anna's team. Okay so the ORM failed."
    output = "Every Monday, Marco ran the checks with Anna and her team; the orm failed."

    assert failing(source, output) == []


def test_headings_and_title_case_lines_state_no_names() -> None:
    source = "# What We Learnt From It\n\nLessons Learned The Hard Way\n\nWe measured first, as Anna said.\n"
    output = "## Lessons\n\nWe measured first, as Anna said.\n"

    assert failing(source, output) == []


def test_text_inside_a_marker_is_no_fact_to_keep() -> None:
    source = 'Her name is Deb [UNCLEAR: "Deb" or "Beth"?], and [TODO: check the 14th] the board meets.'
    output = "Her name is Deb, and the board meets."

    assert failing(source, output) == []


def test_a_misheard_name_fixed_is_a_correction_where_the_stage_may_correct() -> None:
    source = "anna kowalsky said it. Then Anna Kowalsky wrote the script with Cloud Code and Suzie Okonkwo."
    output = "Anna Kowalski said it. Then Anna Kowalski wrote the script with Claude Code and Suzy Okonkwo."

    changes = compare_facts(source, output, may_correct=True)

    assert [(c.status, c.fact.text, c.now, fails(c)) for c in changes] == [
        ("corrected", "Anna Kowalsky", "Anna Kowalski", False),
        ("corrected", "Cloud Code", "Claude Code", False),
        ("corrected", "Suzie Okonkwo", "Suzy Okonkwo", False),
    ]
    assert failing(source, output) == [
        "name 'Anna Kowalsky' became 'Anna Kowalski' in out",
        "name 'Cloud Code' became 'Claude Code' in out",
        "name 'Suzie Okonkwo' became 'Suzy Okonkwo' in out",
    ], "a stage not meant to correct has changed three names"


def test_a_name_whose_every_word_changed_is_another_name_even_where_the_stage_may_correct() -> None:
    source = "Helen Marsh, their head of operations, said on the call that the board meets in January."
    output = "Ellen March, their head of operations, said on the call that the board meets in January."

    assert failing(source, output, may_correct=True) == ["name 'Helen Marsh' became 'Ellen March' in out"]


def test_a_name_changed_into_another_fails_even_where_names_may_go() -> None:
    source = "We compared GPT-4o with Claude Sonnet on 10 questions; Priya Raman scored them."
    output = "We compared GPT-4 with Claude Opus on 10 questions; Priya Ramirez scored them."

    changes = compare_facts(source, output, may_drop=("names",), may_correct=True)

    assert [(c.status, c.fact.text, c.now) for c in changes if fails(c)] == [
        ("changed", "GPT-4o", "GPT-4"),
        ("changed", "Claude Sonnet", "Claude Opus"),
        ("changed", "Priya Raman", "Priya Ramirez"),
    ]


def test_a_name_dropped_where_names_may_go_passes_and_one_made_up_does_not() -> None:
    source = "Helen Marsh of Brightwater called; the board meets on January 14, 2027."
    dropped = "Brightwater called; the board meets on January 14, 2027."
    invented = "Brightwater called; the board meets on January 14, 2027, said Tom Hale."

    assert failing(source, dropped, may_drop=("names",)) == []
    assert failing(source, invented, may_drop=("names",)) == ["name 'Tom Hale' in out is not in the input"]


def test_a_name_that_appears_from_nowhere_is_reported() -> None:
    (change,) = compare_facts("The runbook is short.", "The runbook, by Halford, is short.")

    assert change == FactChange(find_facts("The runbook, by Halford, is short.")[0], "added")
    assert change.describe("out") == "name 'Halford' in out is not in the input"


def test_a_quote_over_a_line_break_is_kept_and_its_loss_is_found() -> None:
    source = 'Helen said "we need something live before the board\nmeets" on the call.'

    assert failing(source, 'Helen said "we need something live before the board meets".') == []
    assert failing(source, "Helen wants something live soon.") == [
        "quote 'we need something live before the board\\nmeets' is missing from out"
    ]


def test_a_rounded_figure_in_a_summary_is_no_change() -> None:
    assert failing("We have 1,183 users.", "We have about 1,200 users.") == []
    assert failing("We have 1,183 users.", "We have about 1,500 users.") == ["number '1,183' became '1,500' in out"]


def test_halves_and_acronyms_spelt_out_are_kept() -> None:
    source = "It took 2 and a half hours with the LLM and two APIs; the old one took 2.5 days."
    output = "It took 2.5 hours with the large language model and two application programming interfaces; the old one "
    output += "took two and a half days."

    assert failing(source, output) == []
    assert failing("It took 2.5 hours with the LLM.", "It took 2 hours with the model.") == [
        "number '2.5' became '2' in out",
        "name 'LLM' is missing from out",
    ]


def test_a_figure_deleted_in_one_place_fails_while_it_stands_in_another() -> None:
    source = "Mixtral manages 6 tokens per second. GPT-4o still wins, 9 out of 10 against 6 out of 10."
    output = "GPT-4o still wins, 9 out of 10 against 6 out of 10."

    assert failing(source, output, may_drop=("names",)) == ["number '6' is stated twice in the input but once in out"]
    assert failing(source, "Mixtral manages six tokens per second. GPT-4o wins, 9 of 10 against 6 of 10.") == []


def test_mentions_of_one_figure_merged_into_one_pass() -> None:
    source = (
        "# Three Weeks to Postgres 16\n\nThe move to Postgres 16 took three weeks.\n"
        "An RTX 4090 with 24GB fits an 8k context in the 24GB."
    )
    output = "Moving to Postgres 16 took three weeks; an RTX 4090 (24GB) fits an 8k context."

    assert failing(source, output) == []
