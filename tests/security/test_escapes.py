"""The escape suite: every attack, on every sandbox backend, through the worker's real tools."""

from __future__ import annotations

import pytest

from interns.journal import RunFinished
from tests.agents.conftest import BACKENDS, TaskDir
from tests.security.attack import Attack, Seen
from tests.security.cases_allowlist import ALLOWLIST_ATTACKS
from tests.security.cases_changes import CHANGE_ATTACKS
from tests.security.cases_commands import COMMAND_ATTACKS
from tests.security.cases_git import GIT_ATTACKS
from tests.security.cases_gitpush import GITPUSH_ATTACKS
from tests.security.cases_host import HOST_ATTACKS
from tests.security.cases_loopback import LOOPBACK_ATTACKS
from tests.security.cases_paths import PATH_ATTACKS
from tests.security.cases_redaction import REDACTION_ATTACKS
from tests.security.cases_resources import RESOURCE_ATTACKS
from tests.security.cases_server import SERVER_ATTACKS
from tests.security.conftest import Host
from tests.security.outcomes import Outcomes

pytestmark = pytest.mark.anyio

ATTACKS = [
    *PATH_ATTACKS,
    *HOST_ATTACKS,
    *COMMAND_ATTACKS,
    *RESOURCE_ATTACKS,
    *GIT_ATTACKS,
    *GITPUSH_ATTACKS,
    *LOOPBACK_ATTACKS,
    *ALLOWLIST_ATTACKS,
    *REDACTION_ATTACKS,
    *CHANGE_ATTACKS,
    *SERVER_ATTACKS,
]


def _params() -> list[object]:
    params: list[object] = []
    for attack in ATTACKS:
        for backend in BACKENDS:
            if attack.only and backend not in attack.only:
                continue
            params.append(pytest.param(attack, backend, id=f"{attack.name}-{backend}"))
    return params


def test_the_suite_has_enough_cases() -> None:
    assert len({attack.name for attack in ATTACKS}) == len(ATTACKS) >= 70


@pytest.mark.parametrize(("attack", "backend"), _params())
async def test_the_attack_is_blocked(
    attack: Attack, backend: str, task_dir: TaskDir, host: Host, outcomes: Outcomes
) -> None:
    task = task_dir.write(attack.task(backend), attack.script(host, backend), attack.files)
    if attack.prepare:
        attack.prepare(host, task_dir.project)
    result, events = await task_dir.run(task)
    seen = Seen(result, events, task_dir.runs)

    escaped = attack.escaped(host, seen)
    known = backend == "local" and bool(attack.known_local)
    outcomes[(attack.name, backend)] = ("known" if known else "escaped") if escaped else "blocked"

    assert isinstance(events[-1], RunFinished), events[-1]
    assert seen.carried_on(), f"the run stopped after the attack: {result.status} {result.reason}"
    assert host.sleeper.poll() is None or attack.name.startswith("killing"), "a host process died"
    assert not escaped or known, f"{attack.name} escaped the {backend} sandbox"
    if not escaped:
        assert attack.recorded(seen), "the journal does not show the attempt"
