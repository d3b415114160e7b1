"""The seccomp filter: its decisions, read by a small classic-BPF interpreter, and what it refuses in a real sandbox."""

from __future__ import annotations

import errno
import struct

import pytest

from interns.sandbox import Sandbox
from interns.sandbox.confinement.seccomp import (
    ARCHES,
    RET_ALLOW,
    RET_ERRNO,
    RET_KILL_PROCESS,
    Arch,
    deny_filter,
    machine_arch,
)

EPERM, ENOSYS = RET_ERRNO | errno.EPERM, RET_ERRNO | errno.ENOSYS
CLONE_NEWUSER, CLONE_NEWNS, CLONE_FILES, CLONE_THREAD, CLONE_NEWTIME = 0x10000000, 0x20000, 0x400, 0x10000, 0x80
SIGCHLD = 17
TIOCSTI, TCGETS = 0x5412, 0x5401
BPF_MAXINSNS = 4096


def run_filter(program: bytes, arch: int, nr: int, args: tuple[int, ...] = ()) -> int:
    """What the filter returns for one syscall: the subset of classic BPF it uses, interpreted."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, *(list(args) + [0] * (6 - len(args))))
    ops = [struct.unpack_from("=HBBI", program, offset) for offset in range(0, len(program), 8)]
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = ops[pc]
        pc += 1
        if code == 0x20:  # ld [k]
            accumulator = struct.unpack_from("=I", data, k)[0]
        elif code == 0x06:  # ret k
            return k
        elif code == 0x05:  # ja k
            pc += k
        elif code in (0x15, 0x35, 0x45):  # jeq, jge, jset
            taken = {0x15: accumulator == k, 0x35: accumulator >= k, 0x45: bool(accumulator & k)}[code]
            pc += jt if taken else jf
        else:
            raise AssertionError(f"unexpected BPF opcode {code:#x}")


@pytest.fixture(params=["x86_64", "aarch64"])
def arch(request: pytest.FixtureRequest) -> Arch:
    found = machine_arch(request.param)
    assert found is not None
    return found


def decide(arch: Arch, name: str, *args: int) -> int:
    numbers = {**arch.numbers, "clone3": 435, "io_uring_setup": 425, "read": 0 if arch is ARCHES["x86_64"] else 63}
    return run_filter(deny_filter(arch), arch.audit_arch, numbers[name], args)


def test_ordinary_syscalls_pass(arch: Arch) -> None:
    assert decide(arch, "read", 0) == RET_ALLOW
    assert decide(arch, "clone", SIGCHLD) == RET_ALLOW  # fork
    assert decide(arch, "clone", CLONE_THREAD | CLONE_FILES) == RET_ALLOW  # a thread
    assert decide(arch, "unshare", CLONE_FILES) == RET_ALLOW
    assert decide(arch, "ioctl", 1, TCGETS) == RET_ALLOW


def test_kernel_surface_and_other_processes_are_refused(arch: Arch) -> None:
    for name in ("ptrace", "keyctl", "add_key", "bpf", "perf_event_open", "userfaultfd", "mount", "setns"):
        assert decide(arch, name) == EPERM, name
    assert decide(arch, "io_uring_setup") == EPERM


def test_new_namespaces_are_refused(arch: Arch) -> None:
    assert decide(arch, "clone", SIGCHLD | CLONE_NEWUSER) == EPERM
    assert decide(arch, "clone", CLONE_NEWNS) == EPERM
    assert decide(arch, "unshare", CLONE_NEWUSER | CLONE_FILES) == EPERM
    assert decide(arch, "unshare", CLONE_NEWTIME) == EPERM
    assert decide(arch, "clone3") == ENOSYS  # so the C library falls back to clone, whose flags are checked


def test_typing_into_the_terminal_is_refused_whatever_the_high_bits(arch: Arch) -> None:
    assert decide(arch, "ioctl", 0, TIOCSTI) == EPERM
    assert decide(arch, "ioctl", 0, (1 << 32) | TIOCSTI) == EPERM  # the kernel reads the request as 32 bits


def test_another_abi_cannot_dodge_the_numbers() -> None:
    x86 = ARCHES["x86_64"]
    i386 = 0x40000003
    assert run_filter(deny_filter(x86), i386, 26) == RET_KILL_PROCESS  # ptrace's number on i386
    assert run_filter(deny_filter(x86), x86.audit_arch, 0x40000000 + 101) == EPERM  # x32's ptrace


def test_the_program_fits_and_unknown_machines_get_none() -> None:
    for arch in ARCHES.values():
        program = deny_filter(arch)
        assert len(program) % 8 == 0 and len(program) // 8 < BPF_MAXINSNS
    assert machine_arch("riscv64") is None


on_bubblewrap = pytest.mark.parametrize("open_box", ["bubblewrap"], indirect=True)


@on_bubblewrap
@pytest.mark.anyio
async def test_a_sandboxed_command_cannot_make_a_user_namespace_or_trace(box: Sandbox) -> None:
    if machine_arch() is None:
        pytest.skip("no seccomp filter for this architecture")
    nested = await box.exec(["unshare", "--user", "--map-root-user", "id", "-u"])
    assert nested.exit_code != 0 and "Operation not permitted" in nested.stderr
    traced = await box.exec(["python3", "-c", "import ctypes; print(ctypes.CDLL(None).ptrace(0, 0, 0, 0))"])
    assert traced.stdout.strip() == "-1"
    status = await box.exec(["grep", "^Seccomp:", "/proc/self/status"])
    assert status.stdout.split() == ["Seccomp:", "2"]
