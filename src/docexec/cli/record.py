"""`docexec record`: run pages now, each in a lab of its own, N at a time, on every engine, and write their
recordings; a live view of the running labs, and what changed in each page's transcripts."""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.live import Live
from rich.markup import escape
from rich.table import Table

from docexec.book.project import Project
from docexec.cli.console import console
from docexec.core.config import EngineSettings, Settings
from docexec.core.errors import DocexecError
from docexec.core.signals import interrupt_all
from docexec.page.model import Page
from docexec.store.normalize import normalize
from docexec.store.store import Change


def page_label(settings: Settings, engine: str, page: str) -> str:
    """How a page is named in messages: with its engine when the book has several."""
    return f"{page} [{engine}]" if len(settings.engines) > 1 else page


def record(settings: Settings, args: argparse.Namespace) -> int:
    if os.environ.get("CI", "").lower() == "true":
        console.print("[red]error:[/red] recording is refused when CI=true: recordings change only by a person's "
                      "review (run `nox -s record` locally and commit the diff)")
        return 2
    def say(message: str) -> None:
        console.print(f"[dim]{escape(message)}[/dim]")

    projects = _engine_projects(settings, args.engine, say)
    jobs_wanted = max(1, args.jobs or os.cpu_count() or 1)
    shared = projects[0].hosts_mode() == "shared"
    if shared:
        jobs_wanted = 1  # one shared daemon runs one page at a time
        if len(projects) > 1:
            say(f"docexec: on the shared daemon only engine {settings.engines[0].name} is recorded")
            projects = projects[:1]
    pages = select_pages(projects[0], settings, args.pages)
    work = [(project, page) for project in projects for page in pages if project.runs_here(page)]
    total = time.monotonic()
    progress = RecordingProgress([page_label(settings, p.engine.name, page.name) for p, page in work], jobs_wanted)
    failures: list[str] = []

    def run(project: Project, page: Page) -> tuple[str, tuple[Change, ...], float]:
        label = page_label(settings, project.engine.name, page.name)
        start = time.monotonic()
        progress.started(label)
        try:
            outcome = project.record(page, progress=lambda text: progress.command(label, text))
        finally:
            progress.finished(label)
        return label, outcome.changes, time.monotonic() - start

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    for sig in previous:
        signal.signal(sig, _raise_interrupt)
    pool = ThreadPoolExecutor(max_workers=jobs_wanted, thread_name_prefix="docexec-lab")
    futures = []
    try:
        with progress:
            futures = [(project, page, pool.submit(run, project, page)) for project, page in work]
            for project, page, future in futures:  # reported in page order, whatever order they finish in
                try:
                    label, changes, took = future.result()
                except Exception as exc:  # the SDK's own errors too (loading an image into the lab, say)
                    # docexec's messages name their page; any other error is said with the page it happened on
                    said = str(exc) if isinstance(exc, DocexecError) else f"{page.where}: {type(exc).__name__}: {exc}"
                    failures.append(said)
                    engine = f"[{project.engine.name}] " if len(settings.engines) > 1 else ""
                    progress.print(f"[red]failed[/red]    {escape(engine + said)}")
                    continue
                _report(label, changes, took, progress.print)
    except KeyboardInterrupt:
        interrupt_all(signal.SIGINT)
        for _, _, future in futures:
            future.cancel()
        pool.shutdown(wait=True)
        raise
    finally:
        pool.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for project in projects:
            project.close()
    engines_said = f" on engine {', '.join(p.engine.name for p in projects)}" if len(settings.engines) > 1 else ""
    console.print(f"recorded {len(work) - len(failures)} of {len(work)} page(s){engines_said} in "
                  f"{time.monotonic() - total:.1f} s ({jobs_wanted} at a time, "
                  f"{'on the shared daemon' if shared else 'each in a lab'})")
    return 1 if failures else 0


