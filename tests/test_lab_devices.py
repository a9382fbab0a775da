"""A lab on the unified (cgroup v2) hierarchy keeps away from the machine's disks through its BPF device program
alone: here the v1 device rules are not written (LabSettings.v1_devices), as on a machine with only cgroup v2."""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from docexec import Lab, LabSettings
from docexec.lab import LabHost, devices_bpf
from docexec.lab.cgroups import own_cgroups

from .conftest import Engine, _skip_or_fail
from .test_lab import run

pytestmark = pytest.mark.docker
BPF_PROG_GET_FD_BY_ID, BPF_PROG_DETACH = 13, 9


@pytest.fixture
def bpf_only(engine: Engine) -> Iterator[tuple[LabHost, Path]]:
    """A lab with no v1 device rules; its host, and its cgroup in the unified hierarchy."""
    if engine.mode != "lab":
        pytest.skip("labs cannot run here")
    if not any((base / "cgroup.controllers").exists() for base in own_cgroups()):
        _skip_or_fail("this machine has no cgroup v2 hierarchy")
    with Lab.for_hosts(["docker-host"], LabSettings(v1_devices=False), label="tests") as made:
        host = made.host()
        yield host, next(folder for folder in host.cgroups if (folder / "cgroup.controllers").exists())


def block_devices() -> list[str]:
    """This machine's block devices ("major:minor"), loop devices first (opening one reads no disk)."""
    return sorted(os.listdir("/sys/dev/block"), key=lambda dev: (dev.split(":")[0] != "7", dev))


def opens(path: str) -> bool:
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError:
        return False
    return True


def detach(folder: Path) -> None:
    """Take the device programs off the cgroup (the control of the test below)."""
    _, ids = devices_bpf.attached(folder)
    target = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for prog_id in ids:
            prog = devices_bpf.bpf(BPF_PROG_GET_FD_BY_ID, ctypes.create_string_buffer(
                struct.pack("=III", prog_id, 0, 0), 12))
            try:
                devices_bpf.bpf(BPF_PROG_DETACH, ctypes.create_string_buffer(
                    struct.pack("=IIII", target, prog, devices_bpf.BPF_CGROUP_DEVICE, 0), 16))
            finally:
                os.close(prog)
    finally:
        os.close(target)


def test_the_bpf_program_alone_keeps_a_lab_from_the_machines_disks(bpf_only: tuple[LabHost, Path]) -> None:
    """In the lab, a node of a block device of the machine may be made but not opened ("Operation not
    permitted"); the character devices a Docker host uses still work. The control: the same node opens from the
    machine (outside the lab's cgroups), and from inside the same lab once the program is taken off the lab's
    cgroup, so the refusal was the program's. (The nodes are made on a tmpfs mounted with `dev`: the lab's /tmp
    and /dev are `nodev`, where no device node opens, with "Permission denied".)"""
    host, folder = bpf_only
    for v1 in host.cgroups:  # v1's devices controller, if any, lets this lab open anything
        if (v1 / "devices.list").exists():
            assert (v1 / "devices.list").read_text() == "a *:* rwm\n"
    flags, programs = devices_bpf.attached(folder)
    assert flags == devices_bpf.BPF_F_ALLOW_MULTI and len(programs) == 1
    nodes = {dev: f"/tmp/devfs/{dev.replace(':', '-')}" for dev in block_devices()}
    mknods = " && ".join(f"mknod {path} b {dev.replace(':', ' ')}" for dev, path in nodes.items())
    made = run(host, "sh", "-c", "mkdir /tmp/devfs && mount -t tmpfs -o dev,mode=700 tmpfs /tmp/devfs && "
               f"{mknods} && mknod /tmp/devfs/null c 1 3")
    assert made.returncode == 0, made.stderr
    # A device this machine lets its root open (some refuse their disks even to root, as a container would).
    node = next((path for path in nodes.values() if opens(f"/proc/{host.pid}/root{path}")), None)
    if node is None:
        _skip_or_fail("this machine opens none of its block devices, even outside a lab: no control")
    opened = run(host, "sh", "-c", f"head -c1 {node} >/dev/null && echo opened")
    assert opened.returncode != 0 and "Operation not permitted" in opened.stderr, opened.stdout + opened.stderr
    assert run(host, "sh", "-c", "echo x > /tmp/devfs/null && echo x > /dev/null && head -c3 /dev/zero | wc -c"
               ).stdout == "3\n"
    detach(folder)
    opened = run(host, "sh", "-c", f"head -c1 {node} >/dev/null && echo opened")
    assert opened.stdout == "opened\n", opened.stderr
