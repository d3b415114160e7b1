"""The forwarder run inside a sandbox (stdlib only): its own 127.0.0.1:PORT relayed to the proxy's unix socket.

The sandbox has no network interface but its loopback; its proxy variables name this port, and the only thing
behind it is the host's proxy, reached through a socket bind-mounted into the sandbox. Its source is passed to
`python3 -c`, so nothing needs installing in the sandbox.

    python3 -c SOURCE wrap PORT SOCKET -- ARGV...   listen, run ARGV, exit with its status
    python3 -c SOURCE serve PORT SOCKET             listen until killed (a container's own process)
"""

from __future__ import annotations

import contextlib
import functools
import signal
import socket
import subprocess
import sys
import threading

PORT = 3128
"""The port on the sandbox's own loopback that its proxy variables name."""
SOCKET_DIR = "/run/interns-proxy"
"""Where the proxy's socket folder appears inside the sandbox."""
SOCKET_NAME = "proxy.sock"


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


def _relay(client: socket.socket, path: str) -> None:
    with client, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as upstream:
        try:
            upstream.connect(path)
        except OSError:
            return
        back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join()


def _serve(listener: socket.socket, path: str) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_relay, args=(client, path), daemon=True).start()


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    return listener


def serve_in_background(port: int, path: str) -> None:
    """Listen on the port now and relay each connection from a daemon thread (the command server's way)."""
    threading.Thread(target=_serve, args=(_listen(port), path), daemon=True).start()


def main(args: list[str]) -> int:
    """Listen on the port and relay; in `wrap` mode run the command after `--` and return its exit status."""
    mode, port, path = args[0], int(args[1]), args[2]
    if mode == "serve":
        _serve(_listen(port), path)
        return 0
    serve_in_background(port, path)
    argv = args[args.index("--") + 1 :]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command gets it and decides
    try:
        child = subprocess.Popen(argv, close_fds=True)
    except OSError as exc:
        sys.stderr.write(f"{argv[0]}: {exc.strerror}\n")
        return 127 if isinstance(exc, FileNotFoundError) else 126
    status = child.wait()
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


@functools.cache
def source() -> str:
    """This module's source, for `python3 -c`."""
    import inspect  # here, not at the top: the sandbox's copy never needs it, and it is slow to import

    return inspect.getsource(sys.modules[__name__])


def wrap_argv(argv: list[str] | tuple[str, ...]) -> list[str]:
    """`argv` run behind a forwarder that lives as long as it does."""
    return ["python3", "-I", "-S", "-c", source(), "wrap", str(PORT), f"{SOCKET_DIR}/{SOCKET_NAME}", "--", *argv]


def serve_argv() -> list[str]:
    """A forwarder that runs until its container stops."""
    return ["python3", "-I", "-S", "-c", source(), "serve", str(PORT), f"{SOCKET_DIR}/{SOCKET_NAME}"]
