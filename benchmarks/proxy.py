"""The network proxy's cost: per request (plain HTTP, and HTTPS through a CONNECT tunnel) and for a `pip install` of a
few packages, from a bubblewrap sandbox through its forwarder and proxy, against the same client on the host with no
proxy at all.

The servers are a package index on the host's loopback (HTTP and HTTPS with a throwaway authority), allowed to the
sandbox by their literal address. Per-request figures are timed inside the client, so the sandbox's start is not in
them; the pip figures are whole commands, so they hold one sandbox start (see `readiness` for its size).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from benchmarks.readiness import first_result
from benchmarks.stats import interleaved, median_ms, timed
from benchmarks.table import BenchResult, Row
from interns.sandbox import Sandbox, SandboxSpec, SandboxUnavailable, check_backend, open_sandbox
from interns.sandbox.network import Credential, NetworkAccess
from interns.sandbox.network.authority import Authority
from tests.support.forge import forge

PYTHON = "/usr/bin/python3"
"""The interpreter the bubblewrap sandbox runs (it mounts the host's /usr), so both sides run the same client."""
CLIENT = """\
import json, sys, time, urllib.request
url, count, times = sys.argv[1], int(sys.argv[2]), []
for _ in range(count):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as answer:
        answer.read()
    times.append(time.perf_counter() - started)
print(json.dumps(times))
"""
T = TypeVar("T")
NO_PROXY = {"NO_PROXY": "", "no_proxy": ""}
"""The index is on 127.0.0.1, which NO_PROXY would keep off the proxy."""


def measure(requests: int = 50, rounds: int = 3, packages: int = 4) -> BenchResult:
    """Per request and per `pip install`, through the proxy from a sandbox and straight from the host, interleaved."""
    result = BenchResult("proxy", raw={"requests": requests, "rounds": rounds, "packages": packages})
    try:
        check_backend("bubblewrap")
    except SandboxUnavailable as exc:
        result.rows.append(Row("proxy", None, note=f"bubblewrap cannot run here: {exc}"[:120]))
        return result
    with tempfile.TemporaryDirectory(prefix="interns-bench-proxy-") as scratch:
        folder = Path(scratch)
        _startup(result, folder, rounds)
        asyncio.run(_measure(result, folder, requests, rounds, packages))
    return result


def _startup(result: BenchResult, folder: Path, rounds: int) -> None:
    """A fresh sandbox's first `true`: with an allowlist (its proxy, and a credential's authority), and without."""
    plain = SandboxSpec(backend="bubblewrap", workspace=folder)
    listed = SandboxSpec(backend="bubblewrap", workspace=folder, network=NetworkAccess(allow=("pypi.org",)))
    secret = (Credential("api.test", "Authorization", "Bearer x"),)
    credential = SandboxSpec(
        backend="bubblewrap", workspace=folder, network=NetworkAccess(allow=("api.test",), credentials=secret)
    )
    first = interleaved(
        {name: lambda spec=spec: asyncio.run(first_result(spec)) for name, spec in
         (("none", plain), ("allowlist", listed), ("credential", credential))},
        rounds * 3,
    )  # fmt: skip
    result.raw["first_result_s"] = first
    for name, label in (("allowlist", "an allowlist"), ("credential", "a credential")):
        row = Row(f"proxy · first result with {label}", median_ms(first[name]), other=median_ms(first["none"]))
        row.other_label = "no network"
        result.rows.append(row)


async def _measure(result: BenchResult, folder: Path, requests: int, rounds: int, packages: int) -> None:
    authority = Authority()
    ca = folder / "ca.pem"
    ca.write_bytes(authority.pem())
    (folder / "client.py").write_text(CLIENT)
    names = [(f"benchpkg{n}", "1.0") for n in range(packages)]
    access = NetworkAccess(allow=("127.0.0.1",))
    box = await open_sandbox(SandboxSpec(backend="bubblewrap", workspace=folder, network=access))
    try:
        with (
            forge(None, folder, names) as plain,
            forge(authority.context_for("127.0.0.1"), folder, names) as tls,
        ):
            urls = {
                "http": f"http://127.0.0.1:{plain.server_address[1]}/simple/benchpkg0/",
                "https": f"https://127.0.0.1:{tls.server_address[1]}/simple/benchpkg0/",
            }
            env = {**NO_PROXY, "SSL_CERT_FILE": "/workspace/ca.pem", "PIP_CERT": "/workspace/ca.pem"}
            for scheme, url in urls.items():
                samples = await _interleaved_async(
                    {
                        "proxy": lambda url=url: _client_in_sandbox(box, url, requests, env),
                        "direct": lambda url=url: _client_on_host(folder, url, requests, ca),
                    },
                    rounds,
                )
                ours, direct = ([t for run in samples[v] for t in run] for v in ("proxy", "direct"))
                result.raw[f"{scheme}_request_s"] = {"proxy": ours, "direct": direct}
                row = Row(f"proxy · one {scheme} request", median_ms(ours), other=median_ms(direct))
                row.other_label, row.note = "no proxy", "measured inside the client"
                result.rows.append(row)
            index = f"https://127.0.0.1:{tls.server_address[1]}/simple/"
            install = ["-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check", "--index-url", index]
            install += [name for name, _ in names]
            pip = await _interleaved_async(
                {
                    "proxy": lambda: _timed_exec(box, [PYTHON, *install, "--target", "/tmp/site"], env),
                    "direct": lambda: asyncio.to_thread(timed, lambda: _pip_on_host(folder, install, ca)),
                },
                rounds,
            )
    finally:
        await box.aclose()
    result.raw["pip_install_s"] = pip
    row = Row(f"proxy · pip install {packages} packages", median_ms(pip["proxy"]), other=median_ms(pip["direct"]))
    row.other_label, row.note = "no proxy, no sandbox", "the proxy side includes one sandbox start"
    result.rows.append(row)


async def _interleaved_async(variants: dict[str, Callable[[], Awaitable[T]]], rounds: int) -> dict[str, list[T]]:
    """`benchmarks.stats.interleaved` for variants that are awaited (they share the sandbox's event loop)."""
    done: dict[str, list[T]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, variant in variants.items():
            done[name].append(await variant())
    return done


async def _client_in_sandbox(box: Sandbox, url: str, count: int, env: dict[str, str]) -> list[float]:
    result = await box.exec([PYTHON, "client.py", url, str(count)], env=env)
    if not result.ok:
        raise RuntimeError(f"the client failed in the sandbox: {result.stdout}{result.stderr}")
    return list(json.loads(result.stdout))


async def _client_on_host(folder: Path, url: str, count: int, ca: Path) -> list[float]:
    env = {"PATH": os.defpath, "SSL_CERT_FILE": str(ca)}
    done = await asyncio.to_thread(
        subprocess.run, [PYTHON, str(folder / "client.py"), url, str(count)], env=env, capture_output=True, check=True
    )
    return list(json.loads(done.stdout))


async def _timed_exec(box: Sandbox, argv: list[str], env: dict[str, str]) -> float:
    result = await box.exec(argv, env=env)
    if not result.ok:
        raise RuntimeError(f"pip failed in the sandbox: {result.stdout[-500:]}{result.stderr[-500:]}")
    return float(result.duration)


def _pip_on_host(folder: Path, install: list[str], ca: Path) -> None:
    with tempfile.TemporaryDirectory(dir=folder) as target:
        env = {"PATH": os.defpath, "PIP_CERT": str(ca), "HOME": target}
        subprocess.run([PYTHON, *install, "--target", target], env=env, capture_output=True, check=True)
