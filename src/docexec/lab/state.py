"""A lab's state folder, RUNTIME_DIR/<lab id>/: its lock (held while the lab is in use), lab.json (its processes,
cgroups and sandboxes, for `sweep` after a killed run), the sandboxes' logs and generated files."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import IO

from docexec.core.files import write_atomic
from docexec.lab.processes import start_time


class StateFolder:
    """The state folder of one lab, which appears and goes in one step each (see make and remove)."""

    def __init__(self, runtime_dir: Path, lab_id: str, label: str) -> None:
        self.runtime_dir = runtime_dir
        self.lab_id = lab_id
        self.label = label
        self.path = runtime_dir / lab_id
        self._lock_fd = -1

    def make(self) -> None:
        """The folder appears under its name with its lock already held (held while this process lives), so a
        `sweep` running at the same time never takes a lab being made for abandoned."""
        making = self.runtime_dir / f".{self.lab_id}"
        making.mkdir(parents=True)
        self._lock_fd = os.open(making / "lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        making.rename(self.path)

    def log(self, name: str) -> IO[bytes]:
        """A sandbox's log, opened for it to write."""
        return open(self.path / f"{name}.log", "wb")  # the caller hands it to the child

    def log_lines(self, name: str, count: int = 10) -> list[str] | None:
        """The last lines of a sandbox's log (a host's: its init script's, then its dockerd's); None: no log."""
        try:
            return (self.path / f"{name}.log").read_text(errors="replace").splitlines()[-count:]
        except OSError:
            return None

    def save(self, name: str, outer: int, child: int, cgroups: list[Path]) -> None:
        """Write down a sandbox: its bubblewrap process and its PID 1 (with their start times), and the lab's
        cgroups."""
        path = self.path / "lab.json"
        try:
            state = json.loads(path.read_text())
        except FileNotFoundError:
            state = self._new_state(cgroups)
        for pid in (outer, child):
            state["processes"].append({"name": name, "pid": pid, "start": start_time(pid)})
        state["sandboxes"][name] = child
        write_atomic(path, json.dumps(state, indent=1), mode=0o644)

    def begin(self, cgroups: list[Path]) -> None:
        """Write down the lab's cgroups before they are made: a sweep after a SIGKILL from here on removes them,
        even one by a process whose own cgroups (where it would look for them) are elsewhere."""
        write_atomic(self.path / "lab.json", json.dumps(self._new_state(cgroups), indent=1), mode=0o644)

    def _new_state(self, cgroups: list[Path]) -> dict[str, object]:
        return {"id": self.lab_id, "label": self.label, "owner": os.getpid(),
                "cgroups": [str(folder) for folder in cgroups], "processes": [], "sandboxes": {}}

    def remove(self) -> None:
        """Out of sight in one step (a hidden name, as while it was made), then removed: `sweep` and `leftovers`
        running at the same time never see half a state folder."""
        gone = self.runtime_dir / f".gone-{self.lab_id}"
        with contextlib.suppress(FileNotFoundError):
            self.path.rename(gone)
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1
        shutil.rmtree(gone, ignore_errors=True)