def _engine_projects(settings: Settings, wanted: list[str], say: Callable[[str], None]) -> list[Project]:
    """A project per engine to record on: the ones named, or every engine whose binaries are in place."""
    specs = [settings.engine_spec(name) for name in wanted] if wanted else list(settings.engines)
    chosen = []
    for spec in specs:
        problem = spec.missing()
        if problem and (wanted or spec is settings.engines[0]):
            raise DocexecError(problem)
        if problem:
            say(f"docexec: not recording on {problem}")
            continue
        chosen.append(Project(settings, EngineSettings.of(spec), mode="force", notify=say))
    return chosen


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _report(label: str, changes: tuple[Change, ...], took: float, say: Callable[[str], None]) -> None:
    """What recording a page changed in its transcripts and replays (the store's account of its save)."""
    if not changes:
        say(f"[green]unchanged[/green] {escape(label)} ({took:.1f} s)")
        return
    say(f"[yellow]changed[/yellow]   {escape(label)} ({took:.1f} s): {', '.join(c.name for c in changes)}")
    for change in changes:
        name = change.name
        if name.endswith(".cast"):  # a session's replay: its transcript beside it shows what changed
            say(f"[dim]  {escape(name)}: the replay changed[/dim]")
            continue
        old = normalize(change.before).splitlines(keepends=True)
        new = normalize(change.after).splitlines(keepends=True)
        diff = list(difflib.unified_diff(old, new, f"a/{name}", f"b/{name}", n=1))
        for line in diff or ["  (only volatile fields changed)\n"]:
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            say(f"[{style}]{escape(line.rstrip())}[/{style}]")


class RecordingProgress:
    """Live progress in a terminal: pages done of all, and each running lab's page and current command.
    Plain lines (one per page, as it finishes) when the output is not a terminal."""

    def __init__(self, pages: list[str], jobs: int) -> None:
        self.total, self.jobs = len(pages), jobs
        self.done = 0
        self.running: dict[str, str] = {}
        self._lock = threading.Lock()
        self._live = Live(self._render(), console=console, transient=True, refresh_per_second=8) \
            if console.is_terminal else None

    def __enter__(self) -> RecordingProgress:
        if self._live:
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._live.__exit__(None, None, None)

    def print(self, text: str) -> None:
        console.print(text)

    def started(self, page: str) -> None:
        self._update(page, "starting its lab")

    def command(self, page: str, text: str) -> None:
        self._update(page, text)

    def finished(self, page: str) -> None:
        with self._lock:
            self.running.pop(page, None)
            self.done += 1
        self._refresh()

    def _update(self, name: str, text: str) -> None:
        with self._lock:
            self.running[name] = text
        self._refresh()

    def _refresh(self) -> None:
        if self._live:
            self._live.update(self._render())

    def _render(self) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, overflow="ellipsis")  # one line per lab, whatever the terminal's width
        table.add_row(f"[bold]{self.done}/{self.total}[/bold] pages recorded", f"({self.jobs} at a time)")
        with self._lock:
            for name, text in self.running.items():
                table.add_row(f"  [cyan]{escape(name)}[/cyan]", f"[dim]$ {escape(text[:90])}[/dim]")
        return table


def named_page(settings: Settings, item: str) -> str:
    """A page given on the command line (a path, or a name below docs/) as the engine names it."""
    path = Path(item)
    try:
        name = settings.page_name(path) if path.exists() else item.removeprefix("docs/")
    except ValueError:
        raise DocexecError(f"{item}: not a page under {settings.docs_dir}") from None
    if not (settings.docs_dir / name).is_file():
        raise DocexecError(f"{item}: no such page under {settings.docs_dir}")
    return name


def select_pages(project: Project, settings: Settings, wanted: list[str]) -> list[Page]:
    """The pages to record; only those are parsed, so a broken page elsewhere does not block them."""
    if not wanted:
        return project.pages()
    chosen = []
    for item in wanted:
        page = project.load_page(named_page(settings, item))
        if not page.executed:
            raise DocexecError(f"{item}: has no exec blocks to record")
        chosen.append(page)
    return chosen
