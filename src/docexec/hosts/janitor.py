"""The janitor of a Docker daemon: what docexec's runs left on it (objects carrying LABEL, a page's anonymous
volumes) and removing it, and the state others left that would make a page's outputs wrong (checked before
recording)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from docexec.core.errors import RefusedToRecord
from docexec.core.labels import LABEL

if TYPE_CHECKING:
    import docker

DEFAULT_BRIDGE_SUBNET = "172.17.0.0/16"
DEFAULT_ROOT = "/var/lib/docker"


class Janitor:
    """Cleaning one daemon, and checking it before a page is recorded."""

    def __init__(self, client: docker.DockerClient, info: Callable[[], dict[str, Any]]) -> None:
        self.client = client
        self.info = info  # `docker info`, asked once per daemon (Daemon.info)

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


def _ignore_missing(action: Any, **kwargs: Any) -> None:
    import docker.errors

    try:
        action(**kwargs)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if exc.status_code not in (404, 409):
            raise
