"""The built-in `done_when` checks for prose and data, run by the supervisor on files read through the sandbox."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.exceptions import AgentRunError

from interns import prompts
from interns.agents.checks.fact_judge import Candidate, judge_facts, with_excerpts
from interns.agents.checks.facts import find_markers, shared_runs
from interns.agents.checks.matching import compare_facts, fails
from interns.agents.policy.globs import matches
from interns.agents.runtime.context import ContextFile
from interns.agents.worker.models import ModelChoice
from interns.journal import Event, Usage
from interns.sandbox import Sandbox
from interns.tasks import (
    BuiltinCheck,
    FileCheck,
    NoMarkersCheck,
    NotCopiedCheck,
    Preservation,
    PreservesCheck,
    RubricCheck,
    parse_data,
    read_schema,
    schema_problems,
)

__all__ = ["BuiltinResult", "CheckScope", "RubricVerdict", "run_builtin"]

FINDINGS_LIMIT = 40
"""Findings kept per check; a longer list ends with how many more there were."""
RUBRIC_TEXT_LIMIT = 60_000
"""Characters of work shown to the rubric's judge."""


@dataclass(frozen=True)
class CheckScope:
    """What a step's built-in checks look at, and the model that judges its rubrics."""

    step: str | None = None
    """The step's id; None for the task's own checks."""
    attempt: int = 1
    input: str | None = None
    """The stage's `input` (a workspace path or glob)."""
    output: str | None = None
    """The stage's `output`, which checks read by default."""
    changed: list[str] = field(default_factory=list)
    """Workspace paths the step changed: what checks read when the step names no output."""
    exemplars: list[str] = field(default_factory=list)
    """Host paths of the task's exemplar files and folders."""
    model: ModelChoice | None = None
    """The supervisor's model, for rubrics."""

    @property
    def rubric_agent(self) -> str:
        """The agent name a rubric's judge goes by (what a script keys its turns by): `<step>.rubric` or `rubric`."""
        return f"{self.step}.rubric" if self.step else "rubric"


@dataclass(frozen=True)
class BuiltinResult:
    """A built-in check's verdict: whether it passed, what it found wrong, a summary, and any model usage."""

    passed: bool
    findings: list[str]
    output: str = ""
    usage: Usage = field(default_factory=Usage)
    notes: list[str] = field(default_factory=list)
    """What it noted without failing: corrections a stage may make, facts a judge found kept, with its reasons."""


class RubricVerdict(BaseModel):
    """The judge's answer on a rubric."""

    passed: bool
    """True when the work meets every point of the rubric."""
    reasoning: str
    """Why, point by point; when it fails, exactly what falls short and what to change."""


async def run_builtin(
    check: BuiltinCheck, sandbox: Sandbox, scope: CheckScope, record: Callable[[Event], Any]
) -> BuiltinResult:
    """Run one built-in check; only a rubric and the facts' judge call a model (their turns journaled by step)."""
    match check:
        case FileCheck():
            return await _file(check, sandbox)
        case NoMarkersCheck():
            return await _no_markers(check, sandbox, scope)
        case PreservesCheck():
            return await _preserves(check, sandbox, scope, record)
        case NotCopiedCheck():
            return await _not_copied(check, sandbox, scope)
        case RubricCheck():
            return await _rubric(check, sandbox, scope, record)
    raise AssertionError(f"unknown check {check!r}")


async def _file(check: FileCheck, sandbox: Sandbox) -> BuiltinResult:
    texts, problems = await _read_all(sandbox, [check.file])
    if problems:
        return BuiltinResult(False, problems)
    if check.json_schema is None:
        return BuiltinResult(True, [], f"{check.file} exists")
    try:
        data = parse_data(texts[0].text)
    except ValueError as error:
        return BuiltinResult(False, [f"{check.file}: not JSON or YAML: {error}"])
    try:
        schema = read_schema(check.json_schema)
    except ValueError as error:
        return BuiltinResult(False, [str(error)])
    if found := schema_problems(data, schema):
        return BuiltinResult(False, [f"{check.file}: {problem}" for problem in found])
    return BuiltinResult(True, [], f"{check.file} matches {check.json_schema.name}")


