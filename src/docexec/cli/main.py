"""`docexec`: check, record and inspect the executable pages without building the site.

    docexec lint [PAGE ...]      parse the pages (all by default) and check every command, reporting every problem
                                 of every page (no daemon needed)
    docexec status               which pages are current, stale or never recorded
    docexec record [-j N] [--engine NAME] [PAGE ...]
                                 run pages now, each in a lab of its own, N at a time, on every engine (or the
                                 ones named), and write their recordings (all pages by default)
    docexec engines [--update]   fetch the lab userland (docexec/userland/userland.lock) and the engines pyproject.toml
                                 pins (Debian packages, sha256-checked, unpacked under .cache); --update resolves
                                 the userland's packages anew, rewrites the lock and says what moved
    docexec engines --add        pin only what the userland's lock lacks (packages new in PACKAGES), keeping
                                 every existing pin
    docexec clean [--check]      remove labs (and shared-daemon objects) left by killed runs
"""

from __future__ import annotations

import argparse
import sys

from rich.markup import escape

from docexec import lab
from docexec.book.project import Project
from docexec.cli.console import console
from docexec.cli.record import named_page, page_label, record
from docexec.core.config import EngineSettings, Settings, load_config
from docexec.core.errors import DaemonUnavailable, DocexecError, PageError, PageErrors
from docexec.hosts.lock import DaemonLock
from docexec.page.model import Page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="docexec", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    lnt = sub.add_parser("lint", help="check pages without running anything; every problem is reported")
    lnt.add_argument("pages", nargs="*", help="pages (paths or names below docs/); default: all")
    sub.add_parser("status", help="show which recordings are current")
    rec = sub.add_parser("record", help="run pages now and write their recordings")
    rec.add_argument("pages", nargs="*", help="pages (paths or names below docs/); default: all")
    rec.add_argument("-j", "--jobs", type=int, default=0,
                     help="pages recorded at once, each in its own lab (default: the number of cores)")
    rec.add_argument("--engine", action="append", default=[],
                     help="record on this engine only (repeatable; default: every engine that is in place)")
    eng = sub.add_parser("engines", help="fetch the lab userland and the engines that pyproject.toml pins")
    how = eng.add_mutually_exclusive_group()
    how.add_argument("--update", action="store_true",
                     help="resolve the lab userland's packages anew from Debian, rewrite its lock, say what moved")
    how.add_argument("--add", action="store_true",
                     help="pin only the packages the lock lacks (new in PACKAGES) and keep every existing pin")
    cln = sub.add_parser("clean", help="remove objects left by interrupted runs")
    cln.add_argument("--check", action="store_true",
                     help="remove nothing; fail if any container, network or volume of a run is left")
    args = parser.parse_args(argv)
    try:
        settings = load_config()
        return {"lint": lint, "status": status, "record": record, "clean": clean,
                "engines": engines}[args.command](settings, args)
    except DocexecError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 1
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]: the page's containers, networks and volumes were removed")
        return 130


def lint(settings: Settings, args: argparse.Namespace) -> int:
    """Every problem of every page given (all pages by default), each with its page and line; exit 1 if any."""
    pages: list[Page] = []
    problems: list[PageError] = []
    bad = 0
    with Project(settings, mode="offline") as project:  # leaving it writes the page cache
        names = [named_page(settings, item) for item in args.pages] if args.pages else \
            [settings.page_name(path) for path in project.page_paths()]
        for name in names:
            try:
                page = project.load_page(name)
            except PageError as exc:
                problems += exc.errors if isinstance(exc, PageErrors) else (exc,)
                bad += 1
                continue
            if page.blocks:
                pages.append(page)
    for problem in problems:
        console.print(f"[red]error:[/red] {escape(str(problem))}")
    counted = f"{len(pages)} pages, {sum(len(p.blocks) for p in pages)} blocks, " \
              f"{sum(len(p.commands) for p in pages)} commands"
    if problems:
        console.print(f"{len(problems)} problem(s) in {bad} page(s); {counted} without problems")
        return 1
    console.print(f"{counted}: ok")
    return 0


