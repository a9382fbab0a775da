"""`docexec`: check, record and inspect the executable pages without building the site.

    docexec lint                 parse every page and check every command (no daemon needed)
    docexec status               which pages are current, stale or never recorded
    docexec record [PAGE ...]    run pages now and write their recordings (all pages by default)
    docexec clean                remove containers, networks and volumes left by killed runs
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from . import recording
from .blocks import Page
from .config import Config, load_config
from .errors import DocexecError
from .lock import DaemonLock
from .normalize import normalize
from .project import Project

console = Console(highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="docexec", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lint", help="check every page without running anything")
    sub.add_parser("status", help="show which recordings are current")
    rec = sub.add_parser("record", help="run pages now and write their recordings")
    rec.add_argument("pages", nargs="*", help="pages (paths or names below docs/); default: all")
    cln = sub.add_parser("clean", help="remove objects left by interrupted runs")
    cln.add_argument("--check", action="store_true",
                     help="remove nothing; fail if any container, network or volume of a run is left")
    args = parser.parse_args(argv)
    try:
        config = load_config()
        return {"lint": lint, "status": status, "record": record, "clean": clean}[args.command](config, args)
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
    project = Project(config, mode="offline")
    worst = 0
    for page in project.pages():
        state = project.status(page)
        meta = recording.read_meta(config.snippets_dir, page.name) or {}
        colour = {"current": "green", "stale": "yellow", "missing": "red"}[state]
        console.print(f"[{colour}]{state:8}[/{colour}] {page.name}  ({len(page.commands)} commands"
                      + (f", recorded {str(meta.get('recorded', ''))[:10]})" if meta else ")"))
        worst = max(worst, 0 if state == "current" else 1)
    return worst


def record(config: Config, args: argparse.Namespace) -> int:
    if os.environ.get("CI", "").lower() == "true":
        console.print("[red]error:[/red] recording is refused when CI=true: recordings change only by a person's "
                      "review (run `nox -s record` locally and commit the diff)")
        return 2
    project = Project(config, mode="force", notify=lambda m: console.print(f"[dim]{m}[/dim]"))
    pages = _select(project, config, args.pages)
    total = time.monotonic()
    for page in pages:
        before = _transcripts(config, page)
        start = time.monotonic()
        with console.status(f"recording {page.name} ({len(page.commands)} commands)"):
            project.record(page)
        after = _transcripts(config, page)
        changed = [name for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]
        took = time.monotonic() - start
        if not changed:
            console.print(f"[green]unchanged[/green] {page.name} ({took:.1f} s)")
            continue
        console.print(f"[yellow]changed[/yellow]   {page.name} ({took:.1f} s): {', '.join(changed)}")
        for name in changed:
            old = normalize(before.get(name, "")).splitlines(keepends=True)
            new = normalize(after.get(name, "")).splitlines(keepends=True)
            diff = list(difflib.unified_diff(old, new, f"a/{name}", f"b/{name}", n=1))
            for line in diff or ["  (only volatile fields changed)\n"]:
                style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
                console.print(f"[{style}]{escape(line.rstrip())}[/{style}]")
    project.close()
    console.print(f"recorded {len(pages)} page(s) in {time.monotonic() - total:.1f} s")
    return 0


def clean(config: Config, args: argparse.Namespace) -> int:
    project = Project(config)
    daemon = project.daemon()
    with DaemonLock(daemon.identity(), "docexec clean"):
        if args.check:
            left = daemon.labelled()
            console.print(f"docexec: {len(left)} objects left by runs" + (": " + ", ".join(left) if left else ""))
            return 1 if left else 0
        removed = daemon.remove_labelled()
    console.print(f"removed {len(removed)} objects" + (": " + ", ".join(removed) if removed else ""))
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
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


if __name__ == "__main__":
    sys.exit(main())