async def _no_markers(check: NoMarkersCheck, sandbox: Sandbox, scope: CheckScope) -> BuiltinResult:
    texts, problems = await _read_all(sandbox, _targets(check.files, scope))
    found = [f"{file.path}:{m.line}: {m.text}" for file in texts for m in find_markers(file.text, check.marker_kinds)]
    summary = f"{len(found)} unresolved marker(s)" if found else f"no markers in {len(texts)} file(s)"
    return _result(problems + found, summary)


async def _preserves(
    check: PreservesCheck, sandbox: Sandbox, scope: CheckScope, record: Callable[[Event], Any]
) -> BuiltinResult:
    rules = check.rules
    source, target = rules.input or scope.input, rules.output or scope.output
    if source is None or target is None:
        return BuiltinResult(False, ["preserves needs an input and an output file; this step names none"])
    inputs, problems = await _read_all(sandbox, [source])
    outputs, more = await _read_all(sandbox, [target])
    if problems or more:
        return BuiltinResult(False, problems + more)
    result = "\n".join(file.text for file in outputs)
    failing: list[tuple[str, Candidate]] = []
    notes: list[str] = []
    for file in inputs:
        # with several inputs a name from one is no news in the output because another lacks it
        for change in compare_facts(file.text, result, rules.may_drop, rules.may_correct, added=len(inputs) == 1):
            where = outputs[0].path if change.status == "added" and len(outputs) == 1 else file.path
            line = f"{where}:{change.fact.line}: {change.describe(target)}"
            if fails(change):
                failing.append((line, with_excerpts(change, result if change.status == "added" else file.text, result)))
            elif change.status == "corrected":
                notes.append(line)
    findings, usage = [line for line, _ in failing], Usage()
    if rules.judge and failing:
        findings, judged, usage = await _judged(failing, rules, scope, record)
        notes += judged
    summary = f"{len(findings)} fact(s) of {source} lost or changed in {target}" if findings else "every fact kept"
    if notes:
        summary += f"; {len(notes)} note(s):\n" + "\n".join(notes)
    outcome = _result(findings, summary)
    return BuiltinResult(outcome.passed, outcome.findings, outcome.output, usage, notes)


async def _judged(
    failing: list[tuple[str, Candidate]], rules: Preservation, scope: CheckScope, record: Callable[[Event], Any]
) -> tuple[list[str], list[str], Usage]:
    """The findings that stand after the judge, the notes on those it let pass (with its reasons), and its usage."""
    if scope.model is None:
        return [line for line, _ in failing] + ["no model is set up to judge the facts"], [], Usage()
    verdicts, usage, error = await judge_facts(
        [item for _, item in failing],
        scope.model,
        f"{scope.step}.facts" if scope.step else "facts",
        may_correct=rules.may_correct,
        step=scope.step,
        attempt=scope.attempt,
        record=record,
    )
    if error:
        return [line for line, _ in failing], [f"the judge gave no verdict, so the heuristics' stand: {error}"], usage
    findings: list[str] = []
    notes: list[str] = []
    for index, (line, item) in enumerate(failing):
        verdict = verdicts.get(index)
        if verdict is None:
            findings.append(f"{line} (the judge said nothing of it)")
            continue
        said = f"{line}; the judge: {verdict.verdict}, {verdict.reason.strip()}"
        fact = item.change.fact
        dropped = {fact.kind, fact.text.lower(), fact.key.lower()} & {d.strip().lower() for d in rules.may_drop}
        passes = verdict.verdict == "kept" or (verdict.verdict == "corrected" and rules.may_correct)
        passes = passes or (verdict.verdict == "lost" and bool(dropped) and item.change.status != "added")
        (notes if passes else findings).append(said)
    return findings, notes, usage


async def _not_copied(check: NotCopiedCheck, sandbox: Sandbox, scope: CheckScope) -> BuiltinResult:
    limit = check.limit
    texts, problems = await _read_all(sandbox, _targets(limit.files, scope))
    found = []
    for exemplar in _exemplars(scope.exemplars):
        for file in texts:
            for run in shared_runs(file.text, exemplar.text, limit.min_words):
                found.append(f'{file.path}:{run.line}: {run.words} words copied from {exemplar.path}: "{run.text}"')
    summary = f"{len(found)} copied passage(s)" if found else f"no run of {limit.min_words} words copied"
    return _result(problems + found, summary)


