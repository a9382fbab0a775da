"""One recording at a time per Docker daemon: `mkdocs serve` and the tests would otherwise shift each other's
addresses. The lock file sits in the temp folder, named after the daemon's ID, so every clone shares it."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from docexec.core.errors import DocexecError


def lock_path(daemon_id: str) -> Path:
    """One lock per daemon, whichever way it is reached (socket path, DOCKER_HOST, a proxy)."""
    key = hashlib.sha256(daemon_id.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"docexec-{key}.lock"


class DaemonLock:
    def __init__(self, daemon_id: str, purpose: str, wait: float = 600,
                 notify: Callable[[str], None] = print) -> None:
        self.path = lock_path(daemon_id)
        self.info = self.path.with_suffix(".holder")
        self.purpose = purpose
        self.wait = wait
        self.notify = notify
        self._lock = FileLock(str(self.path))

    def holder(self) -> str:
        try:
            data = json.loads(self.info.read_text())
            age = time.time() - float(data["since"])
            return f"pid {data['pid']} ({data['purpose']}), for {age:.0f} s"
        except (OSError, ValueError, KeyError):
            return "another process"

    def __enter__(self) -> DaemonLock:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            self.notify(f"docexec: waiting for the recording lock {self.path}, held by {self.holder()}")
            try:
                self._lock.acquire(timeout=self.wait)
            except Timeout:
                raise DocexecError(f"the recording lock {self.path} is still held by {self.holder()} after "
                                   f"{self.wait:.0f} s") from None
        self.info.write_text(json.dumps({"pid": os.getpid(), "purpose": self.purpose, "since": time.time(),
                                         "argv": sys.argv[:4]}))
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.info.unlink(missing_ok=True)
        finally:
            self._lock.release()
