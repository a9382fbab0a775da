"""Processes of a lab as this machine sees them: naming one for good (PID and start time), killing it, waiting
until it is gone, and starting a command inside the lab's cgroups without the machine-wide capabilities."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Sequence
from pathlib import Path

# Capabilities that act on the machine as a whole, not on a namespace: no process in a lab, however it was
# started (a container given --cap-add through the lab's Docker socket, say), ever has them.
LAB_CAPS_DROPPED = ("CAP_SYS_MODULE", "CAP_SYS_BOOT", "CAP_SYS_TIME", "CAP_SYS_RAWIO", "CAP_SYSLOG",
                    "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_CONTROL",
                    "CAP_LINUX_IMMUTABLE")
DROP_CAPS = ("setpriv", "--bounding-set", ",".join("-" + c.lower().removeprefix("cap_") for c in LAB_CAPS_DROPPED),
             "--")


def join_cgroups(procs: Sequence[str]) -> list[str]:
    """A shell that moves itself into the given cgroups (their cgroup.procs files), then becomes the command."""
    join = 'while [ "$1" != -- ]; do echo $$ > "$1"; shift; done; shift; exec "$@"'
    return ["/bin/sh", "-c", join, "lab", *procs, "--"]


def start_time(pid: int) -> str:
    """A process's start time (field 22 of /proc/PID/stat): with the PID, it names one process for good."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def kill(pid: int) -> None:
    if pid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_gone(pid: int, start: str | None = None, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while pid > 0 and time.monotonic() < deadline:
        now = start_time(pid)
        if not now or (start is not None and now != start):
            return
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:  # ended (and reaped) since its start time was read: gone
            return
        if status.find("State:\tZ") >= 0:
            return  # a zombie waiting for its parent: it holds nothing any more
        time.sleep(0.01)


def socket_answers(path: str) -> bool:
    """Whether a Docker API answers on the Unix socket (its /version, not /_ping: that answers before the API is
    ready)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2)
    try:
        probe.connect(path)
        probe.sendall(b"GET /version HTTP/1.0\r\n\r\n")
        return b" 200 " in probe.recv(64)
    except OSError:
        return False
    finally:
        probe.close()
