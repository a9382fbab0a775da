"""Stopping pages: what every page's running commands are, and how a signal or the process's end stops them.

`PROCESSES` is the one object that knows, across every page and thread of this process, which process groups are
running, which pages are not yet closed, and whether the whole process was asked to stop. A `SignalGuard` is one
page's hold on SIGINT, SIGTERM and SIGHUP while it runs (in the main thread only: only it can take signals).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Protocol

from docexec.core.errors import DocexecError


class Interrupted(DocexecError):
    """SIGTERM or SIGHUP arrived while a page was running; cleanup has run."""


class Closable(Protocol):
    def emergency_close(self) -> None: ...


class Processes:
    """The running commands' process groups, the open pages and a stop request, for the whole process."""

    def __init__(self) -> None:
        self._groups: set[int] = set()
        self._open: set[Closable] = set()  # no lock: a signal handler uses these in whichever thread it interrupts
        self.stop_signal = 0  # a signal number once the whole process has been asked to stop
        self.cleaning = 0  # cleanups under way: a signal then waits until they are done
        self.deferred = 0  # the signal that came during a cleanup (0: none), until a page stops for it

    def started(self, pgid: int) -> None:
        self._groups.add(pgid)

    def ended(self, pgid: int) -> None:
        self._groups.discard(pgid)

    @property
    def running(self) -> bool:
        return bool(self._groups)

    def kill_all(self) -> None:
        for pgid in list(self._groups):  # a copy made under the GIL, as other threads add and remove
            kill_group(pgid)

    def opened(self, page: Closable) -> None:
        self._open.add(page)

    def closed(self, page: Closable) -> None:
        self._open.discard(page)

    def is_open(self, page: Closable) -> bool:
        return page in self._open

    @contextlib.contextmanager
    def cleanup(self) -> Iterator[None]:
        """While a page's cleanup runs (removing its lab or its objects; also a lab that failed to start), a signal
        does not cut it short, which would leave them behind: it is kept (`deferred`) for the page to stop with
        once the cleanup is done."""
        self.cleaning += 1
        try:
            yield
        finally:
            self.cleaning -= 1

    def interrupt_all(self, signum: int) -> None:
        """Stop every page running in any thread: kill their running commands; each page then raises Interrupted
        at its next safe point and removes what it created (for `docexec record -j`, whose pages run in threads)."""
        self.stop_signal = signum
        self.kill_all()

    def at_exit(self) -> None:
        """The process is ending with a page still running: `mkdocs serve` runs rebuilds in a daemon thread, so
        after Ctrl-C its main thread exits without unwinding that thread. Stop the page's commands and remove what
        it made."""
        self.kill_all()
        for page in list(self._open):
            with contextlib.suppress(Exception):
                page.emergency_close()


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


PROCESSES = Processes()
atexit.register(PROCESSES.at_exit)


def interrupt_all(signum: int) -> None:
    PROCESSES.interrupt_all(signum)


class SignalGuard:
    """While a page runs in the main thread, SIGINT, SIGTERM and SIGHUP stop the running command (its whole process
    group) and then the page, at a point where cleanup can run; one that comes during the cleanup stops the page
    once the cleanup is done. Pages run in other threads are stopped through `interrupt_all` by whoever owns the
    main thread."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self, name: str) -> None:
        self.name, self.processes = name, PROCESSES
        self._old: dict[int, object] = {}
        self._signal = 0

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def interrupted(signum: int, frame: FrameType | None) -> None:
            self._signal = signum
            if self.processes.running:
                self.processes.kill_all()
            elif self.processes.cleaning:
                self.processes.deferred = signum
            else:
                self.raise_if_interrupted()

        for sig in self.SIGNALS:
            self._old[sig] = signal.signal(sig, interrupted)

    def raise_if_interrupted(self) -> None:
        signum = self._signal or self.processes.stop_signal
        if signum:
            self._signal = self.processes.deferred = 0
            raise Interrupted(f"stopped by {signal.Signals(signum).name} while running {self.name}; "
                              "everything the page created was removed")

    def restore(self) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._old.clear()
