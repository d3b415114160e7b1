"""`guardrails.network`: false, true or host rules; credentials; what a local sandbox refuses; errors at their line."""

from __future__ import annotations

import pytest

from interns.tasks import NetworkRules, TaskFileError, load_text

HEAD = "version: 1\nname: t\ngoal: g\nworkspace: {folder: .}\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(TaskFileError) as caught:
        load_text(HEAD + text, "task.yaml")
    return [f"{p.line}: {p.field}: {p.message}" for p in caught.value.problems]


def test_the_network_is_a_switch_or_host_rules_per_task_step_and_setup() -> None:
    spec = load_text(
        HEAD.replace("{folder: .}", "{folder: ., setup: [pip install x], network: {allow: [pypi.org]}}")
        + "guardrails: {network: {allow: [Files.PythonHosted.org., '*.github.com', '[::1]'], deny: [x.github.com]}}\n"
        + "steps: [{id: a, instructions: x, network: true}, {id: b, instructions: y}]\n",
        "task.yaml",
    )
    rules = spec.guardrails.network
    assert isinstance(rules, NetworkRules)
    assert rules.allow == ["files.pythonhosted.org", "*.github.com", "::1"] and rules.deny == ["x.github.com"]
    assert spec.guardrails.for_step(spec.steps[0]).network is True
    assert spec.guardrails.for_step(spec.steps[1]).network == rules
    assert spec.workspace.network == NetworkRules(allow=["pypi.org"])
    assert load_text(HEAD, "task.yaml").workspace.network is True  # setup keeps its network unless told


@pytest.mark.parametrize(
    ("guardrails", "expected"),
    [
        ("{network: maybe}", "5: guardrails.network: expected true or false, got 'maybe'"),
        ("{network: {allow: [pypi.org/simple]}}", "5: guardrails.network.allow[0]: 'pypi.org/simple' is not a host"),
        ("{network: {allow: ['*.']}}", "5: guardrails.network.allow[0]: '*.' is not a host pattern"),
        (
            "{network: {allow: [a.org], dney: []}}",
            "5: guardrails.network.dney: unknown key 'dney' (did you mean 'deny'?)",
        ),
        ("{network: {deny: [a.org]}}", "5: guardrails.network.allow: "),
        ("{sandbox: local, network: {allow: [a.org]}}", "5: guardrails: a `local` sandbox cannot hold"),
        ("{network: true, credentials: [{env: T, host: a.org}]}", "5: guardrails: credentials are added by the"),
        ("{network: {allow: [a.org]}, env: [T], credentials: [{env: T, host: a.org}]}", "5: guardrails: T is a"),
        ("{network: {allow: ['*']}, credentials: [{env: T, host: '*.a.org'}]}", "must be one host, without '*'"),
        ("{network: {allow: [a.org]}, credentials: [{env: T, host: b.org}]}", "b.org would never be sent"),
        ("{network: {allow: ['*'], deny: [b.org]}, credentials: [{env: T, host: b.org}]}", "does not allow b.org"),
    ],
)
def test_a_bad_network_names_its_line_and_field(guardrails: str, expected: str) -> None:
    problems = _problems(f"guardrails: {guardrails}\n")
    assert any(expected in problem for problem in problems), problems


def test_a_local_sandbox_refuses_an_allowlist_on_a_step_or_on_setup() -> None:
    problems = _problems(
        "guardrails: {sandbox: local}\nsteps:\n  - id: a\n    instructions: x\n    network: {allow: ['*']}\n"
    )
    assert problems == [
        "9: steps[0].network: a `local` sandbox cannot hold its commands to named hosts (they share this machine's "
        "network): use `sandbox: bubblewrap` or `docker`, or set the network to true or false"
    ]
