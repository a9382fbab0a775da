"""The engine's front door for the MkDocs hook, the CLI and the pytest plugin: a book on one engine, and what a
build or `record` does with each page. Its pages are a PageSet (pageset.py); where they run, Where (where.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from docexec.book.pageset import PageSet
from docexec.core.config import EngineSettings, Settings
from docexec.core.errors import DaemonUnavailable, DocexecError, RecordingError, RefusedToRecord
from docexec.page.model import Page
from docexec.run.where import Where
from docexec.store import recording
from docexec.store.normalize import normalize
from docexec.store.recording import CommandRecord, PageRecording

# auto: run pages whose recording is missing or stale when they can run; force: run every page; offline: never run
# a page; publish: never run a page, and a page whose recording is not current is an error (the MkDocs hook's).
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
    status: recording.Status
    changed: tuple[Path, ...] = ()
    reason: str = ""  # why a stale page was not recorded
    stale_blocks: frozenset[str] | None = None  # of a stale page: the blocks that changed; None: the whole page


class Project(PageSet, Where):
    """A book on one engine: its pages (PageSet), where they run (Where), and what a build or `record` does with
    each: use its recording, or run it and write a new one."""

    def __init__(self, settings: Settings, engine: EngineSettings | None = None, *, mode: Mode = "auto",
                 notify: Callable[[str], None] = print) -> None:
        """`engine`: the one the pages run on here (default: the book's first, with its own CLI)."""
        if mode not in MODES:
            raise DocexecError(f"unknown mode '{mode}': use one of {', '.join(MODES)}")
        PageSet.__init__(self, settings, engine or EngineSettings.of(settings.engines[0]))
        Where.__init__(self)
        self.mode, self.notify = mode, notify
        self.stats = BuildStats()

    def close(self) -> None:
        PageSet.close(self)
        Where.close(self)

    def record(self, page: Page, progress: Callable[[str], None] | None = None) -> Outcome:
        """Run every block of the page now and write the recording (only when the whole page succeeded)."""
        digest = self.digest(page)
        old = self._old_recording(page)
        results: dict[str, list[CommandRecord]] = {}
        with self.session(page, progress) as session:
            for block in page.executed:
                outputs = []
                for command in block.commands:
                    result = session.run(block, command)
                    outputs.append(CommandRecord(command.text, result.output, result.returncode, result.duration,
                                                 result.typed_at, result.events))
                results[block.id] = outputs
            engine = session.engine()
        if old is not None and comparable(old.engine) == comparable(engine) and _same(old, results, page):
            # Only volatile fields moved: keep the reviewed files byte for byte, the engine facts they were
            # recorded with included (refresh the hash if the page changed). A session's new byte stream goes
            # along: its replay is rewritten only if missing or if what it shows changed.
            results = {block_id: [dataclasses.replace(o, events=n.events) for o, n in zip(records, results[block_id],
                                                                                       strict=True)]
                       for block_id, records in old.blocks.items()}
            recorded, engine = old.recorded, old.engine
        else:
            recorded = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        changed = recording.write(self.engine.snippets_dir, page, digest, results, engine, recorded,
                                  self.context_digest(page))
        self.stats.recorded.append(page.name)
        return Outcome(page, recording.load(self.engine.snippets_dir, page), "current", tuple(changed))

    def _old_recording(self, page: Page) -> PageRecording | None:
        """The recording a new one is compared with (to keep its files when only volatile fields moved): none
        when it is broken, unreadable or edited by hand, which a new recording simply replaces."""
        try:
            old = recording.load(self.engine.snippets_dir, page)
        except RecordingError:
            return None
        return None if old is None or old.edited else old

    def ensure(self, page: Page) -> Outcome:
        """What a build does with a page: use a current recording, or run the page when the mode and the daemon
        allow it; a page that cannot be run keeps its (stale) recording."""
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
        stored = recording.load(self.engine.snippets_dir, page)
        if status == "current":
            self.stats.from_recordings.append(page.name)
        elif status == "stale":
            self.stats.stale.append(page.name)
        else:
            self.stats.missing.append(page.name)
        stale_blocks = self.changed_blocks(page) if status == "stale" else None
        return Outcome(page, stored, status, reason=reason, stale_blocks=stale_blocks)


# The engine facts that make two recordings comparable: the same Docker Engine (version, API), the same OS it
# reports, the same docker CLI, and the same way of running (a lab or the shared daemon; the page's hosts). The
# other facts are written for information only: the kernel's build string differs between machines of the same
# kind (6.18.44-fc-v669 here, -v1272 there), and the storage driver and cgroup version are properties of the
# machine the lab runs on, not of the engine. Whatever any of them changes in what a reader sees shows in the
# outputs themselves, which _same compares; a difference in them alone must not rewrite reviewed recordings.
COMPARABLE = ("engine", "api", "os", "client", "mode", "hosts")


def comparable(engine: dict[str, str]) -> dict[str, str]:
    """The facts of a recording's engine that two recordings must share to be compared (COMPARABLE)."""
    return {key: engine[key] for key in COMPARABLE if key in engine}


def _same(old: PageRecording, new: dict[str, list[CommandRecord]], page: Page) -> bool:
    for block in page.executed:
        before, after = old.blocks.get(block.id), new.get(block.id)
        if before is None or after is None or len(before) != len(after):
            return False
        for a, b in zip(before, after, strict=True):
            if a.command != b.command or a.returncode != b.returncode:
                return False
            if normalize(a.output, block.volatile) != normalize(b.output, block.volatile):
                return False
    return True

