"""Reading prose: the markers left in it, the facts it states, and the runs of words it shares with another text."""

from __future__ import annotations

from collections.abc import Sequence

from interns.agents.checks.facts import Fact, Marker, find_facts, find_markers, shared_runs
from interns.agents.checks.matching import compare_facts, fails


def missing_facts(source: str, output: str, may_drop: Sequence[str] = ()) -> list[Fact]:
    """The facts of `source` whose loss or change fails the check."""
    return [change.fact for change in compare_facts(source, output, may_drop) if fails(change)]


NOTES = """# Quarterly notes

Revenue rose 12.5% to $1,200,000 in Q3, according to Jane Smith at Acme Corp.
The EU fined the company on 2024-03-05 and again on March 7, 2024.
Details: https://example.com/report.pdf (page 4).
She said "we will not stop here" in New York.
1. First item
Yesterday Alice Brown met the CFO.
"""


def kinds(facts: list[Fact]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for fact in facts:
        found.setdefault(fact.kind, []).append(fact.text)
    return found


def test_each_kind_of_fact_is_found_once_with_its_line() -> None:
    facts = find_facts(NOTES)

    assert kinds(facts) == {
        "numbers": ["12.5%", "$1,200,000", "2024-03-05", "March 7, 2024", "4"],
        "names": ["Q3", "Jane Smith", "Acme Corp", "EU", "New York", "Alice Brown", "CFO"],
        "urls": ["https://example.com/report.pdf"],
        "quotes": ["we will not stop here"],
    }
    assert {fact.text: fact.line for fact in facts}["March 7, 2024"] == 4
    assert {fact.text: fact.line for fact in facts}["CFO"] == 8


def test_sentence_openers_and_list_numbers_are_not_facts() -> None:
    facts = find_facts("Revenue grew.\n- Yesterday it rained.\n## Results\n2. Second point\nThen Bob came.")

    assert [fact.text for fact in facts] == ["Bob"]


def test_a_name_opening_a_table_cell_or_followed_by_its_size_is_a_name() -> None:
    table = "| model | speed |\n| --- | --- |\n| Mixtral | 6 tokens per second |\n| The rest | Yes |\n"
    prose = "Gemma 2B is next. Falcon is not."

    assert [fact.text for fact in find_facts(table) if fact.kind == "names"] == ["Mixtral"]
    assert [fact.text for fact in find_facts(prose) if fact.kind == "names"] == ["Gemma"]


def test_a_deleted_number_is_missing_and_a_rewritten_one_is_not() -> None:
    output = NOTES.replace("12.5%", "a lot").replace("$1,200,000", "1200000 dollars")

    missing = missing_facts(NOTES, output)

    assert [(fact.kind, fact.text, fact.line) for fact in missing] == [("numbers", "12.5%", 3)]


def test_names_urls_and_quotes_that_go_are_missing() -> None:
    output = (
        NOTES.replace("Jane Smith", "a manager")
        .replace("https://example.com/report.pdf", "the report")
        .replace('"we will not stop here"', "that they would go on")
    )

    assert [fact.text for fact in missing_facts(NOTES, output)] == [
        "Jane Smith",
        "https://example.com/report.pdf",
        "we will not stop here",
    ]


def test_a_name_or_quote_kept_in_other_words_around_it_still_counts() -> None:
    source = 'Our partner Acme Corp wrote "ship it by Friday" last week.'
    output = "Acme Corp's note said to ship it by Friday, and Acme Corp agreed."

    assert missing_facts(source, output) == []


def test_may_drop_lets_items_and_whole_kinds_go() -> None:
    output = "Nothing of substance."

    left = missing_facts(NOTES, output, ["numbers", "urls", "quotes", "jane smith", "Acme Corp", "Q3"])

    assert [fact.text for fact in left] == ["EU", "New York", "Alice Brown", "CFO"]


def test_markers_are_listed_with_their_lines() -> None:
    text = "Signed by [UNCLEAR: who signed?].\nTotal: [MISSING?: the Q4 total]\n[ASSUMED: euros] and [NOTE: fine]"

    assert find_markers(text) == [
        Marker(1, "[UNCLEAR: who signed?]"),
        Marker(2, "[MISSING?: the Q4 total]"),
        Marker(3, "[ASSUMED: euros]"),
    ]


def test_a_long_shared_run_is_found_ignoring_case_and_punctuation() -> None:
    exemplar = "Our team shipped it. The quick, brown fox jumps over the lazy dog again and again! The end."
    text = "First line.\nThen: the quick brown fox jumps over the lazy dog again and again, said no one."

    runs = shared_runs(text, exemplar, 8)

    assert [(run.line, run.words) for run in runs] == [(2, 12)]
    assert runs[0].text == "the quick brown fox jumps over the lazy dog again and again"


def test_runs_shorter_than_the_limit_and_separate_runs_are_told_apart() -> None:
    exemplar = "alpha beta gamma delta epsilon zeta. one two three four five six"
    text = "alpha beta gamma delta epsilon zeta and then one two three four five six, and alpha beta gamma"

    assert [run.text for run in shared_runs(text, exemplar, 6)] == [
        "alpha beta gamma delta epsilon zeta",
        "one two three four five six",
    ]
    assert shared_runs(text, exemplar, 7) == []
