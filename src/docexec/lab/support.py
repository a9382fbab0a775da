"""Whether this machine can run labs at all, and if not, why: one line a reader can act on."""

from __future__ import annotations

import os
import shutil

from docexec.lab import cgroups
from docexec.lab.settings import LabSettings


def unsupported_reason(settings: LabSettings | None = None) -> str:
    """Why labs cannot run on this machine ('' when they can)."""
    settings = settings or LabSettings()
    if os.uname().sysname != "Linux":
        return f"labs need Linux (this is {os.uname().sysname})"
    if os.geteuid() != 0:
        return "labs need root (they start their own dockerd in new namespaces)"
    # The machine gives only these; every program inside a lab comes from the lab userland.
    missing = [tool for tool in ("bwrap", "nsenter", "setpriv", "sh") if shutil.which(tool) is None]
    if missing:
        return f"labs need {', '.join(missing)} (on Debian: apt-get install bubblewrap util-linux)"
    # A lab's cgroups are made below this process's own. In a container that shares the machine's cgroup
    # namespace (Docker's default on cgroup v1), /proc/self/cgroup names /docker/<id>, but the container sees that
    # folder as the hierarchy's root: its own cgroup is nowhere to be found.
    lost = [folder for folder in cgroups.own_cgroups() if not folder.is_dir()]
    if lost:
        return (f"labs need this process's cgroup, but {lost[0]} does not exist (in a container: run it with "
                "--cgroupns=private, README: 在容器里运行)")
    for folder in settings.engine_path:
        if not folder.is_dir():
            return f"labs need the engine folder {folder} (fetch the engine: ./nox -s engines)"
    if settings.cli is not None and not settings.cli.is_file():
        return f"labs need the docker CLI {settings.cli}"
    return ""