def status(settings: Settings, args: argparse.Namespace) -> int:
    worst = 0
    for spec in settings.engines:
        # leaving the project writes the page cache
        with Project(settings, EngineSettings.of(spec), mode="offline") as project:
            for page in map(project.here, filter(project.runs_here, project.pages())):
                state = project.status(page)
                meta = project.store.meta(page.name) or {}
                edited = project.store.edited_files(page)
                shown = "edited" if edited and state == "current" else state
                colour = {"current": "green", "stale": "yellow", "missing": "red", "edited": "red"}[shown]
                changed = ""
                if state == "stale":
                    blocks = project.changed_blocks(page)
                    changed = "; changed: " + ("the whole page" if blocks is None else ", ".join(sorted(blocks)) or
                                               "blocks removed, moved or hidden")
                if edited:
                    changed += "; edited by hand after recording: " + ", ".join(
                        str(p.relative_to(settings.root)) for p in edited)
                console.print(f"[{colour}]{shown:8}[/{colour}] {page_label(settings, spec.name, page.name)}  "
                              f"({len(page.commands)} commands"
                              + (f", recorded {str(meta.get('recorded', ''))[:10]}" if meta else "") + f"{changed})")
                worst = max(worst, 0 if shown == "current" else 1)
    return worst


def engines(settings: Settings, args: argparse.Namespace) -> int:
    from docexec.hosts.images import load_images
    from docexec.userland import tree as userland
    from docexec.userland.engines import fetch
    from docexec.userland.lock import LOCK

    say = lambda m: console.print(escape(m))  # noqa: E731
    if args.update or args.add:
        files = tuple(sorted({f for spec in load_images(settings.images_dir) for f in spec.files.values()}))
        new, old = userland.update(None, say, files, keep=args.add)
        moved = userland.moved(old, new)
        for line in moved:
            console.print(escape(line))
        if moved and args.add:
            console.print(f"{len(moved)} package(s) added to {LOCK}; every other pin is kept, so no recording moves")
        elif moved:
            console.print(f"{len(moved)} change(s) in {LOCK}: every page runs on these programs, so record "
                          "the book again (./nox -s record), review the diff of snippets/ and commit both")
        else:
            console.print(f"the lab userland is unchanged ({len(new.packages)} packages)")
    else:
        tree = userland.ensure(None, say)
        console.print(f"lab userland: in place ({tree})")
    for spec in settings.engines:
        if spec.packages:
            if not fetch(spec, settings.root / ".cache" / "engines", say):
                console.print(f"engine {spec.name}: in place ({spec.into})")
        else:
            console.print(f"engine {spec.name or 'default'}: the lab userland's own"
                          + (f" ({spec.missing()})" if spec.missing() else ""))
    plugins = settings.cli_plugins
    if plugins is not None and plugins.packages and not fetch(plugins, settings.root / ".cache" / "engines", say):
        console.print(f"CLI plugins: in place ({plugins.into})")
    return 0


def clean(settings: Settings, args: argparse.Namespace) -> int:
    """Labs left by killed runs (their processes, cgroups and state), and the labelled objects of the shared
    daemon when one answers."""
    left: list[str] = []
    if not lab.unsupported_reason():
        left += lab.leftovers() if args.check else lab.sweep()
    with Project(settings) as project:  # leaving it closes the daemon's client
        try:
            daemon = project.daemon()
        except DaemonUnavailable:
            daemon = None
        if daemon is not None:
            with DaemonLock(daemon.identity(), "docexec clean"):
                left += daemon.janitor.labelled() if args.check else daemon.janitor.remove_labelled()
    if args.check:
        console.print(f"docexec: {len(left)} objects left by runs" + (": " + ", ".join(left) if left else ""))
        return 1 if left else 0
    console.print(f"removed {len(left)} objects" + (": " + ", ".join(left) if left else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
