"""A seccomp filter for bubblewrap's `--seccomp FD`: the syscalls a sandboxed command never needs, refused.

Written as classic BPF by hand (no libseccomp): one check of the architecture, then one
comparison per syscall. What it refuses only widens the kernel's attack surface or reaches past
the sandbox: new namespaces (a nested user namespace hands back every capability), ptrace,
the kernel keyring, bpf, perf, userfaultfd, io_uring, mounts, modules, kexec, and typing into
the terminal (TIOCSTI). Everything else is allowed.
"""

from __future__ import annotations

import errno
import platform
import struct
from dataclasses import dataclass

# Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K, _JGE_K, _JSET_K = 0x15, 0x35, 0x45
_RET_K = 0x06
RET_ALLOW = 0x7FFF0000
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000

# struct seccomp_data {int nr; u32 arch; u64 instruction_pointer; u64 args[6];}; low words on little-endian.
_NR, _ARCH, _ARG0_LOW, _ARG1_LOW = 0, 4, 16, 24

CLONE_NEW_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
"""CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: what clone() may not ask for."""
UNSHARE_NEW_NAMESPACES = CLONE_NEW_NAMESPACES | 0x80
"""The same plus CLONE_NEWTIME, which only unshare() takes (in clone() that bit is the exit signal)."""
DENIED_IOCTLS = (0x5412, 0x541C)
"""TIOCSTI (push input into the terminal) and TIOCLINUX."""

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "setns", "mount", "umount2", "pivot_root",
    "chroot", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "init_module",
    "finit_module", "delete_module", "kexec_load", "kexec_file_load", "acct", "swapon", "swapoff", "reboot", "syslog",
    "quotactl", "open_by_handle_at",
)  # fmt: skip
"""Syscalls refused with EPERM, whatever their arguments."""


@dataclass(frozen=True)
class Arch:
    """One architecture the filter knows: its audit id and the numbers of the syscalls it looks at."""

    audit_arch: int
    numbers: dict[str, int]
    first_foreign_number: int | None = None
    """Syscall numbers from here on belong to another ABI on the same arch (x32 on x86_64): refused."""


_X86_64_NUMBERS = {
    "ioctl": 16, "clone": 56, "ptrace": 101, "syslog": 103, "chroot": 161, "acct": 163, "mount": 165,
    "umount2": 166, "swapon": 167, "swapoff": 168, "reboot": 169, "init_module": 175, "delete_module": 176,
    "quotactl": 179, "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
    "perf_event_open": 298, "open_by_handle_at": 304, "setns": 308, "process_vm_readv": 310,
    "process_vm_writev": 311, "finit_module": 313, "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323,
    "pivot_root": 155,
}  # fmt: skip
_AARCH64_NUMBERS = {
    "ioctl": 29, "umount2": 39, "mount": 40, "pivot_root": 41, "chroot": 51, "quotactl": 60, "acct": 89,
    "unshare": 97, "kexec_load": 104, "init_module": 105, "delete_module": 106, "syslog": 116, "ptrace": 117,
    "reboot": 142, "add_key": 217, "request_key": 218, "keyctl": 219, "clone": 220, "swapon": 224,
    "swapoff": 225, "perf_event_open": 241, "open_by_handle_at": 265, "setns": 268, "process_vm_readv": 270,
    "process_vm_writev": 271, "finit_module": 273, "bpf": 280, "userfaultfd": 282, "kexec_file_load": 294,
}  # fmt: skip
# Syscalls added since 5.1 share one number on every architecture.
_COMMON = {
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "clone3": 435, "mount_setattr": 442,
}  # fmt: skip
_X86_64 = Arch(0xC000003E, _X86_64_NUMBERS, first_foreign_number=0x40000000)
_AARCH64 = Arch(0xC00000B7, _AARCH64_NUMBERS)
ARCHES = {"x86_64": _X86_64, "amd64": _X86_64, "aarch64": _AARCH64, "arm64": _AARCH64}


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    """One `struct sock_filter` instruction."""
    return struct.pack("=HBBI", code, jt, jf, k)


def _refuse(number: int, value: int) -> list[bytes]:
    """If the syscall is `number`, return `value`."""
    return [_op(_JEQ_K, number, 0, 1), _op(_RET_K, value)]


def _refuse_flags(number: int, offset: int, flags: int) -> list[bytes]:
    """If the syscall is `number` and the argument word at `offset` has any of `flags`, refuse it."""
    return [
        _op(_JEQ_K, number, 0, 4),
        _op(_LD_W_ABS, offset),
        _op(_JSET_K, flags, 0, 1),
        _op(_RET_K, RET_ERRNO | errno.EPERM),
        _op(_LD_W_ABS, _NR),
    ]


def _refuse_ioctls(number: int, requests: tuple[int, ...]) -> list[bytes]:
    """If the syscall is ioctl with one of `requests` (a 32-bit value, as the kernel reads it), refuse it."""
    checks = [_op(_JEQ_K, request, len(requests) - i, 0) for i, request in enumerate(requests)]
    return [
        _op(_JEQ_K, number, 0, len(checks) + 4),
        _op(_LD_W_ABS, _ARG1_LOW),
        *checks,
        _op(0x05, 1),  # jump over the refusal: not one of them
        _op(_RET_K, RET_ERRNO | errno.EPERM),
        _op(_LD_W_ABS, _NR),
    ]


def machine_arch(machine: str | None = None) -> Arch | None:
    """The filter's description of `machine` (default: this one), None for an architecture it does not know."""
    return ARCHES.get((machine or platform.machine()).lower())


def deny_filter(arch: Arch) -> bytes:
    """The filter program as bwrap reads it: `struct sock_filter` instructions, back to back."""
    numbers = {**arch.numbers, **_COMMON}
    program = [
        _op(_LD_W_ABS, _ARCH),
        _op(_JEQ_K, arch.audit_arch, 1, 0),
        _op(_RET_K, RET_KILL_PROCESS),  # another ABI (i386 on x86_64) would dodge every number below
        _op(_LD_W_ABS, _NR),
    ]
    if arch.first_foreign_number is not None:
        program += [_op(_JGE_K, arch.first_foreign_number, 0, 1), _op(_RET_K, RET_ERRNO | errno.EPERM)]
    for name in DENIED:
        program += _refuse(numbers[name], RET_ERRNO | errno.EPERM)
    # ENOSYS, not EPERM: clone3's flags sit behind a pointer the filter cannot read, and on ENOSYS
    # the C library falls back to clone(), whose flags it can.
    program += _refuse(numbers["clone3"], RET_ERRNO | errno.ENOSYS)
    program += _refuse_flags(numbers["clone"], _ARG0_LOW, CLONE_NEW_NAMESPACES)
    program += _refuse_flags(numbers["unshare"], _ARG0_LOW, UNSHARE_NEW_NAMESPACES)
    program += _refuse_ioctls(numbers["ioctl"], DENIED_IOCTLS)
    program.append(_op(_RET_K, RET_ALLOW))
    return b"".join(program)