async def _rubric(
    check: RubricCheck, sandbox: Sandbox, scope: CheckScope, record: Callable[[Event], Any]
) -> BuiltinResult:
    # imported here: the worker's module imports its tools, whose module imports the checks that import this one
    from interns.agents.worker.agent import journal_response

    if scope.model is None:
        return BuiltinResult(False, ["no model is set up to judge the rubric"])
    texts, problems = await _read_all(sandbox, _targets(check.files, scope))
    if problems or not texts:
        return BuiltinResult(False, problems or ["no file to judge: the step names no output and changed nothing"])
    shown, room = [], RUBRIC_TEXT_LIMIT
    for file in texts:
        text = file.text if len(file.text) <= room else file.text[:room] + "\n[... the rest is left out ...]"
        shown.append(ContextFile(file.path, text))
        room = max(0, room - len(text))
    agent: Agent[None, RubricVerdict] = Agent(
        scope.model.for_agent(scope.rubric_agent),
        output_type=RubricVerdict,
        model_settings=scope.model.settings_for(scope.rubric_agent),
        name="rubric",
    )
    prompt = prompts.render("rubric", step=scope.step, rubric=check.rubric, files=shown)
    usage = Usage()
    try:
        async with agent.iter(prompt) as run:
            async for node in run:
                if Agent.is_call_tools_node(node):
                    usage = usage + journal_response(node.model_response, scope.step or "task", scope.attempt, record)
    except AgentRunError as exc:  # a judge that gives no usable verdict fails the check; it does not end the run
        return BuiltinResult(False, [f"the rubric's judge gave no verdict: {exc}"], "no verdict", usage)
    assert run.result is not None
    verdict = run.result.output
    return BuiltinResult(verdict.passed, [], verdict.reasoning.strip(), usage)


def _result(findings: list[str], summary: str) -> BuiltinResult:
    if len(findings) > FINDINGS_LIMIT:
        findings = [*findings[:FINDINGS_LIMIT], f"... and {len(findings) - FINDINGS_LIMIT} more"]
    return BuiltinResult(not findings, findings, summary)


def _targets(patterns: list[str] | None, scope: CheckScope) -> list[str]:
    """The files a check reads: its own patterns, else the stage's output, else what the step changed."""
    if patterns:
        return patterns
    return [scope.output] if scope.output else list(scope.changed)


async def _read_all(sandbox: Sandbox, patterns: list[str]) -> tuple[list[ContextFile], list[str]]:
    """The text of each file the patterns name, read through the sandbox, and a problem for each that cannot be."""
    texts, problems = [], []
    for pattern in patterns:
        paths = _expand(sandbox.spec.workspace, pattern, sandbox.spec.read_only)
        if not paths:
            problems.append(f"{pattern}: no file matches")
        for path in paths:
            try:
                texts.append(ContextFile(path, (await sandbox.read_file(path)).decode("utf-8")))
            except FileNotFoundError:
                problems.append(f"{path}: no such file")
            except UnicodeDecodeError:
                problems.append(f"{path}: not UTF-8 text")
            except OSError as error:
                problems.append(f"{path}: cannot be read: {error.strerror or error}")
    return texts, problems


def _expand(root: Path, pattern: str, read_only: Sequence[tuple[Path, str]] = ()) -> list[str]:
    """A literal path as it is (reading it says whether it exists); a glob as the files it matches, inputs included."""
    if not any(char in pattern for char in "*?["):
        return [pattern]
    found: dict[str, None] = {}
    for base, inside in [(root, ""), *read_only]:
        if base.is_file():  # a single input file bound at its name
            if matches(inside, [pattern]):
                found[inside] = None
            continue
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            for name in sorted(files):
                relative = posixpath.join(inside, (Path(folder) / name).relative_to(base).as_posix())
                if matches(relative, [pattern]):
                    found[relative] = None
    return list(found)


def _exemplars(paths: list[str]) -> list[ContextFile]:
    """Every readable text file among the task's exemplars (files, or folders of them), read in full."""
    files = []
    for raw in paths:
        path = Path(raw)
        for candidate in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
            try:
                files.append(ContextFile(candidate.name, candidate.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
    return files
