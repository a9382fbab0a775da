"""Labs: throwaway Docker hosts, one per page, destroyed after it.

A lab host is a bubblewrap sandbox with its own network, mount, PID, UTS, IPC and cgroup namespaces and a new,
minimal root file system: the machine's program folders read-only, a generated /etc (plus a few package data
files such as ld.so.cache and protocols; no secrets, no keys), fresh /proc and /sys, and empty tmpfs folders for
/var/lib/docker, /run, /tmp and the page's working folder. Its own dockerd (and the containerd that dockerd
starts) runs inside, on the lab's /run/docker.sock.

Every host of a lab has an `eth0` on one virtual LAN (192.0.2.0/24, reserved for documentation): a Linux bridge
in a namespace of its own (the "switch"), which also answers at .254 as the hosts' name server. The first host is
192.0.2.1, the second .2, and so on. Nothing in a lab can reach an address outside it: there is no route out and
no device out.

Cleanup does not depend on the recorder living: each sandbox's first process is PID 1 of the lab's PID
namespace, so killing it kills dockerd, containerd, the shims and every container at once; the namespaces and
mounts go with their last process. The sandboxes die with the thread that started them (bubblewrap's
--die-with-parent). What could outlive a SIGKILLed recorder (processes, the cgroups dockerd made, the state
folder) is listed under RUNTIME_DIR/<lab id>/ and removed by the next run (`sweep`), which touches nothing else.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .blocks import MAX_HOSTS
from .errors import DaemonUnavailable

RUNTIME_DIR = Path("/run/docexec/labs")
LAN = ipaddress.ip_network("192.0.2.0/24")
LAB_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CLI_DIR = "/opt/docexec/cli"  # the chosen docker CLI, bound in as CLI_DIR/docker
WORKDIR = "/lab"  # the page's working folder inside each host ($PWD)
SOCKET = "/run/docker.sock"  # the lab's dockerd listens here (/var/run links to /run)
INIT = "/run/lab-init.sh"  # what each host runs first: mounts, the LAN address, then dockerd
CGROUP_PREFIX = "docexec-lab-"
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
PROC_READ_ONLY = ("/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", "/proc/asound")
PROC_MASKED = ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/kallsyms")
# What a lab may use of the machine: devices (cgroup v1 `devices`: the character devices a Docker host and its
# containers use; block devices may be made but never opened, so no container, however privileged, reaches a
# disk of the machine), memory (its tmpfs folders included) and processes.
LAB_DEVICES = ("c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
               "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm")
# Capabilities that act on the machine as a whole, not on a namespace: no process in a lab, however it was
# started (a container given --cap-add through the lab's Docker socket, say), ever has them.
LAB_CAPS_DROPPED = ("CAP_SYS_MODULE", "CAP_SYS_BOOT", "CAP_SYS_TIME", "CAP_SYS_RAWIO", "CAP_SYSLOG",
                    "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_CONTROL",
                    "CAP_LINUX_IMMUTABLE")
_DROP_CAPS = ("setpriv", "--bounding-set", ",".join("-" + c.lower().removeprefix("cap_") for c in LAB_CAPS_DROPPED),
              "--")
LAB_MEMORY = 4 * 1024**3


def _join_cgroups(procs: Sequence[str]) -> list[str]:
    """A shell that moves itself into the given cgroups (their cgroup.procs files), then becomes the command."""
    join = 'while [ "$1" != -- ]; do echo $$ > "$1"; shift; done; shift; exec "$@"'
    return ["/bin/sh", "-c", join, "lab", *procs, "--"]
LAB_PIDS = 4096


class LabError(DaemonUnavailable):
    """A lab could not be made, or could not be reached: like a daemon that does not answer, a build keeps the
    recordings (with a warning) and CI fails."""


@dataclass(frozen=True)
class LabSettings:
    """How labs are made. `engine_path`: folders on this machine (dockerd, containerd, runc, docker) bound
    read-only into each host and put first on its PATH, so a book can run on another Docker version."""

    engine_path: tuple[Path, ...] = ()
    cli: Path | None = None  # the docker CLI the lab's commands get (bound into it, first on its PATH)
    path: str = LAB_PATH
    start_timeout: float = 30.0
    runtime_dir: Path = RUNTIME_DIR


def unsupported_reason(settings: LabSettings | None = None) -> str:
    """Why labs cannot run on this machine ('' when they can)."""
    settings = settings or LabSettings()
    if os.uname().sysname != "Linux":
        return f"labs need Linux (this is {os.uname().sysname})"
    if os.geteuid() != 0:
        return "labs need root (they start their own dockerd in new namespaces)"
    missing = [tool for tool in ("bwrap", "nsenter", "ip", "mount") if shutil.which(tool) is None]
    if missing:
        return f"labs need {', '.join(missing)} (on Debian: apt-get install bubblewrap util-linux iproute2)"
    for folder in settings.engine_path:
        if not folder.is_dir():
            return f"labs need the engine folder {folder} (fetch the engine: ./nox -s engines)"
    if settings.cli is not None and not settings.cli.is_file():
        return f"labs need the docker CLI {settings.cli}"
    engine = _search_path(settings)
    for program in ("dockerd", "containerd", "runc", "docker"):
        if shutil.which(program, path=engine) is None:
            return f"labs need {program} (on Debian: apt-get install docker.io)"
    return ""


def _search_path(settings: LabSettings) -> str:
    return os.pathsep.join([*(str(p) for p in settings.engine_path), os.environ.get("PATH", LAB_PATH)])


# --------------------------------------------------------------------------------------------------
# the lab


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
        return [*_join_cgroups(procs), "nsenter", f"--target={self.pid}", "--mount", "--net", "--pid", "--uts",
                "--ipc", "--cgroup", "--root", f"--wd=/proc/{self.pid}/root{workdir}", "--", *_DROP_CAPS, *argv]


@dataclass
class Lab:
    """A set of hosts joined by one LAN. Use as a context manager, or call start() and close()."""

    hosts: list[LabHost]
    settings: LabSettings = field(default_factory=LabSettings)
    label: str = ""  # what the lab is for (a page name), written into its state for `sweep`
    id: str = field(default_factory=lambda: secrets.token_hex(6))
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _switch_pid: int = 0
    _lock_fd: int = -1
    _closing: threading.Lock = field(default_factory=threading.Lock)
    _cgroups: list[Path] = field(default_factory=list)
    _closed: bool = False

    @classmethod
    def for_hosts(cls, names: Sequence[str], settings: LabSettings | None = None, label: str = "") -> Lab:
        if not 1 <= len(names) <= MAX_HOSTS:
            raise LabError(f"a lab has 1 to {MAX_HOSTS} hosts, not {len(names)}")
        hosts = [LabHost(name, str(LAN.network_address + n + 1)) for n, name in enumerate(names)]
        return cls(hosts, settings or LabSettings(), label)

    @property
    def state_dir(self) -> Path:
        return self.settings.runtime_dir / self.id

    @property
    def cgroup_parent(self) -> str:
        return f"{CGROUP_PREFIX}{self.id}"

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

    # ----------------------------------------------------------------------------------------------
    # start

    def start(self, notify: Callable[[str], None] | None = None) -> None:
        """Make the switch and the hosts, join them, start each host's dockerd and wait until all answer."""
        reason = unsupported_reason(self.settings)
        if reason:
            raise LabError(reason)
        sweep(self.settings.runtime_dir, notify)
        # The state folder appears under its name with its lock already held (held while this process lives), so
        # a `sweep` running at the same time never takes a lab being made for abandoned.
        making = self.settings.runtime_dir / f".{self.id}"
        making.mkdir(parents=True)
        self._lock_fd = os.open(making / "lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        making.rename(self.state_dir)
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        self._cgroups = _make_lab_cgroups(self.cgroup_parent)
        self._switch_pid = self._sandbox("switch", ["python3", "-c", NAME_SERVER], net_only=True)
        switch = f"--net=/proc/{self._switch_pid}/ns/net"
        _run(["nsenter", switch, "ip", "link", "add", "lan", "type", "bridge"])
        _run(["nsenter", switch, "ip", "link", "set", "lan", "up"])
        _run(["nsenter", switch, "ip", "addr", "add", f"{SWITCH_ADDRESS}/{LAN.prefixlen}", "dev", "lan"])
        gates = []
        for n, host in enumerate(self.hosts):
            gate_r, gate_w = os.pipe()
            try:
                host.pid = self._sandbox(host.name, ["/bin/sh", INIT], gate=gate_r)
                host.cgroups = tuple(self._cgroups)
            finally:
                os.close(gate_r)
            gates.append(gate_w)
            # eth0 is a veth whose other end is a switch port; `ip link` inside shows eth0@if<port's index>.
            # Ports get indexes no lab interface has (101, 102, ...), so that a tool resolving the index in the
            # host's own namespace (BusyBox ip) cannot show it as one of the host's devices (eth0@docker0).
            port = f"port{n + 1}"
            _run(["nsenter", switch, "ip", "link", "add", port, "index", str(PORT_INDEX + n + 1), "type", "veth",
                  "peer", "name", "eth0", "netns", str(host.pid)])
            _run(["nsenter", switch, "ip", "link", "set", port, "master", "lan", "up"])
        for gate in gates:  # the LAN is there: each host mounts its file systems, configures eth0, starts dockerd
            os.write(gate, b"go\n")
            os.close(gate)
        deadline = time.monotonic() + self.settings.start_timeout
        for host in self.hosts:
            self._wait_for_daemon(host, deadline)

    def _sandbox(self, name: str, argv: list[str], *, net_only: bool = False, gate: int | None = None) -> int:
        """Start a bubblewrap sandbox; return the PID of its first process (PID 1 inside)."""
        info_r, info_w = os.pipe()
        # bubblewrap reads its options from its standard input, so that `ps` in a lab shows a short PID 1 that
        # is the same in every lab: `bwrap --args 0 -- /bin/sh /run/lab-init.sh`.
        args_r, args_w = os.pipe()
        log = open(self.state_dir / f"{name}.log", "wb")  # noqa: SIM115 - handed to the child
        fds = [info_w] + ([gate] if gate is not None else [])
        # --block-fd: the sandbox waits until the recorder has put eth0 in place (see _start)
        options = [*self._root_fs(name, net_only), "--info-fd", str(info_w),
                   *(["--block-fd", str(gate)] if gate is not None else []),
                   "--unshare-net", "--unshare-pid", "--unshare-uts", "--unshare-ipc", "--unshare-cgroup",
                   "--hostname", name, "--die-with-parent", "--new-session", "--cap-add", "ALL", "--clearenv",
                   "--setenv", "PATH", self.path, "--setenv", "LANG", "C.UTF-8", "--setenv", "HOME", "/root"]
        os.write(args_w, b"".join(o.encode() + b"\0" for o in options))
        os.close(args_w)
        try:
            # A shell joins the lab's cgroups, then becomes bubblewrap: the sandbox is made inside them, so its
            # cgroup namespace is rooted there (the lab sees and changes no other cgroup), and the lab's device
            # and resource limits hold for everything in it.
            procs = [str(folder / "cgroup.procs") for folder in self._cgroups]
            # bubblewrap's own PID 1 keeps the environment it was started with (--clearenv is for the command):
            # it gets nothing of this machine's, which a page could otherwise read in /proc/1/environ.
            proc = subprocess.Popen([*_join_cgroups(procs), *_DROP_CAPS, "bwrap", "--args", "0", "--", *argv],
                                    stdin=args_r, stdout=log, stderr=subprocess.STDOUT, pass_fds=fds,
                                    start_new_session=True, env={"PATH": LAB_PATH, "LANG": "C.UTF-8"})
        finally:
            os.close(info_w)
            os.close(args_r)
            log.close()
        self._procs.append(proc)
        if self._closed:
            raise LabError("the lab was closed while it was being made (the process is exiting)")
        with os.fdopen(info_r, "rb") as info:
            data = info.read()
        try:
            child = int(json.loads(data)["child-pid"])
        except (ValueError, KeyError):
            proc.wait()
            raise LabError(f"bubblewrap could not make the lab's {name}: {self._log_tail(name)}") from None
        self._save_state(name, proc.pid, child)
        return child

    @property
    def path(self) -> str:
        """PATH inside the lab: the engine folders first (see LabSettings.engine_path)."""
        inside = [f"/opt/docexec/engine/{n}" for n, _ in enumerate(self.settings.engine_path)]
        if self.settings.cli is not None:
            inside.insert(0, CLI_DIR)
        return ":".join([*inside, self.settings.path])

    def _root_fs(self, name: str, net_only: bool) -> list[str]:
        """bubblewrap arguments for a host's root file system."""
        etc = self.state_dir / f"{name}.etc"
        etc.mkdir()
        generated = self._etc_files(name)
        for filename, text in generated.items():
            (etc / filename).write_text(text)
        args = ["--ro-bind", "/usr", "/usr"]
        for link in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            target = Path("/") / link
            if target.is_symlink():
                args += ["--symlink", os.readlink(target), f"/{link}"]
            elif target.is_dir():
                args += ["--ro-bind", str(target), f"/{link}"]
        for path in ("/etc/alternatives", "/etc/ld.so.cache", "/etc/iproute2", "/etc/protocols", "/etc/services",
                     "/etc/ethertypes"):
            if os.path.exists(path):
                args += ["--ro-bind", path, path]
        # The lab's programs are this machine's /usr, and /etc/os-release says so, as on Debian itself.
        args += ["--symlink", "../usr/lib/os-release", "/etc/os-release"]
        for filename in sorted(generated):
            args += ["--ro-bind", str(etc / filename), f"/etc/{filename}"]
        if not net_only:
            (etc / "init.sh").write_text(self._init_script(self.host(name)))

        for n, folder in enumerate(self.settings.engine_path):
            args += ["--ro-bind", str(folder), f"/opt/docexec/engine/{n}"]
        if self.settings.cli is not None:
            args += ["--ro-bind", str(self.settings.cli), f"{CLI_DIR}/docker"]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/run", "--symlink", "../run", "/var/run",
                 "--tmpfs", "/tmp", "--dir", "/root"]
        if not net_only:
            args += ["--dir", "/sys", "--tmpfs", "/var/lib/docker", "--dir", WORKDIR,
                     "--ro-bind", str(etc / "init.sh"), INIT]
        return args

    def _etc_files(self, name: str) -> dict[str, str]:
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

    def _init_script(self, host: LabHost) -> str:
        """What PID 2 of a host runs: its own /sys and cgroup mounts, the LAN address, then dockerd."""
        # /sys shows the lab's own network devices; read-only, like the kernel's settings in /proc/sys, which are
        # the machine's, except the network settings, which belong to the lab's own network namespace (Docker
        # writes some). Files that act on the whole machine are read-only or hidden, as Docker does in containers.
        lines = ["set -e", "mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /sys",
                 "mount --bind /proc/sys /proc/sys", "mount -o remount,bind,ro /proc/sys",
                 "mount --bind /proc/sys/net /proc/sys/net", "mount -o remount,bind,rw /proc/sys/net"]
        for path in PROC_READ_ONLY:
            lines.append(f"if [ -e {path} ]; then mount --bind {path} {path} && mount -o remount,bind,ro {path}; fi")
        for path in PROC_MASKED:
            lines.append(f"if [ -e {path} ]; then mount --bind /dev/null {path}; fi")
        lines += _cgroup_mounts()
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

    def _save_state(self, name: str, outer: int, child: int) -> None:
        path = self.state_dir / "lab.json"
        try:
            state = json.loads(path.read_text())
        except FileNotFoundError:
            state = {"id": self.id, "label": self.label, "owner": os.getpid(),
                     "cgroups": [str(base / self.cgroup_parent) for base in _own_cgroups()],
                     "processes": [], "sandboxes": {}}
        for pid in (outer, child):
            state["processes"].append({"name": name, "pid": pid, "start": _start_time(pid)})
        state["sandboxes"][name] = child
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(path)

    def _wait_for_daemon(self, host: LabHost, deadline: float) -> None:
        while True:
            if _socket_answers(host.socket):
                return
            dead = [p for p in self._procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                why = "stopped" if dead else f"did not answer within {self.settings.start_timeout:g} s"
                raise LabError(f"the lab's dockerd on {host.name} {why}: {self._log_tail(host.name)}")
            time.sleep(0.02)

    def _log_tail(self, name: str) -> str:
        try:
            lines = (self.state_dir / f"{name}.log").read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(lines[-6:]) or "(empty log)"

    # ----------------------------------------------------------------------------------------------
    # stop

    def close(self) -> None:
        """Destroy the lab: kill every process in it, wait for them, remove its cgroups and state. Safe to call
        twice, and from two threads at once (a page's own cleanup and the exit handler of a process whose main
        thread ends while the page runs in another): the second waits until the first has finished."""
        with self._closing:
            if not self._closed:
                self._destroy()
                self._closed = True

    def _destroy(self) -> None:
        for proc in self._procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # bwrap and its sandbox (a session of their own)
        for host in self.hosts:
            _kill(host.pid)  # the sandbox's PID 1: the kernel then kills everything in its PID namespace
        _kill(self._switch_pid)
        for proc in self._procs:
            proc.wait()
        for host in [*self.hosts]:
            _wait_gone(host.pid)
        self._procs.clear()
        _remove_cgroups([base / self.cgroup_parent for base in _own_cgroups()])
        # Out of sight in one step (a hidden name, as while it was made), then removed: `sweep` and `leftovers`
        # running at the same time never see half a state folder.
        gone = self.settings.runtime_dir / f".gone-{self.id}"
        with contextlib.suppress(FileNotFoundError):
            self.state_dir.rename(gone)
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1
        shutil.rmtree(gone, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# what a killed recorder leaves


def sweep(runtime_dir: Path = RUNTIME_DIR, notify: Callable[[str], None] | None = None) -> list[str]:
    """Destroy labs whose recorder is gone (killed with SIGKILL): their processes, cgroups and state.
    A lab in use holds a lock on its state folder, so only abandoned labs are touched, and only processes whose
    PID and start time are the ones the lab recorded."""
    removed: list[str] = []
    if not runtime_dir.is_dir():
        return removed
    for folder in sorted(runtime_dir.iterdir()):
        if folder.name.startswith("."):  # being made or removed; left behind if its maker was killed then
            if _age(folder) > 60:
                shutil.rmtree(folder, ignore_errors=True)
            continue
        lock = folder / "lock"
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            if _age(folder) > 60:  # half-made and abandoned
                shutil.rmtree(folder, ignore_errors=True)
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # in use
            try:
                state = json.loads((folder / "lab.json").read_text())
            except (OSError, ValueError):
                state = {}
            for proc in state.get("processes", []):
                if _start_time(int(proc["pid"])) == proc["start"]:
                    _kill(int(proc["pid"]))
            for proc in state.get("processes", []):
                _wait_gone(int(proc["pid"]), proc["start"])
            # Whatever the state says, the lab's cgroups hold every process it had, even one started a moment
            # before the recorder died and so never written down: they go, then the cgroups.
            _remove_cgroups({Path(p) for p in state.get("cgroups", [])}
                            | {base / f"{CGROUP_PREFIX}{folder.name}" for base in _own_cgroups()})
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(f"lab {folder.name}" + (f" ({state['label']})" if state.get("label") else ""))
        finally:
            os.close(fd)
    if removed and notify:
        notify(f"docexec: removed {len(removed)} lab(s) left by a killed run: {', '.join(removed)}")
    return removed


def running(runtime_dir: Path = RUNTIME_DIR) -> dict[str, str]:
    """The Docker sockets of every lab host that exists now, by "lab id/host name" (for tests and tools that
    want to look inside a lab from outside)."""
    found = {}
    for state_file in sorted(runtime_dir.glob("*/lab.json")):
        with contextlib.suppress(OSError, ValueError):
            state = json.loads(state_file.read_text())
            for name, pid in state.get("sandboxes", {}).items():
                if name != "switch":
                    found[f"{state_file.parent.name}/{name}"] = f"/proc/{pid}/root{SOCKET}"
    return found


def leftovers(runtime_dir: Path = RUNTIME_DIR) -> list[str]:
    """Labs, and lab cgroups, that exist now and are not in use by another live process: those a killed run left,
    and those this process has not closed (for `docexec clean --check` and tests, which may run in parallel)."""
    busy = set()
    found = []
    for folder in sorted(runtime_dir.iterdir()) if runtime_dir.is_dir() else []:
        if folder.name.startswith(".") and _age(folder) < 60:
            busy.add(folder.name.split("-")[-1].lstrip("."))  # being made or being removed right now
        elif _in_use_elsewhere(folder):
            busy.add(folder.name.lstrip("."))
        else:
            found.append(f"lab {folder.name}")
    for base in _own_cgroups():
        with contextlib.suppress(OSError):
            found += [f"cgroup {p}" for p in base.iterdir()
                      if p.name.startswith(CGROUP_PREFIX) and p.name.removeprefix(CGROUP_PREFIX) not in busy]
    return found


def _in_use_elsewhere(folder: Path) -> bool:
    """Whether another live process holds the lab's lock."""
    try:
        fd = os.open(folder / "lock", os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        with contextlib.suppress(OSError, ValueError):
            if json.loads((folder / "lab.json").read_text()).get("owner") == os.getpid():
                return False  # this process's own lab
        return True
    finally:
        os.close(fd)
    return False


# --------------------------------------------------------------------------------------------------
# helpers


def _age(folder: Path) -> float:
    """Seconds since the folder was made, renamed or changed (0 if it is already gone)."""
    try:
        return time.time() - folder.stat().st_ctime
    except FileNotFoundError:
        return 0.0


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    if done.returncode != 0:
        raise LabError(f"making the lab's LAN failed: {' '.join(argv)}: {done.stderr.strip()}")


def _socket_answers(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2)
    try:
        probe.connect(path)
        probe.sendall(b"GET /version HTTP/1.0\r\n\r\n")  # not /_ping: it answers before the API is ready
        return b" 200 " in probe.recv(64)
    except OSError:
        return False
    finally:
        probe.close()


def _start_time(pid: int) -> str:
    """A process's start time (field 22 of /proc/PID/stat): with the PID, it names one process for good."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def _kill(pid: int) -> None:
    if pid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_gone(pid: int, start: str | None = None, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while pid > 0 and time.monotonic() < deadline:
        now = _start_time(pid)
        if not now or (start is not None and now != start):
            return
        if Path(f"/proc/{pid}/status").read_text().find("State:\tZ") >= 0:
            return  # a zombie waiting for its parent: it holds nothing any more
        time.sleep(0.01)


def _cgroup_mounts_of_machine() -> list[tuple[str, str, str]]:
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


def _own_cgroups() -> list[Path]:
    """This process's cgroup in each hierarchy, as folders. A lab's cgroup namespace is rooted there, so the
    cgroups its dockerd makes (below its cgroup-parent) are found below these folders."""
    paths: dict[str, str] = {}
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            paths[controllers] = path
    found = []
    for point, fstype, options in _cgroup_mounts_of_machine():
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


def _cgroup_mounts() -> list[str]:
    """Shell lines that mount the machine's cgroup hierarchies inside a host, the same way (dockerd needs them)."""
    lines = []
    for point, fstype, options in _cgroup_mounts_of_machine():
        if fstype == "tmpfs":
            lines.append(f"mount -t tmpfs -o mode=755 cgroup {point}")
        elif fstype == "cgroup":  # a v1 hierarchy: the same controllers (or name=) as the machine's
            opts = ",".join(o for o in options.split(",") if o not in ("rw", "ro"))
            lines.append(f"mkdir -p {point} && mount -t cgroup -o {opts} cgroup {point}")
        elif fstype == "cgroup2":
            lines.append(f"mkdir -p {point} && mount -t cgroup2 cgroup2 {point}")
    return lines


def _make_lab_cgroups(name: str) -> list[Path]:
    """The lab's own cgroup in each hierarchy, below this process's, with the lab's device and resource limits."""
    made = []
    for base in _own_cgroups():
        folder = base / name
        folder.mkdir()
        made.append(folder)
        if (folder / "cpuset.cpus").exists():  # a new v1 cpuset is empty: no process may join it until set
            for knob in ("cpuset.cpus", "cpuset.mems"):
                (folder / knob).write_text((base / knob).read_text())
        if (folder / "devices.deny").exists():
            (folder / "devices.deny").write_text("a")
            for rule in LAB_DEVICES:
                (folder / "devices.allow").write_text(rule)
        for knob, value in (("memory.limit_in_bytes", LAB_MEMORY), ("memory.max", LAB_MEMORY),
                            ("pids.max", LAB_PIDS)):
            if (folder / knob).exists():
                (folder / knob).write_text(str(value))
    return made


def _remove_cgroups(tops: Iterable[Path]) -> None:
    """Kill every process still in a lab's cgroups (only a lab's: the folders are named docexec-lab-<id>), then
    remove the folders: the lab's own and those dockerd made for its containers."""
    folders = [top for top in tops if top.name.startswith(CGROUP_PREFIX) and top.is_dir()]
    for top in folders:
        for procs in top.rglob("cgroup.procs"):
            with contextlib.suppress(OSError, ValueError):
                for pid in procs.read_text().split():
                    _kill(int(pid))
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
