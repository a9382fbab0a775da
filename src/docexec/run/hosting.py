"""Where a book's pages run: a lab of their own wherever labs can run, or else the shared daemon (asked at most
once per build), and the session a page's commands run in there."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from docexec.core.config import EngineSettings, Settings
from docexec.core.errors import DaemonUnavailable, RefusedToRecord
from docexec.hosts.daemon import Daemon
from docexec.hosts.images import ImageSpec
from docexec.page.model import Page

if TYPE_CHECKING:
    from docexec.hosts.mode import HostsMode
    from docexec.run.runner import Session


class Hosting:
    """Where a book's pages run (a mixin of Project): the hosts mode, the shared daemon, a page's session."""

    settings: Settings
    engine: EngineSettings
    images: list[ImageSpec]
    notify: Callable[[str], None]

    def __init__(self) -> None:
        self._daemon: Daemon | None = None
        self._daemon_error: DaemonUnavailable | None = None
        self._hosts_mode: HostsMode | None = None

    def hosts_mode(self) -> HostsMode:
        """'lab' wherever labs can run; otherwise 'shared' (said once), or DaemonUnavailable when CI=true."""
        if self._hosts_mode is None:
            from docexec.hosts.mode import (  # labs only matter when a page runs
                choose_mode,
                lab_settings,
            )

            self._hosts_mode = choose_mode(self.notify, lab_settings(self.engine))
        return self._hosts_mode

    def check_runnable(self) -> None:
        """Raise DaemonUnavailable unless pages can run here (a lab, or a shared daemon that answers)."""
        if self.hosts_mode() == "shared":
            self.daemon()

    def daemon(self) -> Daemon:
        """The shared daemon (fallback mode)."""
        if self._daemon is None and self._daemon_error is None:
            try:
                self._daemon = Daemon.connect()
            except DaemonUnavailable as exc:
                self._daemon_error = exc
        if self._daemon_error is not None:
            raise self._daemon_error
        assert self._daemon is not None
        return self._daemon

    def close(self) -> None:
        if self._daemon is not None:
            self._daemon.close()
            self._daemon = None

    @contextmanager
    def session(self, page: Page, progress: Callable[[str], None] | None = None) -> Iterator[Session]:
        from docexec.hosts.backends import Backend, LabBackend, SharedBackend
        from docexec.run.runner import Session  # only recording needs processes, locks and the SDK

        backend: Backend
        if self.settings.engines and self.engine.name != self.settings.engines[0].name and \
                self.hosts_mode() != "lab":
            raise RefusedToRecord(f"{page.where}: engine {self.engine.name} runs only in labs "
                                  "(the shared daemon is whatever version this machine has)")
        if self.hosts_mode() == "lab":
            backend = LabBackend(page, self.engine, self.images, self.settings.cache_dir / "images", self.notify)
        else:
            backend = SharedBackend(page, self.engine, self.images, self.daemon(), uuid.uuid4().hex[:16],
                                    self.settings.workdir, self.notify)
        with Session(page, self.settings, self.engine, backend, notify=self.notify, progress=progress) as session:
            yield session
