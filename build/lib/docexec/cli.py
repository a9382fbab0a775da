"""`docexec`: check, record and inspect the executable pages without building the site.

    docexec lint                 parse every page and check every command (no daemon needed)
    docexec status               which pages are current, stale or never recorded
    docexec record [-j N] [--engine NAME] [PAGE ...]
                                 run pages now, each in a lab of its own, N at a time, on every engine (or the
                                 ones named), and write their recordings (all pages by default)
    docexec engines              fetch the engines pyproject.toml pins (Debian packages, unpacked under .cache)
    docexec clean [--check]      remove labs (and shared-daemon objects) left by killed runs
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from . import lab, recording
from .blocks import Page
from .config import Config, load_config
from .errors import DaemonUnavailable, DocexecError
from .lock import DaemonLock
from .normalize import normalize
from .project import Project
from .runner import interrupt_all

console = Console(highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="docexec", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lint", help="check every page without running anything")
    sub.add_parser("status", help="show which recordings are current")
    rec = sub.add_parser("record", help="run pages now and write their recordings")
    rec.add_argument("pages", nargs="*", help="pages (paths or names below docs/); default: all")
    rec.add_argument("-j", "--jobs", type=int, default=0,
                     help="pages recorded at once, each in its own lab (default: the number of cores)")
    rec.add_argument("--engine", action="append", default=[],
                     help="record on this engine only (repeatable; default: every engine that is in place)")
    sub.add_parser("engines", help="fetch the engines that pyproject.toml pins")
    cln = sub.add_parser("clean", help="remove objects left by interrupted runs")
    cln.add_argument("--check", action="store_true",
                     help="remove nothing; fail if any container, network or volume of a run is left")
    args = parser.parse_args(argv)
    try:
        config = load_config()
        return {"lint": lint, "status": status, "record": record, "clean": clean,
                "engines": engines}[args.command](config, args)
    except DocexecError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 1
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]: the page's containers, networks and volumes were removed")
        return 130


def lint(config: Config, args: argparse.Namespace) -> int:
    project = Project(config, mode="offline")
    pages = project.pages()
    commands = sum(len(p.commands) for p in pages)
    console.print(f"{len(pages)} pages, {sum(len(p.blocks) for p in pages)} blocks, {commands} commands: ok")
    return 0


def status(config: Config, args: argparse.Namespace) -> int:
    worst = 0
    for spec in config.engines:
        engine_config = config.for_engine(spec)
        project = Project(engine_config, mode="offline")
        for page in filter(project.runs_here, project.pages()):
            state = project.status(page)
            meta = recording.read_meta(engine_config.snippets_dir, page.name) or {}
            colour = {"current": "green", "stale": "yellow", "missing": "red"}[state]
            changed = ""
            if state == "stale":
                blocks = project.changed_blocks(page)
                changed = "; changed: " + ("the whole page" if blocks is None else ", ".join(sorted(blocks)) or
                                           "blocks removed, moved or hidden")
            console.print(f"[{colour}]{state:8}[/{colour}] {_label(config, spec.name, page.name)}  "
                          f"({len(page.commands)} commands"
                          + (f", recorded {str(meta.get('recorded', ''))[:10]}" if meta else "") + f"{changed})")
            worst = max(worst, 0 if state == "current" else 1)
    return worst


def engines(config: Config, args: argparse.Namespace) -> int:
    from .engines import fetch

    for spec in config.engines:
        if spec.packages:
            if not fetch(spec, config.root / ".cache" / "engines", lambda m: console.print(escape(m))):
                console.print(f"engine {spec.name}: in place ({spec.into})")
        else:
            console.print(f"engine {spec.name or 'default'}: the machine's own"
                          + (f" ({spec.missing()})" if spec.missing() else ""))
    return 0


def _label(config: Config, engine: str, page: str) -> str:
    """How a page is named in messages: with its engine when the book has several."""
    return f"{page} [{engine}]" if len(config.engines) > 1 else page


def record(config: Config, args: argparse.Namespace) -> int:
    if os.environ.get("CI", "").lower() == "true":
        console.print("[red]error:[/red] recording is refused when CI=true: recordings change only by a person's "
                      "review (run `nox -s record` locally and commit the diff)")
        return 2
    def say(message: str) -> None:
        console.print(f"[dim]{escape(message)}[/dim]")

    projects = _engine_projects(config, args.engine, say)
    jobs_wanted = max(1, args.jobs or os.cpu_count() or 1)
    shared = projects[0].hosts_mode() == "shared"
    if shared:
        jobs_wanted = 1  # one shared daemon runs one page at a time
        if len(projects) > 1:
            say(f"docexec: on the shared daemon only engine {config.engines[0].name} is recorded")
            projects = projects[:1]
    pages = _select(projects[0], config, args.pages)
    work = [(project, page) for project in projects for page in pages if project.runs_here(page)]
    total = time.monotonic()
    progress = RecordingProgress([_label(config, p.config.engine, page.name) for p, page in work], jobs_wanted)
    failures: list[str] = []

    def run(project: Project, page: Page) -> tuple[str, dict[str, str], float]:
        label = _label(config, project.config.engine, page.name)
        before = _transcripts(project.config, page)
        start = time.monotonic()
        progress.started(label)
        try:
            project.record(page, progress=lambda text: progress.command(label, text))
        finally:
            progress.finished(label)
        return label, before, time.monotonic() - start

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
                    label, before, took = future.result()
                except DocexecError as exc:
                    failures.append(str(exc))
                    engine = f"[{project.config.engine}] " if len(config.engines) > 1 else ""
                    progress.print(f"[red]failed[/red]    {escape(engine + str(exc))}")
                    continue
                _report(project.config, page, label, before, took, progress.print)
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
    engines_said = f" on engine {', '.join(p.config.engine for p in projects)}" if len(config.engines) > 1 else ""
    console.print(f"recorded {len(work) - len(failures)} of {len(work)} page(s){engines_said} in "
                  f"{time.monotonic() - total:.1f} s ({jobs_wanted} at a time, "
                  f"{'on the shared daemon' if shared else 'each in a lab'})")
    return 1 if failures else 0


def _engine_projects(config: Config, wanted: list[str], say: Callable[[str], None]) -> list[Project]:
    """A project per engine to record on: the ones named, or every engine whose binaries are in place."""
    specs = [config.engine_spec(name) for name in wanted] if wanted else list(config.engines)
    chosen = []
    for spec in specs:
        problem = spec.missing()
        if problem and (wanted or spec is config.engines[0]):
            raise DocexecError(problem)
        if problem:
            say(f"docexec: not recording on {problem}")
            continue
        chosen.append(Project(config.for_engine(spec), mode="force", notify=say))
    return chosen


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _report(config: Config, page: Page, label: str, before: dict[str, str], took: float,
            say: Callable[[str], None]) -> None:
    after = _transcripts(config, page)
    changed = [name for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]
    if not changed:
        say(f"[green]unchanged[/green] {escape(label)} ({took:.1f} s)")
        return
    say(f"[yellow]changed[/yellow]   {escape(label)} ({took:.1f} s): {', '.join(changed)}")
    for name in changed:
        if name.endswith(".cast"):  # a session's replay: its transcript beside it shows what changed
            say(f"[dim]  {escape(name)}: the replay changed[/dim]")
            continue
        old = normalize(before.get(name, "")).splitlines(keepends=True)
        new = normalize(after.get(name, "")).splitlines(keepends=True)
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


def clean(config: Config, args: argparse.Namespace) -> int:
    """Labs left by killed runs (their processes, cgroups and state), and the labelled objects of the shared
    daemon when one answers."""
    left: list[str] = []
    if not lab.unsupported_reason():
        left += lab.leftovers() if args.check else lab.sweep()
    project = Project(config)
    try:
        daemon = project.daemon()
    except DaemonUnavailable:
        daemon = None
    if daemon is not None:
        with DaemonLock(daemon.identity(), "docexec clean"):
            left += daemon.labelled() if args.check else daemon.remove_labelled()
    if args.check:
        console.print(f"docexec: {len(left)} objects left by runs" + (": " + ", ".join(left) if left else ""))
        return 1 if left else 0
    console.print(f"removed {len(left)} objects" + (": " + ", ".join(left) if left else ""))
    return 0


def _select(project: Project, config: Config, wanted: list[str]) -> list[Page]:
    """The pages to record; only those are parsed, so a broken page elsewhere does not block them."""
    if not wanted:
        return project.pages()
    chosen = []
    for item in wanted:
        path = Path(item)
        name = config.page_name(path) if path.exists() else item.removeprefix("docs/")
        if not (config.docs_dir / name).is_file():
            raise DocexecError(f"{item}: no such page under {config.docs_dir}")
        page = project.load_page(name)
        if not page.executed:
            raise DocexecError(f"{item}: has no exec blocks to record")
        chosen.append(page)
    return chosen


def _transcripts(config: Config, page: Page) -> dict[str, str]:
    folder = recording.page_folder(config.snippets_dir, page.name)
    if not folder.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.suffix in (".txt", ".cast")}


if __name__ == "__main__":
    sys.exit(main())
