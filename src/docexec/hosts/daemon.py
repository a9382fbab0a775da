"""Everything the engine asks the Docker daemon directly (through the SDK), as opposed to the commands of a page,
which always go through the docker CLI like a reader's would. `Daemon` is the client: connecting, the facts
written beside each recording, and the page's objects it checks; its `janitor` (janitor.py) cleans up and checks
the daemon's state before recording, its `images` (image_builder.py) builds and loads the lesson images."""

from __future__ import annotations

import os
import platform
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docexec.core.errors import DaemonUnavailable
from docexec.core.labels import IMAGE_LABEL as IMAGE_LABEL  # re-exported: the runner and tests name them by daemon
from docexec.core.labels import LABEL as LABEL
from docexec.hosts.image_builder import ImageBuilder
from docexec.hosts.images import load_images
from docexec.hosts.janitor import Janitor
from docexec.userland.tree import ensure

if TYPE_CHECKING:
    import docker

    from docexec.core.config import Settings



# The SDK (and requests under it) is imported only when a daemon is needed: a build that only reads recordings
# never pays for it.


@dataclass
class Daemon:
    client: docker.DockerClient
    where: str = ""
    _engine: dict[str, str] = field(default_factory=dict)
    _info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def connect(cls, where: str | None = None, timeout: int = 10) -> Daemon:
        """Connect and ping once; DaemonUnavailable says where it looked. `where`: a daemon address (a lab's
        socket); by default the one the docker CLI would use (DOCKER_HOST or the standard socket)."""
        explicit = where is not None
        where = where or os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        problem = _unix_socket_problem(where, timeout)
        if problem:
            raise DaemonUnavailable(f"no Docker daemon answers at {where} ({problem})")
        import docker

        # A lab's daemon has just started: under load its API may still refuse a first request or two.
        attempts = 10 if explicit else 1
        problem = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(0.3)
            client = None
            try:
                client = docker.DockerClient(base_url=where, timeout=timeout) if explicit else \
                    docker.from_env(timeout=timeout)
                client.ping()
                return cls(client, where)
            except Exception as exc:  # the SDK raises several kinds for "nobody answers"
                if client is not None:
                    client.close()
                problem = f"{type(exc).__name__}: {str(exc)[:200]}"
        raise DaemonUnavailable(f"no Docker daemon answers at {where} ({problem})")

    def close(self) -> None:
        self.client.close()

    def answers(self) -> bool:
        """Whether the daemon still answers (asked after a command failed unexpectedly)."""
        if _unix_socket_problem(self.where, 5):
            return False
        try:
            return bool(self.client.ping())
        except Exception:  # any transport error means no
            return False

    # ----------------------------------------------------------------------------------------------
    # facts for the recordings

    def info(self) -> dict[str, Any]:
        """`docker info`, asked once per daemon."""
        if not self._info:
            self._info = dict(self.client.info())
        return self._info

    def identity(self) -> str:
        """The daemon's own ID: the same whichever socket or proxy it is reached through."""
        return str(self.info().get("ID", "")) or self.where or "local"

    def engine(self) -> dict[str, str]:
        """Versions and host facts written beside each recording (asked once per daemon)."""
        if not self._engine:
            v = self.client.version()
            info = self.info()
            self._engine = {
                "engine": str(v.get("Version", "")),
                "api": str(v.get("ApiVersion", "")),
                "kernel": str(info.get("KernelVersion", platform.release())),
                "os": str(info.get("OperatingSystem", "")),
                "storage_driver": str(info.get("Driver", "")),
                "cgroup": str(info.get("CgroupVersion", "")),
            }
        return self._engine

    @property
    def janitor(self) -> Janitor:
        return Janitor(self.client, self.info)

    def images(self, userland: Path) -> ImageBuilder:
        """The lesson images of this daemon, built from the unpacked lab userland at `userland`."""
        return ImageBuilder(self.client, userland)

    # ----------------------------------------------------------------------------------------------
    # the page's objects

    def volume_names(self) -> set[str]:
        return {v.name for v in self.client.volumes.list() if v.name}

    def owns(self, kind: str, name: str, run_id: str) -> bool:
        """Whether the object `name` exists and was created by run `run_id`."""
        import docker.errors

        getter: Any = {"container": self.client.containers, "network": self.client.networks,
                       "volume": self.client.volumes}[kind]
        try:
            obj: Any = getter.get(name)
        except docker.errors.NotFound:
            return True  # docker itself will say it does not exist
        labels = obj.attrs.get("Config", {}).get("Labels") if kind == "container" else obj.attrs.get("Labels")
        return bool(labels) and labels.get(LABEL) == run_id

    def volume_exists(self, name: str) -> bool:
        import docker.errors

        try:
            self.client.volumes.get(name)
            return True
        except docker.errors.NotFound:
            return False

    def create_volume(self, name: str, run_id: str) -> None:
        self.client.volumes.create(name=name, labels={LABEL: run_id})


def _unix_socket_problem(where: str, timeout: float) -> str:
    """Why a unix:// address does not answer ('' if it does or is not a unix socket). The SDK leaks a socket
    when it cannot reach one, so ask first, closing what we open."""
    if not where.startswith("unix://"):
        return ""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(timeout)
    try:
        probe.connect(where.removeprefix("unix://"))
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        probe.close()
    return ""


def load_lesson_images(where: str, settings: Settings) -> None:
    """Give the daemon at `where` (a fresh lab's, say) every lesson image of the project, from the cache."""
    daemon = Daemon.connect(where)
    try:
        builder = daemon.images(ensure())
        for spec in load_images(settings.images_dir):
            builder.load_image(spec, settings.cache_dir / "images")
    finally:
        daemon.close()
