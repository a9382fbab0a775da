"""The engine's front door for the MkDocs hook, the CLI and the pytest plugin: pages, their status, recording."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import recording
from .blocks import Page, parse_file, parse_page
from .config import Config
from .daemon import Daemon
from .errors import DaemonUnavailable, DocexecError, PageError, RefusedToRecord
from .images import ImageSpec, load_images
from .normalize import normalize
from .pagecache import PageCache
from .policy import Refused, check_static, check_typed
from .recording import CommandRecord, PageRecording

if TYPE_CHECKING:
    from .hosts import Mode as HostsMode
    from .runner import Session

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


class Project:
    def __init__(self, config: Config, *, mode: Mode = "auto",
                 notify: Callable[[str], None] = print) -> None:
        if mode not in MODES:
            raise DocexecError(f"unknown mode '{mode}': use one of {', '.join(MODES)}")
        self.config, self.mode, self.notify = config, mode, notify
        self.images: list[ImageSpec] = load_images(config.images_dir)
        self.stats = BuildStats()
        self._daemon: Daemon | None = None
        self._daemon_error: DaemonUnavailable | None = None
        self._hosts_mode: HostsMode | None = None
        self._image_digests: dict[str, tuple[tuple[float, ...], str]] = {}
        self._page_cache = PageCache(config)

    # ----------------------------------------------------------------------------------------------
    # pages

    def page_paths(self) -> list[Path]:
        return sorted(self.config.docs_dir.rglob("*.md"))

    def load_page(self, name: str, source: str | None = None) -> Page:
        """Parse a page and check every command it would run; PageError names the first problem.
        Pages that parsed cleanly before, with the same text, engine and settings, come from the page cache."""
        path = self.config.docs_dir / name
        where = path.relative_to(self.config.root).as_posix() if path.is_relative_to(self.config.root) else name
        if source is None:
            try:
                source = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                parse_file(path, name, where)  # raises the PageError that names the bad byte
                raise
        key = self._page_cache.key(name, source)
        cached = self._page_cache.get(key)
        if cached is not None:
            return cached
        page = parse_page(name, source, where)
        known = [e.name for e in self.config.engines]
        for engine in page.engines or ():
            if engine not in known:
                raise PageError(where, page.engines_line, f"engines: '{engine}' is not an engine of this book "
                                                          f"({', '.join(known)}; see pyproject.toml)")
        for block, command in page.commands:
            assert command.shell is not None
            try:
                check_static(command.shell, kind=block.kind, page=name, config=self.config, line=command.text)
            except Refused as exc:
                raise PageError(where, command.line, f"{exc.message} (in «{command.text[:80]}»)") from None
            for typed in command.typed:
                try:
                    check_typed(typed.text, self.config)
                except Refused as exc:
                    raise PageError(where, typed.line, f"{exc.message} (in «{typed.written[:80]}»)") from None
        self._page_cache.put(key, page)
        return page

    def pages(self) -> list[Page]:
        """Every page under docs/ that has executable blocks."""
        found = []
        for path in self.page_paths():
            page = self.load_page(self.config.page_name(path))
            if page.blocks:
                found.append(page)
        return found

    def runs_here(self, page: Page) -> bool:
        """Whether the page runs on this project's engine (front matter `engines:` may name only some)."""
        return page.engines is None or self.config.engine in page.engines

    def digest(self, page: Page) -> str:
        return page.digest(self._images_of(page))

    def context_digest(self, page: Page) -> str:
        return page.context_digest(self._images_of(page))

    def _images_of(self, page: Page) -> dict[str, str]:
        words = page.plain_words()
        return {spec.tag: self._image_digest(spec) for spec in self.images if spec.used_by(words)}

    def _image_digest(self, spec: ImageSpec) -> str:
        files = [p for p in spec.folder.rglob("*") if p.is_file()] + list(spec.host_files.values())
        stamp = tuple(p.stat().st_mtime if p.exists() else -1.0 for p in files)
        cached = self._image_digests.get(spec.tag)
        if cached and cached[0] == stamp:
            return cached[1]
        value = spec.digest()
        self._image_digests[spec.tag] = (stamp, value)
        return value

    def status(self, page: Page) -> recording.Status:
        return recording.status(self.config.snippets_dir, page, self.digest(page))

    def changed_blocks(self, page: Page) -> frozenset[str] | None:
        """Of a stale page: the blocks that changed since it was recorded (None: the whole page)."""
        return recording.changed_blocks(self.config.snippets_dir, page, self.context_digest(page))

    # ----------------------------------------------------------------------------------------------
    # where pages run: labs, or the shared daemon (asked at most once per build)

    def hosts_mode(self) -> HostsMode:
        """'lab' wherever labs can run; otherwise 'shared' (said once), or DaemonUnavailable when CI=true."""
        if self._hosts_mode is None:
            from .hosts import choose_mode, lab_settings  # labs, locks and processes only matter when a page runs

            self._hosts_mode = choose_mode(self.notify, lab_settings(self.config))
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
        self._page_cache.save()
        if self._daemon is not None:
            self._daemon.close()
            self._daemon = None

    # ----------------------------------------------------------------------------------------------
    # recording

    @contextmanager
    def session(self, page: Page, progress: Callable[[str], None] | None = None) -> Iterator[Session]:
        from .hosts import Backend, LabBackend, SharedBackend
        from .runner import Session  # only recording needs processes, locks and the SDK

        backend: Backend
        if self.config.engines and self.config.engine != self.config.engines[0].name and \
                self.hosts_mode() != "lab":
            raise RefusedToRecord(f"{page.where}: engine {self.config.engine} runs only in labs "
                                  "(the shared daemon is whatever version this machine has)")
        if self.hosts_mode() == "lab":
            backend = LabBackend(page, self.config, self.images, self.notify)
        else:
            backend = SharedBackend(page, self.config, self.images, self.daemon(), uuid.uuid4().hex[:16],
                                    self.notify)
        with Session(page, self.config, backend, notify=self.notify, progress=progress) as session:
            yield session

    def record(self, page: Page, progress: Callable[[str], None] | None = None) -> Outcome:
        """Run every block of the page now and write the recording (only when the whole page succeeded)."""
        digest = self.digest(page)
        had = recording.status(self.config.snippets_dir, page, digest) != "missing"
        old = recording.load(self.config.snippets_dir, page) if had else None
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
        if old is not None and old.engine == engine and _same(old, results, page):
            # Only volatile fields moved: keep the reviewed files, refresh the hash if the page changed. A session's
            # new byte stream goes along: its replay is rewritten only if missing or if what it shows changed.
            results = {block_id: [dataclasses.replace(o, events=n.events) for o, n in zip(records, results[block_id],
                                                                                       strict=True)]
                       for block_id, records in old.blocks.items()}
            recorded = old.recorded
        else:
            recorded = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        changed = recording.write(self.config.snippets_dir, page, digest, results, engine, recorded,
                                  self.context_digest(page))
        self.stats.recorded.append(page.name)
        return Outcome(page, recording.load(self.config.snippets_dir, page), "current", tuple(changed))

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
        stored = recording.load(self.config.snippets_dir, page)
        if status == "current":
            self.stats.from_recordings.append(page.name)
        elif status == "stale":
            self.stats.stale.append(page.name)
        else:
            self.stats.missing.append(page.name)
        stale_blocks = self.changed_blocks(page) if status == "stale" else None
        return Outcome(page, stored, status, reason=reason, stale_blocks=stale_blocks)


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

