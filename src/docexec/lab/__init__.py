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

The package, one module per job: `settings` (paths, LabSettings), `support` (whether labs can run here),
`lifecycle` (Lab: making and destroying one), `host` (LabHost: running a command inside a host), `rootfs` (a host's
root file system and init script), `sandbox` (the bubblewrap sandboxes and each host's dockerd), `lan` (the switch
and its ports), `cgroups` (with `devices_bpf`: the device rules on cgroup v2), `state` (the runtime folder and its
lock), `leftovers` (sweep, running, leftovers) and `processes`.
"""

from __future__ import annotations

from docexec.lab.cgroups import CGROUP_PREFIX, LAB_DEVICES, LAB_MEMORY, LAB_PIDS
from docexec.lab.host import LabHost
from docexec.lab.lan import LAN, NAME_SERVER, PORT_INDEX, SWITCH_ADDRESS
from docexec.lab.leftovers import leftovers, running, sweep
from docexec.lab.lifecycle import Lab
from docexec.lab.processes import LAB_CAPS_DROPPED, start_time
from docexec.lab.rootfs import PROC_MASKED, PROC_READ_ONLY
from docexec.lab.sandbox import LabStartFailed
from docexec.lab.settings import CLI_DIR, INIT, LAB_PATH, MAX_HOSTS, RUNTIME_DIR, SOCKET, WORKDIR, LabError, LabSettings
from docexec.lab.support import unsupported_reason

__all__ = ["CGROUP_PREFIX", "CLI_DIR", "INIT", "LAB_CAPS_DROPPED", "LAB_DEVICES", "LAB_MEMORY", "LAB_PATH", "LAB_PIDS",
           "LAN", "MAX_HOSTS", "NAME_SERVER", "PORT_INDEX", "PROC_MASKED", "PROC_READ_ONLY", "RUNTIME_DIR", "SOCKET",
           "SWITCH_ADDRESS", "WORKDIR", "Lab", "LabError", "LabHost", "LabSettings", "LabStartFailed", "leftovers",
           "running", "start_time", "sweep", "unsupported_reason"]
