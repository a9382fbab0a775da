"""Spare labs, for `mkdocs serve` only: while serve waits for the next edit, a lab like the one a page just used
(the same hosts, dockerd settings, engine and lesson images) is started in the background and handed to the page's
next run, and the page's own lab is destroyed in the background too, after its outputs are saved.

A spare is started by one of this module's worker threads, which live as long as the process: a lab's sandboxes
die with the thread that started them (bubblewrap's --die-with-parent), so a spare dies with the process, however
it ends. What a SIGKILLed process leaves (the spare's state folder and cgroups) is removed by the next run's
`sweep`, like any lab's. `record` and the drift check never keep spares: they start their labs in parallel
already, and a spare there would only hold the machine's memory.
"""

from __future__ import annotations

import atexit
import contextlib
import queue
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Protocol

WORKERS = 2  # spares started at once: one per engine of a two-engine book


class Spare(Protocol):
    """What the pool keeps: started by entering it (in a worker), ended by close()."""

    def __enter__(self) -> object: ...

    def close(self, *, failing: bool = False) -> None: ...


class Spares:
    """The process's spare labs by key (what a page needs of its lab), and the labs waiting to be destroyed."""

    def __init__(self) -> None:
        self.enabled = False
        self._lock = threading.Lock()
        self._ready: dict[Hashable, tuple[Spare, Future[None]]] = {}  # started, or being started
        self._wanted: dict[Hashable, Callable[[], Spare]] = {}
        self._retired: list[Callable[[], None]] = []
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], Future[None]]] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []

    def enable(self) -> None:
        """Keep spares from now on (mkdocs serve); they are destroyed at the process's exit."""
        with self._lock:
            if not self.enabled and not self._workers:  # (the first time: no worker yet)
                atexit.register(self.close_all)
            self.enabled = True

    def take(self, key: Hashable) -> Spare | None:
        """The spare for `key`, once it has started (waiting for it if it is still starting); None if there is
        none or it did not start (the caller starts a lab of its own)."""
        with self._lock:
            spare, started = self._ready.pop(key, (None, None))
        if spare is None or started is None:
            return None
        try:
            started.result()
        except BaseException:  # a spare that failed removed what it made (LabBackend.__enter__)
            return None
        return spare

    def retire(self, close: Callable[[], None]) -> None:
        """Destroy a page's lab at the next refill (after the build), off the page's critical path."""
        with self._lock:
            self._retired.append(close)

    def want(self, key: Hashable, make: Callable[[], Spare]) -> None:
        """Have a spare for `key` after the build (`make` gives it, not yet started)."""
        with self._lock:
            self._wanted[key] = make

    def refill(self) -> None:
        """Between rebuilds: destroy the retired labs, start the wanted spares, and destroy the spares the build's
        pages did not want (if it ran any: an edit of a page's words leaves the spares for its next edit)."""
        with self._lock:
            retired, self._retired = self._retired, []
            wanted, self._wanted = self._wanted, {}
            if wanted:
                retired += [spare.close for key, (spare, _) in self._ready.items() if key not in wanted]
                self._ready = {key: item for key, item in self._ready.items() if key in wanted}
            for close in retired:  # first: the workers take jobs in order
                self._submit(close)
            for key, make in wanted.items():
                if key not in self._ready:
                    spare = make()
                    self._ready[key] = (spare, self._submit(spare.__enter__))

    def close_all(self) -> None:
        """Destroy every spare, started or starting, and every retired lab, now (at exit, or serve's end); keep no
        more (a spare starting does not try again with a fresh lab)."""
        with self._lock:
            self.enabled = False
            retired, self._retired = self._retired, []
            spares, self._ready = [spare for spare, _ in self._ready.values()], {}
            self._wanted = {}
        for close in retired:
            with contextlib.suppress(Exception):
                close()
        for spare in spares:  # one still starting is closed under its starter: Lab.close is safe for that
            with contextlib.suppress(Exception):
                spare.close(failing=True)

    def _submit(self, job: Callable[[], object]) -> Future[None]:
        done: Future[None] = Future()
        self._jobs.put((job, done))
        if len(self._workers) < WORKERS:
            worker = threading.Thread(target=self._work, name=f"docexec-spares-{len(self._workers)}", daemon=True)
            self._workers.append(worker)
            worker.start()
        return done

    def _work(self) -> None:
        """A worker: it never ends before the process does (the labs it started would die with it)."""
        while True:
            job, done = self._jobs.get()
            try:
                job()
            except BaseException as exc:  # told to whoever takes the spare
                done.set_exception(exc)
            else:
                done.set_result(None)


SPARES = Spares()
