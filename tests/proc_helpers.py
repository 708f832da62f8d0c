"""Run ``twistd`` plugins as separate processes and talk to them with plain sockets.

Every wait is bounded; :func:`stop` always ends the process it is given (TERM,
then KILL), so a fixture's cleanup cannot leave a server behind.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from crmd_twisted.wire import FrameBuffer, Message, decode

__all__ = [
    "FrameSocket",
    "Server",
    "free_port",
    "port_is_free",
    "run_ctl",
    "start_twistd",
    "stop",
    "twistd_command",
    "wait_listening",
]

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback TCP port the OS considers free right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = "") -> bool:
    """Whether *port* can be bound on *host* (all interfaces by default)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def twistd_command() -> list[str]:
    """``twistd`` of this interpreter (the script beside it, else ``-m twisted``)."""
    script = Path(sys.executable).with_name("twistd")
    if script.exists():
        return [str(script)]
    found = shutil.which("twistd")
    if found and Path(found).parent == Path(sys.executable).parent:
        return [found]
    return [sys.executable, "-m", "twisted"]


class Server:
    """One started ``twistd -n <plugin>`` process and where its output goes."""

    def __init__(self, name: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.proc = proc
        self.log = log

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


def start_twistd(plugin: str, args: Sequence[str], cwd: Path) -> Server:
    """Start ``twistd -n --pidfile= <plugin> <args>`` in *cwd*, output to a file."""
    log = cwd / f"{plugin}.out"
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*twistd_command(), "-n", "--pidfile=", plugin, *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return Server(plugin, proc, log)


def wait_listening(server: Server, port: int, timeout: float = 10.0, host: str = HOST) -> None:
    """Return once *port* accepts connections; fail if *server* exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.proc.returncode}:\n{server.output()}"
            )
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{server.name} not listening on {port} after {timeout}s:\n{server.output()}"
                ) from None
            time.sleep(0.05)


def stop(server: Server, timeout: float = 5.0) -> None:
    """End *server*: SIGTERM (twistd shuts down cleanly), SIGKILL if it lingers."""
    proc = server.proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


class FrameSocket:
    """A blocking client socket that sends frames and reads decoded messages."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buffer = FrameBuffer()
        self.frames: list[bytes] = []

    def send(self, frame: bytes) -> None:
        self.sock.sendall(frame)

    def read(self, count: int = 1) -> list[Message]:
        """The next *count* messages (socket.timeout after ``timeout`` s of silence)."""
        deadline = time.monotonic() + self.timeout
        while len(self.frames) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"got {len(self.frames)} of {count} frames")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"closed after {len(self.frames)} of {count} frames")
            self.frames.extend(self.buffer.feed(data))
        got, self.frames = self.frames[:count], self.frames[count:]
        return [decode(f) for f in got]

    def closed_by_peer(self, timeout: float = 2.0) -> bool:
        """Whether the peer closes (EOF) within *timeout* s with nothing more sent."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65536) == b""
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


async def run_ctl(url: str, *args: str, token: str | None, timeout: float) -> tuple[int, str, str]:
    """Run ``crmd-ctl --url URL [--token T] ARGS`` without blocking the reactor:
    (exit status, stdout, stderr).  ``CRMD_ADMIN*`` variables of the caller are left out."""
    from twisted.internet import reactor
    from twisted.internet.utils import getProcessOutputAndValue

    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMD_ADMIN")}
    argv = ["-m", "crmd_twisted.control.ctl", "--url", url]
    if token is not None:
        argv += ["--token", token]
    d = getProcessOutputAndValue(sys.executable, [*argv, *args], env=env)
    d.addTimeout(timeout, reactor)
    out, err, status = await d
    return status, out.decode(), err.decode()
