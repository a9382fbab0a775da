"""A lab's life: made (its runtime folder and lock, cgroups, switch, hosts, LAN, each host's dockerd), used, then
destroyed, whatever happens, once."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from docexec.core.errors import DocexecError
from docexec.lab.cgroups import LabCgroups
from docexec.lab.host import LabHost
from docexec.lab.lan import NAME_SERVER, Switch, host_address
from docexec.lab.leftovers import sweep
from docexec.lab.rootfs import RootFs
from docexec.lab.sandbox import Sandboxes
from docexec.lab.settings import INIT, MAX_HOSTS, LabError, LabSettings
from docexec.lab.state import StateFolder
from docexec.lab.support import unsupported_reason
from docexec.userland import tree as userland


@dataclass
class Lab:
    """A set of hosts joined by one LAN. Use as a context manager, or call start() and close()."""

    hosts: list[LabHost]
    settings: LabSettings = field(default_factory=LabSettings)
    label: str = ""  # what the lab is for (a page name), written into its state for `sweep`
    id: str = field(default_factory=lambda: secrets.token_hex(6))
    _switch_pid: int = 0
    _closing: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    def __post_init__(self) -> None:
        self._state = StateFolder(self.settings.runtime_dir, self.id, self.label)
        self._cgroups = LabCgroups(self.id, self.settings.v1_devices)
        self._sandboxes = Sandboxes(self.settings, self._state, RootFs(self.settings, self.hosts, self.state_dir),
                                    self._cgroups)

    @classmethod
    def for_hosts(cls, names: Sequence[str], settings: LabSettings | None = None, label: str = "") -> Lab:
        if not 1 <= len(names) <= MAX_HOSTS:
            raise LabError(f"a lab has 1 to {MAX_HOSTS} hosts, not {len(names)}")
        hosts = [LabHost(name, host_address(n)) for n, name in enumerate(names)]
        return cls(hosts, settings or LabSettings(), label)

    @property
    def state_dir(self) -> Path:
        return self._state.path

    @property
    def userland(self) -> Path:
        """The unpacked lab userland its hosts run (known once the lab has started)."""
        return self._sandboxes.rootfs.userland

    @property
    def path(self) -> str:
        """PATH inside the lab: the engine folders first (see LabSettings.engine_path)."""
        return self.settings.lab_path

    def log_lines(self, name: str, count: int = 10) -> list[str] | None:
        """The last lines of a sandbox's log while the lab is up (a host's: its init script's, then its
        dockerd's); None once it is destroyed."""
        return self._state.log_lines(name, count)

    def host(self, name: str | None = None) -> LabHost:
        if name is None:
            return self.hosts[0]
        for host in self.hosts:
            if host.name == name:
                return host
        raise LabError(f"the lab has no host '{name}' (hosts: {', '.join(h.name for h in self.hosts)})")

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, notify: Callable[[str], None] | None = None) -> None:
        """Make the switch and the hosts, join them, start each host's dockerd and wait until all answer."""
        reason = unsupported_reason(self.settings)
        if reason:
            raise LabError(reason)
        if self._closed:  # by another thread (a spare lab destroyed before its worker came to start it)
            raise LabError("the lab was destroyed before it started")
        sweep(self.settings.runtime_dir, notify)
        try:
            self._sandboxes.rootfs.userland = self.settings.root or userland.ensure(self.settings.cache,
                                                                                   notify or print)
        except DocexecError as exc:
            raise LabError(f"the lab userland is not available: {exc}") from None
        self._state.make()
        try:
            self._start()
        except BaseException:
            self.close()
            # and what this thread made after another destroyed the lab while it started (close is done once)
            self._cgroups.remove()
            self._state.remove()
            raise

    def _start(self) -> None:
        self._state.begin(self._cgroups.folders)
        self._cgroups.make()
        sandboxes = self._sandboxes
        self._switch_pid = sandboxes.start("switch", ["python3", "-c", NAME_SERVER], net_only=True)
        switch = Switch(self._switch_pid)
        switch.make()
        gates: list[int] = []
        try:
            for n, host in enumerate(self.hosts):
                gate_r, gate_w = os.pipe()
                gates.append(gate_w)
                try:
                    host.pid = sandboxes.start(host.name, ["/bin/sh", INIT], gate=gate_r)
                    host.cgroups = tuple(self._cgroups.made)
                finally:
                    os.close(gate_r)
                switch.plug(n, host)
            for gate in gates:  # the LAN is there: each host mounts its file systems, configures eth0, starts dockerd
                os.write(gate, b"go\n")
        finally:  # and if a host failed to start, the gates of those before it are closed too (then all is killed)
            for gate in gates:
                os.close(gate)
        deadline = time.monotonic() + self.settings.start_timeout
        for host in self.hosts:
            sandboxes.wait_for_daemon(host, deadline)

    def close(self) -> None:
        """Destroy the lab: kill every process in it, wait for them, remove its cgroups and state. Safe to call
        twice, and from two threads at once (a page's own cleanup and the exit handler of a process whose main
        thread ends while the page runs in another): the second waits until the first has finished."""
        with self._closing:
            if not self._closed:
                self._sandboxes.kill([host.pid for host in self.hosts], self._switch_pid)
                self._cgroups.remove()
                self._state.remove()
                self._closed = True

