"""Where labs live and what they are made of: the paths inside a host and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docexec.core.errors import DaemonUnavailable

RUNTIME_DIR = Path("/run/docexec/labs")
LAB_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CLI_DIR = "/opt/docexec/cli"  # the chosen docker CLI, bound in as CLI_DIR/docker
ENGINE_DIR = "/opt/docexec/engine"  # engine folder n is bound in as ENGINE_DIR/n
CLI_PLUGINS_DIR = "/root/.docker/cli-plugins"  # the project's docker CLI plugins: where every docker CLI looks first
WORKDIR = "/lab"  # the page's working folder inside each host ($PWD)
SOCKET = "/run/docker.sock"  # the lab's dockerd listens here (/var/run links to /run)
MAX_HOSTS = 8  # hosts on one lab's LAN; a page's front matter may name this many
INIT = "/run/lab-init.sh"  # what each host runs first: mounts, the LAN address, then dockerd


class LabError(DaemonUnavailable):
    """A lab could not be made, or could not be reached: like a daemon that does not answer, a build keeps the
    recordings (with a warning) and CI fails."""


@dataclass(frozen=True)
class LabSettings:
    """How labs are made. Every host's programs are the lab userland's (userland.py), unpacked under `cache`.
    `engine_path`: folders on this machine (dockerd, containerd, docker of another Docker version) bound read-only
    into each host and put first on its PATH."""

    cache: Path | None = None  # where the lab userland is unpacked (None: userland.default_cache())
    # A root whose /usr (and package files of /etc) the hosts get instead of the pinned userland's: only for
    # comparisons (the benchmark measures the machine's own "/" against the userland); None in every real use.
    root: Path | None = None
    engine_path: tuple[Path, ...] = ()
    cli: Path | None = None  # the docker CLI the lab's commands get (bound into it, first on its PATH)
    cli_plugins: Path | None = None  # a folder of docker CLI plugins (docker-compose) bound in as CLI_PLUGINS_DIR
    path: str = LAB_PATH
    start_timeout: float = 30.0
    runtime_dir: Path = RUNTIME_DIR
    v1_devices: bool = True  # also cgroup v1 device rules where v1 has them (tests: no)
    # (host name, the text of its /etc/docker/daemon.json): a page's front matter daemon: settings, read by the
    # host's dockerd as it starts (hosts not listed get no daemon.json: Docker's defaults)
    daemon: tuple[tuple[str, str], ...] = ()

    def daemon_json(self, host: str) -> str | None:
        """The daemon.json host `host` gets, if any."""
        return next((text for name, text in self.daemon if name == host), None)

    @property
    def lab_path(self) -> str:
        """PATH inside the lab: the engine folders first (see engine_path)."""
        inside = [f"{ENGINE_DIR}/{n}" for n, _ in enumerate(self.engine_path)]
        if self.cli is not None:
            inside.insert(0, CLI_DIR)
        return ":".join([*inside, self.path])
