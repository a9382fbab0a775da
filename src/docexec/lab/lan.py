"""A lab's LAN: a Linux bridge in a namespace of its own (the "switch"), one port per host, each host's end of
its port being its `eth0`. The switch also answers at .254 as the hosts' name server."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import time

from docexec.lab.host import LabHost
from docexec.lab.settings import LabError

LAN = ipaddress.ip_network("192.0.2.0/24")
# The switch is also the LAN's name server, at .254: each host's resolv.conf names it. It knows no names and says
# so at once (NXDOMAIN), as a reader's resolver does for a name Docker does not know; without it every such
# lookup would wait for a time-out. No query ever leaves the lab.
SWITCH_ADDRESS = str(LAN.broadcast_address - 1)
NAME_SERVER = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    q, peer = s.recvfrom(512)
    if len(q) >= 12:  # same id and question; QR, RD and RA set; RCODE 3: no such name
        s.sendto(q[:2] + bytes([0x81 | (q[2] & 0x01), 0x83]) + q[4:6] + bytes(6) + q[12:], peer)
"""
PORT_INDEX = 100  # switch port n has interface index 100 + n


def host_address(n: int) -> str:
    """The LAN address of the lab's host number n (from 0): .1, .2, ..."""
    return str(LAN.network_address + n + 1)


class Switch:
    """The LAN's bridge, in the network namespace of the switch's sandbox."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        _wait_for_root(pid)

    def make(self) -> None:
        self._ip("link", "add", "lan", "type", "bridge")
        self._ip("link", "set", "lan", "up")
        self._ip("addr", "add", f"{SWITCH_ADDRESS}/{LAN.prefixlen}", "dev", "lan")

    def plug(self, n: int, host: LabHost) -> None:
        """Join the host (number n, from 0) to the LAN: its eth0 is a veth whose other end is switch port n+1."""
        # `ip link` inside shows eth0@if<port's index>. Ports get indexes no lab interface has (101, 102, ...), so
        # that a tool resolving the index in the host's own namespace (BusyBox ip) cannot show it as one of the
        # host's devices (eth0@docker0).
        port = f"port{n + 1}"
        self._ip("link", "add", port, "index", str(PORT_INDEX + n + 1), "type", "veth",
                 "peer", "name", "eth0", "netns", str(host.pid))
        self._ip("link", "set", port, "master", "lan", "up")

    def _ip(self, *args: str) -> None:
        # The userland's ip, in the switch's namespaces (`netns PID` still names a process as this machine does).
        argv = ["nsenter", f"--target={self.pid}", "--net", "--mount", "--root", "--", "/usr/bin/ip", *args]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
        if done.returncode != 0:
            raise LabError(f"making the lab's LAN failed: {' '.join(argv)}: {done.stderr.strip()}")


def _wait_for_root(pid: int, timeout: float = 10) -> None:
    """Wait until the sandbox with this PID 1 is in its own root (bubblewrap tells its PID before it has made its
    mounts and moved into them; its new root is a tmpfs of its own): only then is the userland's `ip` there for
    nsenter --root, and never the machine's."""
    machine = os.stat("/").st_dev
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.stat(f"/proc/{pid}/root").st_dev != machine and os.path.exists(f"/proc/{pid}/root/usr/bin/ip"):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise LabError(f"the lab's switch (PID {pid}) did not move into its own root within {timeout:g} s")
        time.sleep(0.002)
