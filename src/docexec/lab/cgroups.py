"""A lab's cgroups: one folder in each of this machine's hierarchies, below this process's own, that holds every
process of the lab and sets what the lab may use of the machine."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from pathlib import Path

from docexec.lab import devices_bpf
from docexec.lab.processes import kill
from docexec.lab.settings import LabError

CGROUP_PREFIX = "docexec-lab-"
# What a lab may use of the machine: devices (the character devices a Docker host and its containers use; block
# devices may be made but never opened, so no container, however privileged, reaches a disk of the machine: as
# cgroup v1 `devices` rules, and on the unified hierarchy as a BPF program made of the same rules), memory (its
# tmpfs folders included) and processes.
LAB_DEVICES = ("c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
               "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm")
DEVICE_RULES = tuple(devices_bpf.DeviceRule.parse(rule) for rule in LAB_DEVICES)
LAB_MEMORY = 4 * 1024**3
LAB_PIDS = 4096


class LabCgroups:
    """The cgroups of the lab with this id (docexec-lab-<id>)."""

    def __init__(self, lab_id: str, v1_devices: bool = True) -> None:
        self.name = f"{CGROUP_PREFIX}{lab_id}"
        self.made: list[Path] = []
        self.v1_devices = v1_devices  # write the v1 device rules where the v1 controller exists (tests: no)

    @property
    def folders(self) -> list[Path]:
        """Where the lab's cgroups are, made or not."""
        return [base / self.name for base in own_cgroups()]

    @property
    def procs(self) -> list[str]:
        """The cgroup.procs files of the cgroups made: a process written there joins the lab."""
        return [str(folder / "cgroup.procs") for folder in self.made]

    def make(self) -> None:
        """The lab's own cgroup in each hierarchy, with the lab's device and resource limits. Fails (LabError)
        unless device rules hold for the lab: v1's, or the BPF program on the unified hierarchy."""
        ruled, failed = False, []
        for base in own_cgroups():
            folder = base / self.name
            folder.mkdir()
            self.made.append(folder)
            if (folder / "cpuset.cpus").exists():  # a new v1 cpuset is empty: no process may join it until set
                for knob in ("cpuset.cpus", "cpuset.mems"):
                    (folder / knob).write_text((base / knob).read_text())
            if self.v1_devices and (base / "devices.deny").exists():
                (folder / "devices.deny").write_text("a")
                for rule in LAB_DEVICES:
                    (folder / "devices.allow").write_text(rule)
                ruled = True
            if (base / "cgroup.controllers").exists():  # the unified hierarchy
                try:
                    devices_bpf.attach(folder, DEVICE_RULES)
                    ruled = True
                except OSError as exc:
                    failed.append(f"its BPF device program could not be attached to {folder}: {exc}")
            for knob, value in (("memory.limit_in_bytes", LAB_MEMORY), ("memory.max", LAB_MEMORY),
                                ("pids.max", LAB_PIDS)):
                if (folder / knob).exists():
                    (folder / knob).write_text(str(value))
        if not ruled:
            why = "; ".join(failed) or "this machine has neither a cgroup v1 devices controller nor cgroup v2"
            raise LabError(f"the lab would have no device rules (its pages could open the machine's disks): {why}; "
                           "labs need cgroup v1's devices controller or, on cgroup v2, a kernel with "
                           "CONFIG_CGROUP_BPF where root may use bpf(2)")

    def remove(self) -> None:
        remove_cgroups(self.folders)


def machine_cgroup_mounts() -> list[tuple[str, str, str]]:
    """(mount point, file system type, options) of this machine's cgroup file systems, parents first."""
    found = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            head, _, tail = line.partition(" - ")
            fstype, _source, options = tail.split()[:3]
            point = head.split()[4]
            if point == "/sys/fs/cgroup" or point.startswith("/sys/fs/cgroup/"):
                found.append((point, fstype, options))
    return sorted(found)


def own_cgroups() -> list[Path]:
    """This process's cgroup in each hierarchy, as folders. A lab's cgroup namespace is rooted there, so the
    cgroups its dockerd makes (below its cgroup-parent) are found below these folders."""
    paths: dict[str, str] = {}
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            paths[controllers] = path
    found = []
    for point, fstype, options in machine_cgroup_mounts():
        if fstype == "cgroup2":
            key = ""
        elif fstype == "cgroup":
            key = ",".join(o for o in options.split(",") if o not in ("rw", "ro", "xattr"))
        else:
            continue
        for controllers, path in paths.items():
            if set(controllers.split(",")) == set(key.split(",")):
                found.append(Path(point + path.rstrip("/")) if path != "/" else Path(point))
    return found


def mount_lines() -> list[str]:
    """Shell lines that mount the machine's cgroup hierarchies inside a host, the same way (dockerd needs them)."""
    lines = []
    for point, fstype, options in machine_cgroup_mounts():
        if fstype == "tmpfs":
            lines.append(f"mount -t tmpfs -o mode=755 cgroup {point}")
        elif fstype == "cgroup":  # a v1 hierarchy: the same controllers (or name=) as the machine's
            opts = ",".join(o for o in options.split(",") if o not in ("rw", "ro"))
            lines.append(f"mkdir -p {point} && mount -t cgroup -o {opts} cgroup {point}")
        elif fstype == "cgroup2":
            lines.append(f"mkdir -p {point} && mount -t cgroup2 cgroup2 {point}")
    return lines


def remove_cgroups(tops: Iterable[Path]) -> None:
    """Kill every process still in a lab's cgroups (only a lab's: the folders are named docexec-lab-<id>), then
    remove the folders: the lab's own and those dockerd made for its containers."""
    folders = [top for top in tops if top.name.startswith(CGROUP_PREFIX) and top.is_dir()]
    for top in folders:
        for procs in top.rglob("cgroup.procs"):
            with contextlib.suppress(OSError, ValueError):
                for pid in procs.read_text().split():
                    kill(int(pid))
    for top in folders:
        for folder in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            _rmdir(folder)
        _rmdir(top)


def _rmdir(folder: Path) -> None:
    deadline = time.monotonic() + 5
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # EBUSY while the kernel still counts a dying process
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
