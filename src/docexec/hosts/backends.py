"""Where a page's commands run: on the Docker hosts of a lab made for the page (the default wherever labs can
run), or, as a fallback for previews, on the one shared daemon this machine's docker CLI talks to.

Either way a backend gives the session a `Host` per host name: the SDK client the engine uses for its own checks,
how to start a program there, the environment and working folder the page's commands get.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from docexec.core.config import EngineSettings
from docexec.core.errors import DaemonUnavailable, RefusedToRecord
from docexec.core.signals import PROCESSES
from docexec.hosts.daemon import Daemon
from docexec.hosts.images import ImageSpec
from docexec.hosts.lock import DaemonLock
from docexec.hosts.mode import HostsMode, lab_settings
from docexec.hosts.spares import SPARES
from docexec.lab import WORKDIR, Lab, LabError, LabStartFailed
from docexec.page.model import Page
from docexec.userland import tree as userland

TERMINAL_COLUMNS = 80
_BASE_ENV = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "dumb", "NO_COLOR": "1",
             "COLUMNS": str(TERMINAL_COLUMNS), "LINES": "24", "DOCKER_CLI_HINTS": "false"}


@dataclass
class Host:
    name: str
    daemon: Daemon
    workdir: str  # $PWD: the page's working folder as its commands see it
    cwd: Path  # where processes are started from on this machine
    env: dict[str, str]
    # The working folder as this machine reaches it (a lab host's, through its PID 1's root: /proc/PID/root/lab).
    # Absolute symlinks met below it resolve on this machine, not in the host: whatever opens a path there must not
    # follow them (exec="file" follows none).
    folder: Path
    wrap: Callable[[Sequence[str]], list[str]] = list  # how to start argv so that it runs on this host


class Backend:
    """Makes the hosts for one page and removes everything the page created afterwards. `run_id` labels what the
    page creates (on a shared daemon, how its objects are told from others')."""

    mode: HostsMode
    hosts: dict[str, Host]
    run_id: str

    def __enter__(self) -> dict[str, Host]:
        raise NotImplementedError

    def close(self, *, failing: bool = False) -> None:
        raise NotImplementedError

    def close_after_failure(self) -> None:
        """Remove what a start that failed made; a Ctrl-C meanwhile waits until it is gone (Processes.cleanup)."""
        with PROCESSES.cleanup():
            self.close(failing=True)

    def emergency_close(self) -> None:
        """At process exit with the page still running: best effort, no waiting on the daemon."""
        self.close(failing=True)


@dataclass
class LabBackend(Backend):
    """A lab made for the page: every command runs inside it, and the lab is destroyed afterwards. A lab that
    does not come up is destroyed and made once more, fresh."""

    page: Page
    engine: EngineSettings
    images: Sequence[ImageSpec]
    image_cache: Path  # where the lesson images are kept as files, to load into each host
    notify: Callable[[str], None] = print
    mode: HostsMode = "lab"
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    from_spares: bool = True  # take a spare lab when one is ready (mkdocs serve: SPARES); a spare itself: False

    def __post_init__(self) -> None:
        self.hosts = {}
        self.settings = dataclasses.replace(lab_settings(self.engine), daemon=self.page.daemon)
        self.lab = Lab.for_hosts(self.page.hosts, self.settings, label=self.page.name)
        self.key: Hashable = None  # what a spare must be like to stand in for this lab (when spares are kept)

    def __enter__(self) -> dict[str, Host]:
        plugins = self.engine.spec.cli_plugins
        if plugins is not None and not plugins.is_dir() and self.page.runs("docker", "compose"):
            raise LabError(f"{self.page.name} runs docker compose, but the Compose plugin is missing: {plugins} "
                           "(fetch it: ./nox -s engines)")
        words = self.page.plain_words()
        used = [spec for spec in self.images if spec.used_by(words)]
        if SPARES.enabled:
            self.key = (tuple(self.page.hosts), self.settings, tuple((s.tag, s.digest()) for s in used))
            spare = SPARES.take(self.key) if self.from_spares else None
            if isinstance(spare, LabBackend):  # started like this lab would be, its lesson images loaded
                self.lab, self.hosts = spare.lab, spare.hosts
                return self.hosts
        try:
            self._start()
            for host in self.hosts.values():
                for spec in used:
                    host.daemon.images(self.lab.userland).load_image(spec, self.image_cache)
        except BaseException:
            self.close_after_failure()
            raise
        return self.hosts

    def _start(self) -> None:
        """Make the lab and connect to each host's dockerd; when the lab does not come up (now and then a dockerd
        does not, on a busy machine), once more with a fresh lab. LabStartFailed names both attempts."""
        try:
            self._start_once()
            return
        except LabStartFailed as exc:
            first = exc
        self.close_after_failure()
        # A Ctrl-C came while the lab was removed, or this is a spare and serve has ended: no second lab
        if PROCESSES.deferred or not (self.from_spares or SPARES.enabled):
            raise first
        self.notify(f"docexec: {self.page.where}: the lab failed to start ({first.cause}); trying once more with "
                    "a fresh lab")
        self.lab = Lab.for_hosts(self.page.hosts, self.settings, label=self.page.name)
        try:
            self._start_once()
        except LabStartFailed as exc:
            again = "twice, the second time in a fresh lab" if exc.cause == first.cause else \
                f"in a second, fresh lab; in the first: {first.cause}"
            raise LabStartFailed(f"{self.page.where}: {exc.cause} ({again}){_daemon_hint(self.page)}",
                                 exc.logs) from exc

    def _start_once(self) -> None:
        self.lab.start(self.notify)
        if not (self.from_spares or SPARES.enabled):  # a spare whose pool was closed meanwhile (its lab too, or not)
            raise LabError("the spare labs were closed while this one started (mkdocs serve ended)")
        for lab_host in self.lab.hosts:
            try:
                daemon = Daemon.connect(f"unix://{lab_host.socket}")
            except DaemonUnavailable as exc:  # it answered a moment ago: Lab.start waits until it does
                raise LabStartFailed(f"the lab's dockerd on {lab_host.name} stopped answering once started: {exc}",
                                     {lab_host.name: self.lab.log_lines(lab_host.name)}) from exc
            env = {**_BASE_ENV, "PATH": self.lab.path, "HOME": "/root", "PWD": WORKDIR,
                   "DOCKER_CONFIG": "/root/.docker"}
            self.hosts[lab_host.name] = Host(lab_host.name, daemon, WORKDIR, Path("/"), env,
                                             Path(f"/proc/{lab_host.pid}/root{WORKDIR}"), lab_host.command)

    def close(self, *, failing: bool = False) -> None:
        """Destroy the lab; with spares kept, in the background after the build (unless the page failed), and
        have a spare like it for the page's next run."""
        hosts, self.hosts = list(self.hosts.values()), {}
        for host in hosts:
            host.daemon.close()
        if self.from_spares and self.key is not None and SPARES.enabled:
            SPARES.want(self.key, lambda: dataclasses.replace(self, from_spares=False))
            if not failing:
                SPARES.retire(self.lab.close)
                return
        self.lab.close()

    def emergency_close(self) -> None:
        self.key = None  # at exit: no spare, and the lab is destroyed now
        self.close(failing=True)


@dataclass
class SharedBackend(Backend):
    """The daemon the machine's docker CLI talks to, shared with whatever else runs there: one page at a time
    (a lock per daemon), preflight checks, and every object the page creates labelled and removed afterwards."""

    page: Page
    engine: EngineSettings
    images: Sequence[ImageSpec]
    daemon: Daemon
    run_id: str
    work_root: Path  # the page's working folder is made below it
    notify: Callable[[str], None] = print
    mode: HostsMode = "shared"

    def __post_init__(self) -> None:
        self.hosts = {}
        self.workdir = self.work_root / re.sub(r"[^A-Za-z0-9_.-]+", "-", self.page.name.removesuffix(".md"))
        self._lock = DaemonLock(self.daemon.identity(), purpose=f"recording {self.page.name}", notify=self.notify)
        self._volumes_before: set[str] = set()
        self._docker_config = ""
        self._locked = False

    def __enter__(self) -> dict[str, Host]:
        if len(self.page.hosts) > 1:
            raise RefusedToRecord(
                f"{self.page.where}: has {len(self.page.hosts)} hosts ({', '.join(self.page.hosts)}), which only a "
                "lab can give; labs need Linux, root, bubblewrap and dockerd (see docs/maintainers/writing.md)")
        if self.page.daemon:
            raise RefusedToRecord(
                f"{self.page.where}: gives its hosts' dockerd settings (front matter daemon: or host-daemon:), which "
                "only a lab's own dockerd can take; the shared daemon's settings are this machine's")
        self._lock.__enter__()
        self._locked = True
        try:
            leftovers = self.daemon.janitor.remove_labelled()
            if leftovers:
                self.notify(f"docexec: removed {len(leftovers)} objects left by an interrupted run: "
                            + ", ".join(leftovers))
            self.daemon.janitor.preflight()
            remote = self.daemon.where and not self.daemon.where.startswith("unix://")
            reading = [b.kind for b in self.page.executed if b.exec_kind.reads_host] if remote else []
            if reading:
                raise RefusedToRecord(
                    f"{self.page.where}: has exec=\"{reading[0]}\" blocks, which look at the machine running the "
                    f"engine, but the daemon is remote ({self.daemon.where}); record this page on the daemon's own "
                    "host")
            words = self.page.plain_words()
            used = [spec for spec in self.images if spec.used_by(words)]
            builder = self.daemon.images(userland.ensure(notify=self.notify)) if used else None
            for spec in used:
                if builder is not None and builder.ensure_image(spec):
                    self.notify(f"docexec: built image {spec.tag} from {spec.folder}")
            self._volumes_before = self.daemon.volume_names()
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir.mkdir(parents=True)
            self._docker_config = tempfile.mkdtemp(prefix="docexec-cli-")
            env = _shared_cli_env(self.engine.cli, self.workdir, Path(self._docker_config))
            name = self.page.hosts[0]
            self.hosts = {name: Host(name, self.daemon, str(self.workdir), self.workdir, env, self.workdir)}
        except BaseException:
            self.close_after_failure()
            raise
        return self.hosts

    def close(self, *, failing: bool = False) -> None:
        """Remove what the page created. If the daemon no longer answers, say so (unless the page is already
        failing): the next run removes the leftovers."""
        try:
            if not self.daemon.answers():
                raise DaemonUnavailable("the Docker daemon does not answer")
            self.daemon.janitor.remove_labelled(self.run_id)
            self.daemon.janitor.remove_new_anonymous_volumes(self._volumes_before)
        except Exception as exc:  # the SDK raises requests' and its own errors for a dead daemon
            self.notify(f"docexec: could not remove what {self.page.name} created ({type(exc).__name__}); "
                        "the next run removes it")
            if not failing:
                raise DaemonUnavailable(f"the Docker daemon stopped answering while {self.page.name} was cleaned "
                                        "up; the next run removes what it left") from None
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
            if self._docker_config:
                shutil.rmtree(self._docker_config, ignore_errors=True)
                self._docker_config = ""
            if self._locked:
                self._locked = False
                self._lock.__exit__(None, None, None)

    def emergency_close(self) -> None:
        """At exit, while the page's thread may still hold the SDK's connections: if removing fails on them (a
        CI run saw all three objects of a page left), try once more on a connection of its own, with more time."""
        try:
            try:
                self.daemon.janitor.remove_labelled(self.run_id)
            except Exception:  # the SDK raises requests' and its own errors
                fresh = Daemon.connect(self.daemon.where, timeout=60)
                try:
                    fresh.janitor.remove_labelled(self.run_id)
                finally:
                    fresh.close()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _daemon_hint(page: Page) -> str:
    """For a page whose front matter gives dockerd settings: where to look when its lab does not start."""
    if not page.daemon:
        return ""
    return (f"; the page gives {', '.join(host for host, _ in page.daemon)} settings in /etc/docker/daemon.json "
            "(front matter daemon:, host-daemon:): a value dockerd refuses stops it, its log below says why")


def _shared_cli_env(cli: Path | None, workdir: Path, docker_config: Path) -> dict[str, str]:
    """The environment of a page's commands on the shared daemon: the chosen CLI first on PATH (as `docker`, in
    docker_config/bin), the page's working folder as HOME and PWD, a docker config of its own, and the machine's
    DOCKER_* settings that say which daemon to talk to."""
    path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
    if cli is not None:
        cli_dir = docker_config / "bin"
        cli_dir.mkdir()
        (cli_dir / "docker").symlink_to(cli)
        path = f"{cli_dir}:{path}"
    env = {**_BASE_ENV, "PATH": path, "HOME": str(workdir), "PWD": str(workdir), "DOCKER_CONFIG": str(docker_config)}
    for name in ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_API_VERSION"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env
