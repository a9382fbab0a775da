"""Everything the engine asks the Docker daemon directly (through the SDK), as opposed to the commands of a page,
which always go through the docker CLI like a reader's would."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DaemonUnavailable, RefusedToRecord
from .images import ImageSpec, load_images

if TYPE_CHECKING:
    import docker

    from .config import Config

LABEL = "io.docexec.run"  # on every container, network and volume a page creates; value: the run's id
IMAGE_LABEL = "io.docexec.image"  # on lesson images; value: the content hash they were built from
DEFAULT_BRIDGE_SUBNET = "172.17.0.0/16"
DEFAULT_ROOT = "/var/lib/docker"


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

    # ----------------------------------------------------------------------------------------------
    # objects the engine created

    def remove_labelled(self, run_id: str | None = None) -> list[str]:
        """Remove containers, networks and volumes carrying LABEL (only those of `run_id` if given).
        Returns what was removed, as 'kind name' strings."""
        selector = f"{LABEL}={run_id}" if run_id else LABEL
        removed: list[str] = []
        for c in self.client.containers.list(all=True, filters={"label": selector}):
            _ignore_missing(c.remove, force=True, v=True)
            removed.append(f"container {c.name}")
        for n in self.client.networks.list(filters={"label": selector}):
            _ignore_missing(n.remove)
            removed.append(f"network {n.name}")
        for vol in self.client.volumes.list(filters={"label": selector}):
            _ignore_missing(vol.remove, force=True)
            removed.append(f"volume {vol.name}")
        return removed

    def labelled(self) -> list[str]:
        """Containers, networks and volumes that carry LABEL, as 'kind name' strings."""
        return ([f"container {c.name}" for c in self.client.containers.list(all=True, filters={"label": LABEL})]
                + [f"network {n.name}" for n in self.client.networks.list(filters={"label": LABEL})]
                + [f"volume {v.name}" for v in self.client.volumes.list(filters={"label": LABEL})])

    def volume_names(self) -> set[str]:
        return {v.name for v in self.client.volumes.list() if v.name}

    def remove_new_anonymous_volumes(self, before: set[str]) -> list[str]:
        """Anonymous volumes that appeared during the page and are no longer used: a page's containers made them
        (`-v /data`), and `docker rm` without -v leaves them behind."""
        removed = []
        for vol in self.client.volumes.list(filters={"dangling": True}):
            name = vol.name or ""
            if name not in before and len(name) == 64 and all(ch in "0123456789abcdef" for ch in name):
                _ignore_missing(vol.remove, force=True)
                removed.append(f"volume {name}")
        return removed

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

    # ----------------------------------------------------------------------------------------------
    # checks before a page is recorded

    def preflight(self) -> None:
        """Refuse to record when the engine's state would make a page's outputs wrong."""
        foreign = [c for c in self.client.containers.list(filters={"network": "bridge"})
                   if LABEL not in (c.labels or {})]
        if foreign:
            names = ", ".join(sorted(c.name or c.short_id for c in foreign))
            raise RefusedToRecord(
                f"container(s) not created by docexec are running on the default bridge ({names}): they hold "
                "addresses, so the page's recorded addresses (172.17.0.2, ...) would be wrong. Stop them, or "
                "record against another daemon (DOCKER_HOST); the build keeps using the recordings.")
        root = str(self.info().get("DockerRootDir", DEFAULT_ROOT))
        if root != DEFAULT_ROOT:
            raise RefusedToRecord(
                f"the daemon keeps its data in {root}; the lessons show paths under {DEFAULT_ROOT} (volumes, overlay2 "
                "directories), so their outputs would be wrong. Record on a daemon with the default data-root.")
        bridge = self.client.networks.get("bridge")
        configs = (bridge.attrs.get("IPAM") or {}).get("Config") or []
        subnets = [c.get("Subnet") for c in configs]
        if subnets != [DEFAULT_BRIDGE_SUBNET]:
            raise RefusedToRecord(
                f"the default bridge uses {subnets}, the lessons assume {DEFAULT_BRIDGE_SUBNET} "
                "(Docker's default; check 'bip' in /etc/docker/daemon.json)")

    def ensure_image(self, spec: ImageSpec) -> bool:
        """Build `spec` unless an image with the same content hash is there. Returns True if it built."""
        import docker.errors

        digest = spec.digest()
        try:
            image = self.client.images.get(spec.tag)
            labels = image.labels or {}
            if labels.get(IMAGE_LABEL) == digest:
                return False
            if IMAGE_LABEL not in labels:
                raise RefusedToRecord(
                    f"an image tagged {spec.tag} exists that docexec did not build (from a registry?); the "
                    f"lessons' outputs depend on the one built from {spec.folder}. Remove or retag it "
                    f"(docker image tag {spec.tag} {spec.tag.split(':')[0]}:mine && docker image rm {spec.tag}).")
        except docker.errors.ImageNotFound:
            pass
        with tempfile.TemporaryDirectory(prefix="docexec-image-") as tmp:
            context = Path(tmp)
            shutil.copytree(spec.folder, context, dirs_exist_ok=True)
            for dest, source in spec.host_files.items():
                shutil.copy2(source, context / dest)
            self.client.images.build(path=str(context), tag=spec.tag, labels={IMAGE_LABEL: digest},
                                     rm=True, forcerm=True, pull=False)
        return True


    def load_image(self, spec: ImageSpec, cache: Path) -> None:
        """Give a fresh daemon (a lab's) the lesson image: loaded from a `docker save` tarball cached per content
        hash, which is built (in this daemon) and saved the first time."""
        tarball = cache / f"{spec.name}-{spec.digest()[:16]}.tar"
        if tarball.is_file():
            with open(tarball, "rb") as fh:
                self.client.images.load(fh)
            return
        self.ensure_image(spec)
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob(f"{spec.name}-*.tar"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{spec.name}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in self.client.images.get(spec.tag).save(named=True):
                    fh.write(chunk)
            os.replace(tmp, tarball)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def load_lesson_images(where: str, config: Config) -> None:
    """Give the daemon at `where` (a fresh lab's, say) every lesson image of the project, from the cache."""
    daemon = Daemon.connect(where)
    try:
        for spec in load_images(config.images_dir):
            daemon.load_image(spec, config.cache_dir / "images")
    finally:
        daemon.close()


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


def _ignore_missing(action: Any, **kwargs: Any) -> None:
    import docker.errors

    try:
        action(**kwargs)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if exc.status_code not in (404, 409):
            raise
