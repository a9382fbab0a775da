"""One Docker host of a lab, as this machine reaches it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docexec.lab.processes import DROP_CAPS, join_cgroups
from docexec.lab.settings import SOCKET, WORKDIR


@dataclass
class LabHost:
    """One Docker host of a lab. `pid` is its sandbox's PID 1, as this machine numbers it."""

    name: str
    address: str  # on the lab LAN
    pid: int = 0
    cgroups: tuple[Path, ...] = ()  # the lab's cgroups, as this machine names them

    @property
    def socket(self) -> str:
        """The host's Docker socket, reached from outside the lab through its PID 1's root."""
        return f"/proc/{self.pid}/root{SOCKET}"

    def command(self, argv: Sequence[str], workdir: str = WORKDIR) -> list[str]:
        """`argv` as started from this machine so that it runs inside the host: in its cgroups (so the lab's
        device rules and limits hold for it too), its namespaces, its root file system and its working folder,
        without the machine-wide capabilities."""
        procs = [str(folder / "cgroup.procs") for folder in self.cgroups]
        return [*join_cgroups(procs), "nsenter", f"--target={self.pid}", "--mount", "--net", "--pid", "--uts",
                "--ipc", "--cgroup", "--root", f"--wd=/proc/{self.pid}/root{workdir}", "--", *DROP_CAPS, *argv]
