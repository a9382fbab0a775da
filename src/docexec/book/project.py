"""The engine's front door for the MkDocs plugin, the CLI and the pytest plugin: a book on one engine, and what a
build or `record` does with each page. Its pages are a PageSet (pageset.py); where they run, Hosting (hosting.py)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from docexec.book.pageset import PageSet
from docexec.core.config import EngineSettings, Settings
from docexec.core.errors import DaemonUnavailable, DocexecError, RefusedToRecord
from docexec.page.model import Page
from docexec.run.hosting import Hosting
from docexec.store.recording import CommandRecord, PageRecording, Status
from docexec.store.store import Change, NewRecording, Saved

# auto: run pages whose recording is missing or stale when they can run; force: run every page; offline: never run
# a page; publish: never run a page, and a page whose recording is not current is an error (the MkDocs plugin's).
Mode = Literal["auto", "force", "offline", "publish"]
MODES: tuple[Mode, ...] = ("auto", "force", "offline", "publish")


@dataclass
class BuildStats:
    recorded: list[str] = field(default_factory=list)
    from_recordings: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.recorded)} page(s) run and recorded",
                 f"{len(self.from_recordings)} from recordings"]
        if self.stale:
            parts.append(f"{len(self.stale)} stale ({', '.join(self.stale)})")
        if self.missing:
            parts.append(f"{len(self.missing)} never recorded ({', '.join(self.missing)})")
        return "docexec: " + ", ".join(parts)


@dataclass(frozen=True)
class Outcome:
    page: Page
    stored: PageRecording | None
    status: Status
    saved: Saved | None = None  # of a page recorded now: what the store did with its new recording
    reason: str = ""  # why a stale page was not recorded
    stale_blocks: frozenset[str] | None = None  # of a stale page: the blocks that changed; None: the whole page

    @property
    def changed(self) -> tuple[Path, ...]:
        """The recording's files that recording the page now wrote or removed."""
        return self.saved.changed if self.saved is not None else ()

    @property
    def changes(self) -> tuple[Change, ...]:
        """Its transcripts and replays among them, with their text before and after."""
        return self.saved.changes if self.saved is not None else ()


class Project(PageSet, Hosting):
    """A book on one engine: its pages (PageSet), where they run (Hosting), and what a build or `record` does with
    each: use its recording, or run it and write a new one."""

    def __init__(self, settings: Settings, engine: EngineSettings | None = None, *, mode: Mode = "auto",
                 notify: Callable[[str], None] = print) -> None:
        """`engine`: the one the pages run on here (default: the book's first, with its own CLI)."""
        if mode not in MODES:
            raise DocexecError(f"unknown mode '{mode}': use one of {', '.join(MODES)}")
        PageSet.__init__(self, settings, engine or EngineSettings.of(settings.engines[0]))
        Hosting.__init__(self)
        self.mode, self.notify = mode, notify
        self.stats = BuildStats()

    def close(self) -> None:
        """Write the page cache and let go of the shared daemon's client (if one was asked)."""
        PageSet.close(self)
        Hosting.close(self)

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record(self, page: Page, progress: Callable[[str], None] | None = None) -> Outcome:
        """Run every block of the page now and save the recording (only when the whole page succeeded): the store
        keeps the stored files as they are when only volatile fields moved."""
        page = self.here(page)  # its blocks limited to other engines are not run, nor recorded
        digest = self.digest(page)
        results: dict[str, list[CommandRecord]] = {}
        with self.session(page, progress) as session:
            for block in session.page.executed:
                outputs = []
                for command in block.commands:
                    result = session.run(block, command)
                    if block.exec_kind.pictured:
                        result = replace(result, figure=session.picture(block, result.output))
                    outputs.append(CommandRecord(command.text, result.output, result.returncode, result.duration,
                                                 result.typed_at, result.events, result.figure))
                results[block.id] = outputs
            engine = session.engine()
        saved = self.store.save(page, NewRecording(digest, self.context_digest(page), results, engine))
        self.stats.recorded.append(page.name)
        return Outcome(page, saved.stored, "current", saved)

    def ensure(self, page: Page) -> Outcome:
        """What a build does with a page: use a current recording, or run the page when the mode and the daemon
        allow it; a page that cannot be run keeps its (stale) recording."""
        page = self.here(page)
        if not page.executed or not self.runs_here(page):
            return Outcome(page, None, "current")
        status = self.status(page)
        if self.mode == "force" or (self.mode == "auto" and status != "current"):
            try:
                return self.record(page)
            except DaemonUnavailable as exc:
                if self.mode == "force":
                    raise
                reason = str(exc)
            except RefusedToRecord as exc:
                reason = str(exc)
        else:
            reason = f"{self.mode} mode" if status != "current" else ""
        stored = self.store.load(page)
        if status == "current":
            self.stats.from_recordings.append(page.name)
        elif status == "stale":
            self.stats.stale.append(page.name)
        else:
            self.stats.missing.append(page.name)
        stale_blocks = self.changed_blocks(page) if status == "stale" else None
        return Outcome(page, stored, status, reason=reason, stale_blocks=stale_blocks)


def ensure_everywhere(projects: list[Project], page: Page) -> list[tuple[Project, Outcome]]:
    """What a build does with the page on each engine (its projects): the other engines' runs go beside the
    first's, each in a lab of its own (an edit in `mkdocs serve` runs the page on every engine)."""
    if len(projects) == 1:
        return [(projects[0], projects[0].ensure(page))]
    with ThreadPoolExecutor(len(projects) - 1, thread_name_prefix="docexec-engine") as pool:
        others = [pool.submit(project.ensure, page) for project in projects[1:]]
        first = projects[0].ensure(page)
        return [(projects[0], first), *((p, o.result()) for p, o in zip(projects[1:], others, strict=True))]
