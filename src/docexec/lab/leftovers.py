"""What a killed recorder leaves: labs whose state folder is still under RUNTIME_DIR and whose lock nobody holds,
and lab cgroups. `sweep` removes them (touching nothing else), `leftovers` lists them, `running` finds the hosts
that exist now."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from docexec.lab.cgroups import CGROUP_PREFIX, own_cgroups, remove_cgroups
from docexec.lab.processes import kill, start_time, wait_gone
from docexec.lab.settings import RUNTIME_DIR, SOCKET


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
            removed.append(_destroy_abandoned(folder))
        finally:
            os.close(fd)
    removed += _remove_orphan_cgroups(runtime_dir)
    if removed and notify:
        notify(f"docexec: removed {len(removed)} lab(s) left by a killed run: {', '.join(removed)}")
    return removed


def _remove_orphan_cgroups(runtime_dir: Path) -> list[str]:
    """Lab cgroups whose lab has no state folder under any name: a lab's state folder is made before its cgroups
    and removed after them, so these belong to no lab being made, used or removed. They are left when a sweep
    that does not see this process's cgroups (a process in another cgroup) removed the state folder of a lab
    killed before its state named its cgroups."""
    found: dict[str, list[Path]] = {}
    for base in own_cgroups():  # first: a lab made after this has a state folder in the listing below
        with contextlib.suppress(OSError):
            for top in base.iterdir():
                if top.name.startswith(CGROUP_PREFIX):
                    found.setdefault(top.name.removeprefix(CGROUP_PREFIX), []).append(top)
    names = {folder.name.removeprefix(".gone-").lstrip(".") for folder in runtime_dir.iterdir()} \
        if runtime_dir.is_dir() else set()
    orphans = {lab_id: tops for lab_id, tops in found.items() if lab_id not in names}
    for tops in orphans.values():
        remove_cgroups(tops)
    return [f"cgroups of lab {lab_id}" for lab_id in sorted(orphans)]


def _destroy_abandoned(folder: Path) -> str:
    """Kill what the lab's state names, remove its cgroups and its folder; say what it was."""
    try:
        state = json.loads((folder / "lab.json").read_text())
    except (OSError, ValueError):
        state = {}
    for proc in state.get("processes", []):
        if start_time(int(proc["pid"])) == proc["start"]:
            kill(int(proc["pid"]))
    for proc in state.get("processes", []):
        wait_gone(int(proc["pid"]), proc["start"])
    # Whatever the state says, the lab's cgroups hold every process it had, even one started a moment
    # before the recorder died and so never written down: they go, then the cgroups.
    remove_cgroups({Path(p) for p in state.get("cgroups", [])}
                   | {base / f"{CGROUP_PREFIX}{folder.name}" for base in own_cgroups()})
    shutil.rmtree(folder, ignore_errors=True)
    return f"lab {folder.name}" + (f" ({state['label']})" if state.get("label") else "")


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
    for base in own_cgroups():
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


def _age(folder: Path) -> float:
    """Seconds since the folder was made, renamed or changed (0 if it is already gone)."""
    try:
        return time.time() - folder.stat().st_ctime
    except FileNotFoundError:
        return 0.0
