"""The command server: what one command leaves is gone for the next, and the host reads every reply as hostile."""

from __future__ import annotations

import sys
import textwrap

import pytest

from interns.sandbox import BubblewrapSandbox, Sandbox
from interns.sandbox.bubblewrap.server_process import BROKEN_EXIT_CODE, CommandServer, ServerBroke

pytestmark = pytest.mark.anyio

# A stand-in for the server, run on the host: it says it is ready, reads one request, then answers as told (or, told
# nothing, ends).
IMPOSTOR = """
import json, socket, struct, sys
sock = socket.socket(fileno=int(sys.argv[2]))
sock.sendall(b'{"ready": true}\\n')
data = sock.recv(1 << 20)
seq = json.loads(data[4:])["seq"]
if not sys.argv[1]:
    sys.exit(0)
sock.sendall(sys.argv[1].replace("SEQ", str(seq)).encode())
sock.recv(1)
"""


async def impostor(reply: str) -> CommandServer:
    """A command server that answers its first command with `reply` (SEQ stands for the request's number)."""
    command = [sys.executable, "-c", textwrap.dedent(IMPOSTOR), reply, "{fd}"]
    return await CommandServer.start(command, env={}, pass_fds=(), group=None)


@pytest.mark.parametrize(
    "reply",
    [
        '{"seq": 999, "code": 0, "timed_out": false, "fresh": true}\n',  # not the command just sent
        '{"seq": SEQ, "code": 4096, "timed_out": false, "fresh": true}\n',  # no exit code is that
        '{"seq": SEQ, "code": "0", "timed_out": false, "fresh": true}\n',
        '{"seq": SEQ, "code": 0, "timed_out": 0, "fresh": true}\n',
        '[{"seq": SEQ, "code": 0}]\n',
        "not json\n",
        "x" * 100_000,  # no end of line in sight
        "",  # it just ends
    ],
)
async def test_a_reply_of_the_wrong_shape_ends_the_server_and_fails_the_command(reply: str) -> None:
    server = await impostor(reply)
    result = await server.run(["true"], cwd="/", env={}, stdin=None, timeout=10, output_limit=1000)
    assert (result.exit_code, result.timed_out) == (BROKEN_EXIT_CODE, False)
    assert b"command server broke" in result.stderr
    assert not server.usable


async def test_a_well_formed_reply_is_the_commands_result() -> None:
    server = await impostor('{"seq": SEQ, "code": 7, "timed_out": false, "fresh": true}\n')
    result = await server.run(["true"], cwd="/", env={}, stdin=b"in", timeout=10, output_limit=1000)
    assert (result.exit_code, result.timed_out, server.usable) == (7, False, True)
    await server.close()


async def test_a_server_that_never_says_ready_is_reported() -> None:
    command = [sys.executable, "-c", "import sys; sys.stderr.write('no luck here'); sys.exit(3)", "{fd}"]
    with pytest.raises(ServerBroke, match="no luck here"):
        await CommandServer.start(command, env={}, pass_fds=(), group=None)


async def test_home_tmp_and_dev_are_as_the_first_command_found_them(box: Sandbox) -> None:
    assert isinstance(box, BubblewrapSandbox)
    leave = [
        'touch "$HOME/.left" /dev/shm/left',
        "ln -sf /workspace/planted /dev/stdin",
        'python3 -c \'import os; os.makedirs("/tmp/a/b"); os.chmod("/tmp/a", 0)\'',
    ]
    for line in leave:
        assert (await box.exec(["sh", "-c", line])).ok, line
        found = await box.exec(["sh", "-c", 'ls -A "$HOME" /tmp /dev/shm; readlink /dev/stdin'])
        assert found.stdout.split() == ["/dev/shm:", "/home/intern:", "/tmp:", "/proc/self/fd/0"], line


async def test_a_system_v_segment_left_by_one_command_is_gone_for_the_next(box: Sandbox) -> None:
    make = "import ctypes; print(ctypes.CDLL(None).shmget(0x1eff, 4096, 0o1000 | 0o600) >= 0)"  # IPC_CREAT
    assert (await box.exec(["python3", "-c", make])).stdout == "True\n"
    assert (await box.exec(["wc", "-l", "/proc/sysvipc/shm"])).stdout.split()[0] == "1"  # its header alone
