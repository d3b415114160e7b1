"""The launcher a command starts through: resource limits, then Landlock, then exec of the command.

It runs where the command runs (inside the bubblewrap sandbox, or on the host for the local
backend) as `python3 -I -S -c SOURCE CONFIG ARGV...`, so it uses only the standard library and
keeps to syntax old python3 versions read. CONFIG is JSON: `rlimits` ({name: value}, for the
`resource` module's RLIMIT_<name>), `writable` (folders Landlock leaves writable, everything
else read-only; absent means no Landlock) and `scoped` (also cut off abstract unix sockets and
signals outside the sandbox).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import struct
import sys

# Landlock's syscalls have the same numbers on every architecture (the generic table).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights that change something, with the ABI version that introduced each.
WRITE_RIGHTS = (
    (1 << 1, 1),  # WRITE_FILE
    (1 << 4, 1),  # REMOVE_DIR
    (1 << 5, 1),  # REMOVE_FILE
    (1 << 6, 1),  # MAKE_CHAR
    (1 << 7, 1),  # MAKE_DIR
    (1 << 8, 1),  # MAKE_REG
    (1 << 9, 1),  # MAKE_SOCK
    (1 << 10, 1),  # MAKE_FIFO
    (1 << 11, 1),  # MAKE_BLOCK
    (1 << 12, 1),  # MAKE_SYM
    (1 << 13, 2),  # REFER
    (1 << 14, 3),  # TRUNCATE
    (1 << 15, 5),  # IOCTL_DEV
)
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL, SCOPE_ABI = 1 << 0, 1 << 1, 6

NOT_FOUND_EXIT_CODE, NOT_RUN_EXIT_CODE = 127, 126
UNSAFE_EXIT_CODE = 125
"""The command was not run because its confinement could not be set up."""

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall(number: int, *args: object) -> int:
    """Call a syscall by number; OSError with its errno when it fails."""
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers to this process, 0 when none (old kernel, disabled, filtered)."""
    try:
        return _syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    except OSError:
        return 0


def write_rights(abi: int) -> int:
    """The write rights Landlock knows at ABI version `abi`, as one mask."""
    mask = 0
    for right, since in WRITE_RIGHTS:
        if abi >= since:
            mask |= right
    return mask


def restrict_writes(writable: list[str], scoped: bool, abi: int | None = None) -> None:
    """Make every path read-only for this process and its children except the `writable` folders.

    With `scoped` (ABI 6+) abstract unix sockets and signals outside this domain are cut off too.
    Folders that do not exist are skipped. OSError when Landlock refuses.
    """
    abi = landlock_abi() if abi is None else abi
    if abi < 1:
        raise OSError(38, "Landlock is not available")
    rights = write_rights(abi)
    scope = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if scoped and abi >= SCOPE_ABI else 0
    # struct landlock_ruleset_attr {u64 handled_access_fs; u64 handled_access_net; u64 scoped;}:
    # its size tells the kernel which fields are there.
    attr = struct.pack("=QQQ", rights, 0, scope) if scope else struct.pack("=Q", rights)
    _enforce(attr, writable, rights)


def _enforce(attr: bytes, writable: list[str], rights: int) -> None:
    """Make a ruleset of `attr`, let `rights` on each existing `writable` folder, and restrict this process by it."""
    ruleset = _syscall(SYS_CREATE_RULESET, ctypes.c_char_p(attr), ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    try:
        for path in writable:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_DIRECTORY)
            except FileNotFoundError:
                continue
            try:
                rule = struct.pack("=Qi", rights, fd)  # struct landlock_path_beneath_attr, packed
                _syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), ctypes.c_char_p(rule), 0)
            finally:
                os.close(fd)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
        _syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def scope_self(abi: int | None = None) -> bool:
    """Put this process and its children in a Landlock domain of their own, nested in the current one.

    It changes no file rights; with ABI 6+ it cuts them off from signalling, tracing or reaching the abstract
    unix sockets of any process outside it (such as the command server that started them). False without ABI 6.
    """
    abi = landlock_abi() if abi is None else abi
    if abi < SCOPE_ABI:
        return False
    _enforce(struct.pack("=QQQ", 0, 0, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL), [], 0)
    return True


def apply_rlimits(rlimits: dict[str, int]) -> None:
    """Lower soft and hard limits to the given values ({"FSIZE": bytes, ...}); never raise one."""
    for name, value in sorted(rlimits.items()):
        which = getattr(resource, "RLIMIT_" + name)
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


def main(args: list[str]) -> int:
    """Confine this process as CONFIG says, then become the command; returns an exit code only on failure."""
    config, argv = json.loads(args[0]), args[1:]
    if not argv:
        sys.stderr.write("confine: no command given\n")
        return NOT_RUN_EXIT_CODE
    try:
        apply_rlimits(config.get("rlimits", {}))
        if config.get("writable") is not None:
            restrict_writes(config["writable"], config.get("scoped", False))
    except (OSError, ValueError, AttributeError) as exc:
        sys.stderr.write(f"interns: the sandbox could not confine the command, so it did not run: {exc}\n")
        return UNSAFE_EXIT_CODE
    # Python ignores these at startup, and an ignored signal stays ignored across exec.
    for name in ("SIGPIPE", "SIGXFSZ"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        sys.stderr.write(f"{argv[0]}: {exc.strerror}\n")
        return NOT_FOUND_EXIT_CODE if isinstance(exc, FileNotFoundError) else NOT_RUN_EXIT_CODE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
