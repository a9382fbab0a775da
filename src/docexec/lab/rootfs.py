"""A lab host's root file system, as bubblewrap arguments: the lab userland's /usr read-only (pinned Debian packages,
see userland.py; nothing of the machine's own programs), a generated /etc with a few package files of the userland
(and /etc/docker/daemon.json when the page gives its host dockerd settings),
fresh /proc, /dev and tmpfs folders, and the script its first process runs (its own /sys and cgroup mounts, the LAN
address, then dockerd)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from docexec.lab import cgroups
from docexec.lab.host import LabHost
from docexec.lab.lan import LAN, SWITCH_ADDRESS
from docexec.lab.settings import CLI_DIR, CLI_PLUGINS_DIR, ENGINE_DIR, INIT, WORKDIR, LabSettings

PROC_READ_ONLY = ("/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", "/proc/asound")
PROC_MASKED = ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/kallsyms")
GATE_FD = 3  # where a host's sandbox finds the gate (see Sandboxes.start)
# Package data files of the userland a host gets (the dynamic linker's cache, iptables' alternatives, iproute2's
# and netbase's tables, fontconfig's settings, which name the fonts dot measures text with).
ETC_SHARED = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/iproute2", "/etc/protocols", "/etc/services",
              "/etc/ethertypes", "/etc/fonts")


class RootFs:
    """The root file systems of a lab's sandboxes; their generated files go in `folder` (the lab's state)."""

    def __init__(self, settings: LabSettings, hosts: Sequence[LabHost], folder: Path) -> None:
        self.settings = settings
        self.hosts = hosts
        self.folder = folder
        self.userland = Path("/nonexistent")  # the unpacked userland, set when the lab starts

    def args(self, name: str, net_only: bool, gated: bool = False) -> list[str]:
        """bubblewrap arguments for the root file system of sandbox `name` (`net_only`: the switch, no dockerd;
        `gated`: a host's init script reads "go" on GATE_FD before it starts)."""
        etc = self.folder / f"{name}.etc"
        etc.mkdir()
        generated = self.etc_files(name)
        daemon_json = None if net_only else self.settings.daemon_json(name)
        if daemon_json is not None:  # read by the host's dockerd, which starts without flags
            generated["docker/daemon.json"] = daemon_json
        for filename, text in generated.items():
            (etc / filename).parent.mkdir(exist_ok=True)
            (etc / filename).write_text(text)
        tree = self.userland
        args = ["--ro-bind", str(tree / "usr"), "/usr"]
        for link in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            if (tree / link).is_symlink():
                args += ["--symlink", os.readlink(tree / link), f"/{link}"]
        for path in ETC_SHARED:
            if os.path.lexists(tree / path.lstrip("/")):
                args += ["--ro-bind", str(tree / path.lstrip("/")), path]
        # /etc/os-release names the userland's Debian release, as on Debian itself.
        args += ["--symlink", "../usr/lib/os-release", "/etc/os-release"]
        for filename in sorted(generated):
            args += ["--ro-bind", str(etc / filename), f"/etc/{filename}"]
        if not net_only:
            host = next(h for h in self.hosts if h.name == name)
            (etc / "init.sh").write_text(self.init_script(host, gated))

        for n, folder in enumerate(self.settings.engine_path):
            args += ["--ro-bind", str(folder), f"{ENGINE_DIR}/{n}"]
        if self.settings.cli is not None:
            args += ["--ro-bind", str(self.settings.cli), f"{CLI_DIR}/docker"]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/run", "--symlink", "../run", "/var/run",
                 "--tmpfs", "/tmp", "--dir", "/root"]
        if self.settings.cli_plugins is not None and self.settings.cli_plugins.is_dir():
            # root's own plugin folder ($HOME/.docker/cli-plugins), which the 20.10 CLI and the newer ones search
            # before the system's; the userland's /usr has no plugins (and, read-only, no room for a mount point)
            args += ["--ro-bind", str(self.settings.cli_plugins), CLI_PLUGINS_DIR]
        if not net_only:
            args += ["--dir", "/sys", "--tmpfs", "/var/lib/docker", "--dir", WORKDIR,
                     "--ro-bind", str(etc / "init.sh"), INIT]
        return args

    def etc_files(self, name: str) -> dict[str, str]:
        hosts = "".join(f"{h.address}\t{h.name}\n" for h in self.hosts)
        return {
            "passwd": "root:x:0:0:root:/root:/bin/sh\ntcpdump:x:104:104::/nonexistent:/usr/sbin/nologin\n"
                      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
            "group": "root:x:0:\ntcpdump:x:104:\ndocker:x:999:\nnogroup:x:65534:\n",
            "nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files\nnetworks: files\n"
                             "protocols: files\nservices: files\n",
            "hosts": f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{hosts}",
            "hostname": f"{name}\n",
            "resolv.conf": f"nameserver {SWITCH_ADDRESS}\n",
        }

    @staticmethod
    def init_script(host: LabHost, gated: bool = False) -> str:
        """What PID 2 of a host runs: once the recorder says go on the gate (GATE_FD, when `gated`), its own /sys
        and cgroup mounts, the LAN address, then dockerd."""
        # The script reads the gate itself (not bubblewrap's --block-fd, for which the end of the pipe means go
        # too): a recorder killed while its lab starts closes the gate unsaid, and a host whose bubblewrap outside
        # died before it could tie the sandbox's life to its own (a sandbox's PID 1 takes its parent's death
        # signal only once it is set up) then ends here instead of running on until the next run's sweep.
        wait = [f"read -r go <&{GATE_FD} || true", f"exec {GATE_FD}<&-", '[ "$go" = go ] || exit 1'] if gated else []
        # /sys shows the lab's own network devices; read-only, like the kernel's settings in /proc/sys, which are
        # the machine's, except the network settings, which belong to the lab's own network namespace (Docker
        # writes some). Files that act on the whole machine are read-only or hidden, as Docker does in containers.
        lines = ["set -e", *wait, "mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys",
                 "mount --bind /proc/sys /proc/sys", "mount -o remount,bind,ro /proc/sys",
                 "mount --bind /proc/sys/net /proc/sys/net", "mount -o remount,bind,rw /proc/sys/net"]
        for path in PROC_READ_ONLY:
            lines.append(f"if [ -e {path} ]; then mount --bind {path} {path} && mount -o remount,bind,ro {path}; fi")
        for path in PROC_MASKED:
            lines.append(f"if [ -e {path} ]; then mount --bind /dev/null {path}; fi")
        lines += cgroups.mount_lines()
        # No duplicate address detection: a fresh host's IPv6 link-local addresses would be "tentative" for their
        # first second, which outputs would show or not depending on timing.
        lines += [f"echo 0 > /proc/sys/net/ipv6/conf/{conf}/accept_dad" for conf in ("all", "default")]
        # A new network namespace starts with this machine's forwarding settings; a freshly booted host has them
        # off, and Docker, which then switches forwarding on itself, also sets the FORWARD policy to DROP.
        lines += ["echo 0 > /proc/sys/net/ipv4/ip_forward"]
        lines += [f"echo 0 > /proc/sys/net/ipv6/conf/{conf}/forwarding" for conf in ("all", "default")]
        lines += ["ip link set lo up",
                  "echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad",
                  f"ip addr add {host.address}/{LAN.prefixlen} dev eth0", "ip link set eth0 up",
                  "exec </dev/null",
                  "exec dockerd"]
        return "\n".join(lines) + "\n"
