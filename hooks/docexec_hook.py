"""MkDocs hook: show each exec block of a page as its real, recorded output.

Thin on purpose: every decision lives in the `docexec` package, which knows nothing of MkDocs.
DOCEXEC_MODE chooses what a build may do: auto (default: run pages whose recording is missing or stale when a
daemon answers), force (run every page now), offline (never ask the daemon), publish (never ask the daemon, and
fail the build when any page's recording is stale or missing: `nox -s publish`). A stale page shown anyway marks
the blocks that changed since it was recorded.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

from docexec import recording
from docexec.blocks import Block
from docexec.config import load_config
from docexec.errors import DocexecError
from docexec.project import Outcome, Project
from docexec.render import EngineRecording, Rendered, render_page

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.plugins.docexec")
_project: Project | None = None  # the book's first engine
_others: list[Project] = []  # its other engines: their recordings become tabs where outputs differ
_rendered: dict[str, Rendered] = {}  # transcripts waiting for their page's HTML
_casts: dict[str, Path] = {}  # replays of terminal sessions to copy into the site: address below it -> recording
_unpublishable: list[str] = []  # publish mode: the pages whose recording is stale or missing (on any engine)

# --------------------------------------------------------------------------------------------------
# Hooks


# Read the engine's settings once per build and start counting.
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _project, _others
    for old in [_project, *_others]:
        if old is not None:
            old.close()
    _unpublishable.clear()
    try:
        root = Path(config.config_file_path).parent
        book = load_config(root)
        mode = os.environ.get("DOCEXEC_MODE", "auto")
        _project = Project(book, mode=mode, notify=log.info)  # type: ignore[arg-type]
        _others = [Project(book.for_engine(spec), mode="offline" if spec.missing() and mode != "publish" else mode,  # type: ignore[arg-type]
                           notify=log.info) for spec in book.engines[1:]]
    except DocexecError as exc:
        raise PluginError(str(exc)) from None
    return config


# Replace each exec fence with its transcript; run the page first if its recording is missing or stale.
def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    assert _project is not None
    source, cut = _page_source(markdown, page)
    try:
        parsed = _project.load_page(page.file.src_uri, source)
        if not parsed.blocks:
            return markdown
        outcome = _project.ensure(parsed)
        others = [(other, other.ensure(parsed)) for other in _others]  # the page is the same on every engine
    except DocexecError as exc:
        raise PluginError(str(exc)) from None
    publishing = _project.mode == "publish"
    for project, result in [(_project, outcome), *others]:
        if publishing and result.stored is not None and result.stored.edited_files:  # never published as real
            _unpublishable.append(f"{parsed.name}: edited by hand after recording: "
                                  + ", ".join(p.name for p in result.stored.edited_files))
            log.error(_unpublishable[-1])
        if result.status != "current":
            engine = f" [engine {project.config.engine}]" if _others else ""
            problem = _problem(parsed.name + engine, result, publishing=publishing)
            if publishing:
                log.error(problem)
                _unpublishable.append(problem)
            else:
                log.warning(problem)
    for path in [*outcome.changed, *(p for _, o in others for p in o.changed)]:
        log.info(f"docexec: wrote {path.relative_to(_project.config.root)}")

    def cast_href(project: Project) -> Callable[[Block], str | None]:
        def href(block: Block) -> str | None:
            path = recording.cast_path(project.config.snippets_dir, parsed.name, block.id)
            if not path.is_file():
                return None
            engine = "" if project is _project else f"_engines/{project.config.engine}/"
            address = f"casts/{engine}{parsed.name.removesuffix('.md')}/{block.id}.cast"
            _casts[address] = path
            return get_relative_url(address, page.url)
        return href

    tabs = [EngineRecording(_label(other), o.stored, o.status == "stale", cast_href(other), o.stale_blocks)
            for other, o in others]
    rendered = render_page("\n" * cut + markdown, parsed, outcome.stored, stale=outcome.status == "stale",
                           others=tabs, cast_href=cast_href(_project), stale_blocks=outcome.stale_blocks,
                           label=_label(_project))
    rendered = Rendered(rendered.markdown[cut:], rendered.fragments)
    _rendered[page.file.src_uri] = rendered
    return rendered.markdown


def _label(project: Project) -> str:
    return project.config.engine_spec(project.config.engine).label  # "Engine 28.5": a tab's title


def _problem(name: str, outcome: Outcome, *, publishing: bool) -> str:
    reason = "" if publishing else f" ({outcome.reason or 'not recorded'})"
    if outcome.status == "missing":
        return f"{name}: has no recorded outputs{reason}"
    which = "" if outcome.stale_blocks is None else \
        f" (blocks: {', '.join(sorted(outcome.stale_blocks)) or 'none shown; blocks removed, moved or hidden'})"
    return f"{name}: its commands changed since they were recorded{which}" + \
        ("" if publishing else f"; showing the old outputs{reason}")


def _page_source(markdown: str, page: Page) -> tuple[str, int]:
    """The page as the engine reads it (front matter included), and how many lines MkDocs cut off its start.
    MkDocs strips the YAML front matter and the blank lines after it before this hook, but the engine needs the
    front matter's `hosts:`, and its block line numbers count from the file's first line."""
    raw = page.file.content_string
    if markdown and raw.endswith(markdown) and raw != markdown:
        head = raw[:len(raw) - len(markdown)]
        if head.endswith("\n"):
            return raw, head.count("\n")
    return markdown, 0


# Put the transcripts into the converted page, where their placeholders are.
def on_page_content(html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    rendered = _rendered.pop(page.file.src_uri, None)
    if rendered is None:
        return html
    try:
        return rendered.fill(html)
    except DocexecError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None


# Copy the replays of terminal sessions next to the pages; one line on what the build did; in publish mode, the
# build fails if any page's recording is not current.
def on_post_build(config: MkDocsConfig) -> None:
    for address, path in _casts.items():
        target = Path(config.site_dir) / address
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    _casts.clear()
    if _project is not None:
        log.info(_project.stats.summary())
        _project.close()
    for other in _others:
        log.info(f"engine {other.config.engine}: " + other.stats.summary().removeprefix("docexec: "))
        other.close()
    if _unpublishable:
        raise PluginError(f"publishing refused: {len(_unpublishable)} recording(s) are stale, missing or edited; "
                          "record them (`./nox -s record -- docs/PAGE.md`), review the diff and commit:\n  "
                          + "\n  ".join(_unpublishable))
