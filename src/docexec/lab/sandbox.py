"""Starting a lab's bubblewrap sandboxes (the switch, and each host with its dockerd), waiting for a host's dockerd
to answer, and killing them all."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

from docexec.lab.cgroups import LabCgroups
from docexec.lab.host import LabHost
from docexec.lab.processes import DROP_CAPS, join_cgroups, kill, socket_answers, wait_gone
from docexec.lab.rootfs import GATE_FD, RootFs
from docexec.lab.settings import LAB_PATH, LabError, LabSettings
from docexec.lab.state import StateFolder

OUTER_ENV = {"PATH": LAB_PATH, "LANG": "C.UTF-8"}  # the whole environment of each sandbox's PID 1


class LabStartFailed(LabError):
    """A lab did not come up: a sandbox was not made, or a host's dockerd stopped or did not answer. Nothing the
    page did: a page's backend tries once more with a fresh lab (hosts.LabBackend), and the drift check reports
    it apart from drift. `cause`: one line; `logs`: the last lines of the sandboxes' logs (a host's: its init
    script and its dockerd), read before the lab was destroyed, shown below the cause."""

    def __init__(self, cause: str, logs: Mapping[str, Sequence[str] | None] | None = None) -> None:
        self.cause = cause
        self.logs = dict(logs or {})
        super().__init__(cause + "".join(_shown_log(name, lines) for name, lines in self.logs.items()))


def _shown_log(name: str, lines: Sequence[str] | None) -> str:
    if lines is None:
        return f"\n  {name} has no log"
    return f"\n  the last lines of {name}'s log:" + ("".join(f"\n  | {line}" for line in lines) or " (empty)")


class Sandboxes:
    """The sandboxes of one lab. Each has its first process as PID 1 of a PID namespace of its own, so killing
    it kills everything in it; bubblewrap's --die-with-parent ends them with the thread that started them."""

    def __init__(self, settings: LabSettings, state: StateFolder, rootfs: RootFs, cgroups: LabCgroups) -> None:
        self.settings = settings
        self.state = state
        self.rootfs = rootfs
        self.cgroups = cgroups
        self.procs: list[subprocess.Popen[bytes]] = []
        self.closed = False  # set when the lab is destroyed: a sandbox started after that is an error

    def start(self, name: str, argv: list[str], *, net_only: bool = False, gate: int | None = None) -> int:
        """Start a bubblewrap sandbox; return the PID of its first process (PID 1 inside)."""
        info_r, info_w = os.pipe()
        with os.fdopen(info_r, "rb") as info:  # closed however the start ends
            try:
                proc = self._bwrap(name, argv, info_w, net_only=net_only, gate=gate)
            finally:
                os.close(info_w)
            self.procs.append(proc)
            if self.closed:  # kill() may have gone by already: this sandbox is ended here, and reaped (a zombie
                # would keep the lab's cgroups from being removed)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise LabError("the lab was closed while it was being made (the process is exiting)")
            data = info.read()
        try:
            child = int(json.loads(data)["child-pid"])
        except (ValueError, KeyError):
            proc.wait()
            raise LabStartFailed(f"bubblewrap could not make the lab's {name}",
                                 {name: self.state.log_lines(name)}) from None
        self.state.save(name, proc.pid, child, self.cgroups.folders)
        return child

    def _bwrap(self, name: str, argv: list[str], info_w: int, *, net_only: bool,
               gate: int | None) -> subprocess.Popen[bytes]:
        """Run bubblewrap for the sandbox `name`, telling on `info_w` its PID 1. Closes what it opens."""
        # The gate: the host's init script waits until the recorder has put eth0 in place (see Lab.start). It
        # comes as standard error and is moved to GATE_FD, where the script reads it (dash reads no descriptor
        # above 9), standard error becoming the log again.
        gated = ["/bin/sh", "-c", f'exec {GATE_FD}<&2 2>&1 && exec "$@"', "gate"] if gate is not None else []
        options = [*self.rootfs.args(name, net_only, gate is not None), "--info-fd", str(info_w),
                   "--unshare-net", "--unshare-pid", "--unshare-uts", "--unshare-ipc", "--unshare-cgroup",
                   "--hostname", name, "--die-with-parent", "--new-session", "--cap-add", "ALL", "--clearenv",
                   "--setenv", "PATH", self.settings.lab_path, "--setenv", "LANG", "C.UTF-8", "--setenv", "HOME",
                   "/root"]
        # bubblewrap reads its options from its standard input, so that `ps` in a lab shows a short PID 1 that
        # is the same in every lab: `bwrap --args 0 -- /bin/sh /run/lab-init.sh`.
        args_r, args_w = os.pipe()
        try:
            os.write(args_w, b"".join(o.encode() + b"\0" for o in options))
        finally:
            os.close(args_w)
        try:
            with self.state.log(name) as log:
                # A shell joins the lab's cgroups, then becomes bubblewrap: the sandbox is made inside them, so its
                # cgroup namespace is rooted there (the lab sees and changes no other cgroup), and the lab's device
                # and resource limits hold for everything in it.
                # bubblewrap's own PID 1 keeps the environment it was started with (--clearenv is for the
                # command): it gets exactly OUTER_ENV (`env -i`: the shell would add PWD, this machine's working
                # folder) and starts in /, so a page finds nothing of this machine's in /proc/1/environ.
                return subprocess.Popen([*gated, *join_cgroups(self.cgroups.procs), "env", "-i",
                                         *(f"{name}={value}" for name, value in OUTER_ENV.items()), *DROP_CAPS,
                                         "bwrap", "--args", "0", "--", *argv],
                                        stdin=args_r, stdout=log, stderr=subprocess.STDOUT if gate is None else gate,
                                        pass_fds=[info_w], cwd="/",
                                        start_new_session=True, env=OUTER_ENV)
        finally:
            os.close(args_r)

    def wait_for_daemon(self, host: LabHost, deadline: float) -> None:
        while True:
            if socket_answers(host.socket):
                return
            dead = [p for p in self.procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                why = "stopped" if dead else f"did not answer within {self.settings.start_timeout:g} s"
                raise LabStartFailed(f"the lab's dockerd on {host.name} {why}",
                                     {host.name: self.state.log_lines(host.name)})
            time.sleep(0.02)

    def kill(self, hosts: Sequence[int], switch: int) -> None:
        """Kill every sandbox and wait until the hosts' PID 1s are gone (`hosts`, `switch`: their PID 1s)."""
        self.closed = True
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # bwrap and its sandbox (a session of their own)
        for pid in hosts:
            kill(pid)  # the sandbox's PID 1: the kernel then kills everything in its PID namespace
        kill(switch)
        for proc in self.procs:
            proc.wait()
        for pid in hosts:
            wait_gone(pid)
        self.procs.clear()
