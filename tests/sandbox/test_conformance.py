"""One suite of behaviours every sandbox backend must share, run against each backend."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import anyio
import pytest

from interns.sandbox import TIMEOUT_EXIT_CODE, Sandbox
from tests.sandbox.conftest import OpenSandbox

BACKENDS = ("bubblewrap", "docker", "local")
pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("open_box", BACKENDS, indirect=True)]


async def test_stdout_and_stderr_come_back_apart(box: Sandbox) -> None:
    result = await box.exec(["sh", "-c", "echo out; echo err >&2"])
    assert (result.stdout, result.stderr, result.exit_code, result.ok) == ("out\n", "err\n", 0, True)


async def test_exit_code_is_the_commands(box: Sandbox) -> None:
    result = await box.exec(["sh", "-c", "exit 3"])
    assert (result.exit_code, result.ok, result.timed_out) == (3, False, False)


async def test_death_by_signal_reads_as_128_plus_the_signal(box: Sandbox) -> None:
    result = await box.exec(["sh", "-c", "kill -9 $$"])
    assert result.exit_code == 128 + 9


async def test_missing_program_is_a_failed_command_not_an_exception(box: Sandbox) -> None:
    result = await box.exec(["no-such-program-xyz"])
    assert result.exit_code != 0
    assert "no-such-program-xyz" in result.stderr


async def test_missing_cwd_is_a_failed_command_not_an_exception(box: Sandbox) -> None:
    result = await box.exec(["true"], cwd="no/such/folder")
    assert result.exit_code != 0
    assert "no/such/folder" in result.stderr


async def test_empty_argv_is_the_callers_mistake(box: Sandbox) -> None:
    with pytest.raises(ValueError, match="empty"):
        await box.exec([])


async def test_stdin_reaches_the_command(box: Sandbox) -> None:
    assert (await box.exec(["cat"], stdin="from stdin\n")).stdout == "from stdin\n"
    assert (await box.exec(["wc", "-c"], stdin=b"\x00\x01\x02")).stdout.strip() == "3"


async def test_without_stdin_a_reader_sees_end_of_file(box: Sandbox) -> None:
    result = await box.exec(["cat"], timeout=5)
    assert (result.stdout, result.ok) == ("", True)


async def test_cwd_is_relative_to_the_workspace(box: Sandbox, workspace: Path) -> None:
    (workspace / "sub" / "deeper").mkdir(parents=True)
    assert (await box.exec(["pwd"])).stdout.strip() == box.workdir
    assert (await box.exec(["pwd"], cwd="sub/deeper")).stdout.strip() == f"{box.workdir}/sub/deeper"


async def test_env_comes_from_the_spec_and_the_call(open_box: OpenSandbox) -> None:
    box = await open_box(env={"FROM_SPEC": "spec", "SHARED": "spec"})
    result = await box.exec(
        ["sh", "-c", 'echo "$FROM_SPEC $FROM_CALL $SHARED"'], env={"FROM_CALL": "call", "SHARED": "call"}
    )
    assert result.stdout == "spec call call\n"


async def test_host_environment_is_not_passed_in(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERNS_HOST_ONLY_SECRET", "s3cret-value")
    result = await box.exec(["env"])
    assert "s3cret-value" not in result.stdout
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines()}
    assert {"PATH", "HOME", "LANG", "TERM"} <= names
    assert "INTERNS_HOST_ONLY_SECRET" not in names


async def test_home_is_not_the_hosts(box: Sandbox) -> None:
    home = (await box.exec(["sh", "-c", 'echo "$HOME"'])).stdout.strip()
    assert home and home != str(Path.home())
    assert (await box.exec(["sh", "-c", 'touch "$HOME/.probe" && echo ok'])).stdout == "ok\n"


async def test_timeout_kills_the_command_and_its_children(box: Sandbox, workspace: Path) -> None:
    started = time.monotonic()
    result = await box.exec(["sh", "-c", "(sleep 0.3; touch late-marker) & sleep 30"], timeout=0.1)
    assert (result.timed_out, result.exit_code, result.ok) == (True, TIMEOUT_EXIT_CODE, False)
    assert time.monotonic() - started < 5
    await anyio.sleep(0.6)
    assert not (workspace / "late-marker").exists()


async def test_background_children_do_not_outlive_the_command(box: Sandbox, workspace: Path) -> None:
    started = time.monotonic()
    result = await box.exec(["sh", "-c", "(sleep 0.3; touch late-marker) & echo started"])
    assert (result.stdout, result.ok) == ("started\n", True)
    assert time.monotonic() - started < 0.3
    await anyio.sleep(0.6)
    assert not (workspace / "late-marker").exists()


@pytest.mark.skipif(shutil.which("setsid") is None, reason="needs setsid from util-linux")
async def test_a_detached_child_holding_the_output_open_does_not_hang_the_call(box: Sandbox) -> None:
    started = time.monotonic()
    result = await box.exec(["sh", "-c", "setsid sleep 60 & echo started"])
    assert (result.stdout, result.ok) == ("started\n", True)
    # Waiting for the child would take its whole minute; the margin is wide so a loaded machine cannot fail this.
    assert time.monotonic() - started < 30


async def test_cancelling_the_caller_kills_the_command(box: Sandbox, workspace: Path) -> None:
    with anyio.move_on_after(0.1) as scope:
        await box.exec(["sh", "-c", "(sleep 0.3; touch late-marker) & sleep 30"])
    assert scope.cancelled_caught
    await anyio.sleep(0.6)
    assert not (workspace / "late-marker").exists()


async def test_large_output_is_capped_and_fast(open_box: OpenSandbox) -> None:
    box = await open_box(output_limit=1000)
    started = time.monotonic()
    result = await box.exec(["sh", "-c", "head -c 10000000 /dev/zero | tr '\\0' a; echo tail >&2"])
    assert time.monotonic() - started < 5
    assert (result.stdout, result.stderr, result.truncated, result.ok) == ("a" * 1000, "tail\n", True, True)


async def test_small_output_is_not_marked_truncated(box: Sandbox) -> None:
    assert not (await box.exec(["echo", "short"])).truncated


async def test_written_file_is_seen_by_commands(box: Sandbox) -> None:
    await box.write_file("notes/new/a.txt", b"written\n")
    assert (await box.exec(["cat", "notes/new/a.txt"])).stdout == "written\n"


async def test_file_a_command_writes_is_readable_and_lands_in_the_workspace(box: Sandbox, workspace: Path) -> None:
    await box.exec(["sh", "-c", "mkdir -p out && printf 'made\\n' > out/result.txt"])
    assert await box.read_file("out/result.txt") == b"made\n"
    assert (workspace / "out" / "result.txt").read_bytes() == b"made\n"


async def test_write_file_replaces_and_keeps_bytes_exactly(box: Sandbox, workspace: Path) -> None:
    data = bytes(range(256)) * 4
    await box.write_file("blob.bin", b"old content that is longer")
    await box.write_file("blob.bin", data)
    assert await box.read_file("blob.bin") == data
    assert (workspace / "blob.bin").read_bytes() == data


async def test_missing_file_and_folder_raise_file_errors(box: Sandbox, workspace: Path) -> None:
    (workspace / "folder").mkdir()
    with pytest.raises(FileNotFoundError):
        await box.read_file("missing.txt")
    with pytest.raises(IsADirectoryError):
        await box.read_file("folder")
    with pytest.raises(IsADirectoryError):
        await box.write_file("folder", b"x")


async def test_unicode_in_arguments_output_and_paths(box: Sandbox) -> None:
    text = "héllo ✓ 日本語"
    assert (await box.exec(["echo", text])).stdout == text + "\n"
    await box.write_file("données/résumé.txt", text.encode())
    assert (await box.exec(["cat", "données/résumé.txt"])).stdout == text


async def test_invalid_utf8_output_is_replaced_not_an_error(box: Sandbox) -> None:
    result = await box.exec(["printf", "ok\\377"])
    assert result.stdout == "ok\ufffd"
