"""Record real chat-completion responses of the local llama-server for the suite's replay tests.

    python -m benchmarks.local_model serve                # first: a server (see local_model.py)
    python -m benchmarks.record_openai                    # then: writes tests/support/recordings/openai_chat_*.json

The kit's own requests are recorded: a proxy on loopback stands between the kit and the server and keeps each
request body and the answer. Two runs of a one-step task go through the `Runner` with `openai-chat:<model>`: one that
runs `echo wire-ok` and answers, one whose answer is cut off at `max_tokens`. The kit does not stream, so the
requests of those runs are sent once more with `stream: true` (and `stream_options.include_usage`, as pydantic-ai
streams) to record the event streams. Paths of this machine are taken out of what is saved.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from benchmarks import local_model
from tests.support.chat_completions import LENGTH_TASK, TOOL_TASK
from tests.support.loopback import QuietHandler, serving

RECORDINGS = Path(__file__).parents[1] / "tests" / "support" / "recordings"


class Proxy:
    """Forwards every POST to the server and keeps the request body and the answer (JSON, or the stream's chunks)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.exchanges: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def forward(self, path: str, body: bytes) -> tuple[int, str, bytes]:
        """Send one request on to the server; keep it and what came back."""
        request = urllib.request.Request(
            self.upstream + path, data=body, headers={"content-type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=900) as response:
                status, kind, data = response.status, response.headers.get("content-type", ""), response.read()
        except urllib.error.HTTPError as error:
            status, kind, data = error.code, error.headers.get("content-type", ""), error.read()
        sent = json.loads(body)
        exchange: dict[str, Any] = {"request": sent, "status": status}
        if sent.get("stream") and status == 200:
            exchange["chunks"] = chunks_of(data)
        else:
            exchange["response"] = json.loads(data)
        with self.lock:
            self.exchanges.append(exchange)
        return status, kind, data


def chunks_of(stream: bytes) -> list[dict[str, Any]]:
    """The JSON objects of an event stream's `data:` lines, up to `data: [DONE]`."""
    chunks = []
    for line in stream.decode().splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            chunks.append(json.loads(line.removeprefix("data: ")))
    return chunks


@contextmanager
def proxy_server(proxy: Proxy) -> Iterator[str]:
    """Run the proxy on a free loopback port; yield its /v1 base URL."""

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            status, kind, data = proxy.forward(self.path, self.rfile.read(int(self.headers["content-length"])))
            self.reply(status, kind, data)

    with serving(Handler) as url:
        yield f"{url}/v1"


def run_task(task: dict[str, Any], model: str, base_url: str, root: Path) -> str:
    """Run a one-step task on the local sandbox through the kit's Runner; return how it ended."""
    from interns.agents.runtime.runner import Runner

    (root / "project").mkdir(parents=True, exist_ok=True)
    spec = {
        "version": 1,
        "name": "wire",
        "goal": "Answer the question of the step.",
        "workspace": {"folder": "project"},
        **task,
        "guardrails": {"sandbox": "local", "limits": {"turns": 4, "minutes": 10}},
        "review": {"supervisor": False},
    }
    path = root / "task.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"] = base_url, "local"
    result = asyncio.run(Runner(root / "runs").start(path, model=model).run())
    return f"{result.status}: {result.reason}"


def stream_again(proxy: Proxy, requests: list[dict[str, Any]], base_url: str) -> None:
    """Send each request once more as pydantic-ai streams it, through the proxy."""
    for body in requests:
        streamed = {**body, "stream": True, "stream_options": {"include_usage": True}}
        request = urllib.request.Request(
            base_url + "/chat/completions",
            data=json.dumps(streamed).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=900) as response:
            response.read()


def server_build(url: str) -> str:
    """The server's build, as its /props tells it (llama-server's `build_info`)."""
    with urllib.request.urlopen(f"{url}/props", timeout=10) as response:
        props = json.loads(response.read())
    return f"llama-server {props.get('build_info', 'unknown build')}"


def server_flags(command: list[str] | None) -> list[str]:
    """The flags the server was started with, paths cut to file names; the script's own when unknown."""
    if not command:
        return [*local_model.SERVER_FLAGS, "--chat-template-file", local_model.TEMPLATE.name]
    return [Path(a).name if "/" in a else a for a in command[1:]]


def scrubbed(value: Any, paths: list[str]) -> Any:
    """`value` with every occurrence of the given paths replaced by a placeholder."""
    text = json.dumps(value)
    for path in paths:
        text = text.replace(path, "/tmp/recording")
    return json.loads(text)


def save(name: str, exchanges: list[dict[str, Any]], header: dict[str, Any], paths: list[str], out: Path) -> Path:
    """Write one recording: its header and its exchanges."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{name}.json"
    kept = [{k: v for k, v in e.items() if k != "status"} for e in exchanges]
    recorded = scrubbed({"recorded": header, "exchanges": kept}, paths)
    target.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n")
    return target


def main(argv: list[str] | None = None) -> int:
    """Record the runs and the streams; print where each recording went."""
    args = argparse.ArgumentParser(prog="python -m benchmarks.record_openai", description=__doc__.split("\n\n")[0])
    args.add_argument("--url", help="the llama-server (default: the one `local_model serve` started)")
    args.add_argument("--model", help="its model name (default: the one `local_model serve` started)")
    args.add_argument("--out", type=Path, default=RECORDINGS, help="where to write them (default: %(default)s)")
    parsed = args.parse_args(argv)
    state = local_model.read_state() or {}
    url, name = parsed.url or state.get("url"), parsed.model or state.get("model")
    if not url or not name:
        print("error: no server: start one with `python -m benchmarks.local_model serve`, or give --url and --model")
        return 1
    header = {
        "model": name,
        "server": server_build(url),
        "date": datetime.date.today().isoformat(),
        "by": "benchmarks/record_openai.py",
        "server_flags": server_flags(state.get("command")),
    }
    with tempfile.TemporaryDirectory() as tmp:
        paths = [tmp, str(Path(tmp).resolve())]
        for file_name, task in (("openai_chat_tool_call", TOOL_TASK), ("openai_chat_length", LENGTH_TASK)):
            proxy = Proxy(url)
            with proxy_server(proxy) as base_url:
                ended = run_task(task, f"openai-chat:{name}", base_url, Path(tmp) / file_name)
                print(f"{file_name}: the run {ended}", file=sys.stderr)
                requests = [e["request"] for e in proxy.exchanges]
                print(save(file_name, proxy.exchanges, {**header, "run": ended}, paths, parsed.out))
                proxy.exchanges.clear()
                stream_again(proxy, requests, base_url)
                print(save(f"{file_name}_streamed", proxy.exchanges, header, paths, parsed.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
