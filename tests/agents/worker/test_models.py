"""Choosing a model, and the scripted model that plays a file of turns."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_ai import Agent

from interns.agents.worker.models import DEFAULT_MODEL, ModelSetupError, select_model
from interns.agents.worker.script import load_script


def test_without_a_key_or_a_model_the_error_says_how_to_set_one_up() -> None:
    with pytest.raises(ModelSetupError) as caught:
        select_model(None, None, environ={})
    message = str(caught.value)
    assert "ANTHROPIC_API_KEY" in message and "--model" in message and "scripted:" in message


def test_anthropic_is_the_default_when_its_key_is_set() -> None:
    choice = select_model(None, None, environ={"ANTHROPIC_API_KEY": "sk-ant-x"})
    assert choice.name == DEFAULT_MODEL and not choice.scripted
    assert choice.settings is not None and choice.settings.get("anthropic_cache_instructions") is True


def test_the_override_wins_over_the_task_file(tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text("work: [{final: hi}]\n")
    choice = select_model("anthropic:claude-sonnet-4-6", f"scripted:{script}", environ={})
    assert choice.scripted and choice.name == f"scripted:{script}"


def test_an_anthropic_model_without_its_key_is_refused() -> None:
    with pytest.raises(ModelSetupError, match="needs ANTHROPIC_API_KEY"):
        select_model("anthropic:claude-sonnet-4-6", None, environ={})


def test_an_unknown_provider_is_a_setup_error() -> None:
    with pytest.raises(ModelSetupError, match="nosuchprovider"):
        select_model(None, "nosuchprovider:model-x", environ={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("work: [{call: {run: {command: ls}}, final: x}]", "work[0]: a turn has either tool calls or a final answer"),
        ("work: [{text: only words}]", "work[0]: a turn needs"),
        ("work: [{final: ok}, {calls: [{a: {}, b: {}}]}]", "work[1]: each call is a mapping with exactly one tool"),
        ("- just a list", "maps each step id to a list of turns"),
        ("work: [{final: ok, colour: red}]", "work[0]: colour"),
    ],
)
def test_a_bad_script_names_the_file_and_the_turn(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "script.yaml"
    path.write_text(text)
    with pytest.raises(ModelSetupError) as caught:
        select_model(None, f"scripted:{path}", environ={})
    assert str(path) in str(caught.value) and expected in str(caught.value)


def test_a_missing_script_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(ModelSetupError, match="script file not found"):
        select_model(None, f"scripted:{tmp_path / 'nope.yaml'}", environ={})


@pytest.mark.anyio
async def test_the_scripted_model_plays_its_turns_and_says_when_it_runs_out(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    path.write_text("work:\n  - {text: adding, call: {add: {a: 2, b: 3}}}\n  - {final: the sum is 5}\n")
    choice = select_model(None, f"scripted:{path}", environ={})
    seen: list[tuple[int, int]] = []

    agent = Agent(choice.for_agent("work"))

    @agent.tool_plain
    def add(a: int, b: int) -> int:
        seen.append((a, b))
        return a + b

    result = await agent.run("add")
    assert result.output == "the sum is 5" and seen == [(2, 3)]

    other = await Agent(choice.for_agent("unknown-step")).run("go")
    assert "no turns for 'unknown-step'" in other.output


def test_script_turns_keep_their_order(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    path.write_text("a: [{call: {x: {}}, text: t}, {calls: [{y: {n: 1}}, {z: {}}]}, {final: f}]\n")
    script = load_script(path)
    assert [turn.all_calls() for turn in script.agents["a"]] == [[("x", {})], [("y", {"n": 1}), ("z", {})], []]
