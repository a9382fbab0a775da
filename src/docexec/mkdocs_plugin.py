"""The MkDocs plugin `docexec`: show each exec block of a page as its real, recorded output.

    plugins:
      - docexec:
          mode: !ENV [DOCEXEC_MODE, auto]

The only module of the package that imports MkDocs; every decision lives in the engine. `mode` chooses what a
build may do: auto (default: run pages whose recording is missing or stale when they can run), force (run every
page now), offline (never run a page), publish (never run a page, and fail the build when any page's recording is
stale or missing). Without the option, the DOCEXEC_MODE environment variable decides. A stale page shown anyway
marks the blocks that changed since it was recorded. Transcripts are rendered through a SuperFences custom fence
(superfence.py), so exec blocks work inside admonitions, content tabs and lists.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.utils import get_relative_url

from docexec.book.project import MODES, Mode, Outcome, Project, ensure_everywhere
from docexec.core.config import EngineSettings, load_config
from docexec.core.errors import DocexecError
from docexec.hosts.spares import SPARES
from docexec.page.model import Block, Page
from docexec.render.fence import ExecFence
from docexec.render.html import EngineRecording, Rendered, render_page
from docexec.render.wording import ENGLISH, Labels

if TYPE_CHECKING:
    from jinja2 import Environment
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page as MkDocsPage

log = logging.getLogger("mkdocs.plugins.docexec")
SUPERFENCES = "pymdownx.superfences"
POLL_INTERVAL = 0.1  # seconds between mkdocs serve's looks at the watched files (MkDocs': 0.5)


def _labels_config() -> type[base.Config]:
    """The `labels` sub-config: one string option per field of page_labels.Labels, its default the English text
    (the dataclass is the one list of labels)."""
    options = {f.name: c.Type(str, default=getattr(ENGLISH, f.name)) for f in dataclasses.fields(Labels)}
    return type("LabelsConfig", (base.Config,), options)


class CompiledTemplates(BytecodeCache):
    """The theme's templates as compiled by the first build of this process (a template whose text changes is
    compiled again: the key covers its source)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()


class DocexecPluginConfig(base.Config):  # type: ignore[no-untyped-call]
    enabled = c.Type(bool, default=True)
    mode = c.Optional(c.Choice(MODES))  # unset: $DOCEXEC_MODE, else "auto"
    project_dir = c.Optional(c.Dir(exists=True))  # where pyproject.toml's [tool.docexec] is; unset: mkdocs.yml's
    labels = c.SubConfig(_labels_config())


class Engines:
    """The book's projects, one per engine (the first is the machine's own), and what the build did with them."""

    def __init__(self, root: Path, mode: Mode) -> None:
        book = load_config(root)
        self.first = Project(book, mode=mode, notify=log.info)
        self.others = [Project(book, EngineSettings.of(spec), mode="offline" if spec.missing() and mode != "publish"
                               else mode, notify=log.info) for spec in book.engines[1:]]
        self.casts: dict[str, Path] = {}  # replays to copy into the site: address below it -> recording
        self.unpublishable: list[str] = []  # publish mode: the stale, missing or edited recordings (any engine)

    def render(self, name: str, source: str, url: str, labels: Labels) -> tuple[Page, Rendered]:
        """Parse the page, run it first if its recording is missing or stale (and the mode allows), and render
        its transcripts."""
        parsed = self.first.load_page(name, source)
        if not parsed.blocks:
            return parsed, Rendered()
        outcomes = ensure_everywhere([self.first, *self.others], parsed)  # the same page
        self._report(parsed, outcomes)
        # The page's own engines (front matter `engines:` may leave out the book's first): the first of them is
        # the one whose transcripts the page shows, the others' are compared with them.
        (first, outcome), *others = [(p, o) for p, o in outcomes if p.runs_here(parsed)] or outcomes[:1]
        tabs = [EngineRecording(_label(other), o.stored, o.status == "stale", self._cast_href(other, parsed, url),
                                o.stale_blocks, other.engine.name) for other, o in others]
        return parsed, render_page(parsed, outcome.stored, stale=outcome.status == "stale", others=tabs,
                                   cast_href=self._cast_href(first, parsed, url),
                                   stale_blocks=outcome.stale_blocks, label=_label(first), engine=first.engine.name,
                                   labels=labels)

    def _report(self, page: Page, outcomes: list[tuple[Project, Outcome]]) -> None:
        publishing = self.first.mode == "publish"
        for project, result in outcomes:
            engine = f" [engine {project.engine.name}]" if self.others else ""
            if publishing and result.stored is not None and result.stored.edited_files:  # never published as real
                self.unpublishable.append(f"{page.name}{engine}: edited by hand after recording: "
                                          + ", ".join(p.name for p in result.stored.edited_files))
                log.error(self.unpublishable[-1])
            if result.status != "current":
                problem = _problem(page.name + engine, result, publishing=publishing)
                if publishing:
                    log.error(problem)
                    self.unpublishable.append(problem)
                else:
                    log.warning(problem)
        for _, result in outcomes:
            for path in result.changed:
                log.info(f"docexec: wrote {path.relative_to(self.first.settings.root)}")

    def _cast_href(self, project: Project, page: Page, url: str) -> Callable[[Block], str | None]:
        def href(block: Block) -> str | None:
            path = project.store.cast_path(page.name, block.id)
            if not path.is_file():
                return None
            engine = "" if project is self.first else f"_engines/{project.engine.name}/"
            address = f"casts/{engine}{page.name.removesuffix('.md')}/{block.id}.cast"
            self.casts[address] = path
            return get_relative_url(address, url)
        return href

    def finish(self, site_dir: Path) -> None:
        """Copy the replays of terminal sessions next to the pages; one line on what the build did."""
        for address, path in self.casts.items():
            target = site_dir / address
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        log.info(self.first.stats.summary())
        for other in self.others:
            log.info(f"engine {other.engine.name}: " + other.stats.summary().removeprefix("docexec: "))
        self.close()

    def close(self) -> None:
        for project in [self.first, *self.others]:
            project.close()


def _label(project: Project) -> str:
    return project.engine.spec.label  # "Engine 28.5": a tab's title


def _problem(name: str, outcome: Outcome, *, publishing: bool) -> str:
    reason = "" if publishing else f" ({outcome.reason or 'not recorded'})"
    if outcome.status == "missing":
        return f"{name}: has no recorded outputs{reason}"
    which = "" if outcome.stale_blocks is None else \
        f" (blocks: {', '.join(sorted(outcome.stale_blocks)) or 'none shown; blocks removed, moved or hidden'})"
    return f"{name}: its commands changed since they were recorded{which}" + \
        ("" if publishing else f"; showing the old outputs{reason}")


def page_source(markdown: str, raw: str) -> tuple[str, int]:
    """The page as the engine reads it (front matter included), and how many lines MkDocs cut off its start.
    MkDocs strips the YAML front matter and the blank lines after it before on_page_markdown, but the engine needs
    the front matter's `hosts:`, and its block line numbers count from the file's first line."""
    if markdown and raw.endswith(markdown) and raw != markdown:
        head = raw[:len(raw) - len(markdown)]
        if head.endswith("\n"):
            return raw, head.count("\n")
    return markdown, 0


class DocexecPlugin(BasePlugin[DocexecPluginConfig]):  # type: ignore[no-untyped-call]
    def __init__(self) -> None:
        self.engines: Engines | None = None
        self.fence = ExecFence()
        self.labels = ENGLISH
        self.fences: list[dict[str, Any]] = []  # SuperFences' custom_fences, where the languages' entries go
        self.languages: set[str] = set()
        self.page: Page | None = None  # the page being converted

    # mkdocs serve keeps a spare lab for the next run of each page edited, looks for edits more often, and
    # compiles the theme's templates once (a rebuild compiled them all again for 404.html: half its own time).
    def on_startup(self, *, command: str, dirty: bool) -> None:
        if command == "serve":
            SPARES.enable()

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment | None:
        if SPARES.enabled:
            env.bytecode_cache = COMPILED
        return env

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Callable[..., Any]
                 ) -> LiveReloadServer | None:
        # MkDocs polls the watched files every 0.5 s, so an edit waited 0.25 s on average before its rebuild
        # began; its observer has no setting for that, hence the private attributes (left alone if they change).
        for watcher in [server.observer, *getattr(server.observer, "emitters", ())]:
            if isinstance(getattr(watcher, "_timeout", None), float):
                watcher._timeout = POLL_INTERVAL
        return server

    def on_shutdown(self) -> None:
        SPARES.close_all()

    # Read the engine's settings once per build, and register the fence that renders exec blocks.
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if self.engines is not None:
            self.engines.close()
            self.engines = None
        if not self.config.enabled:
            return config
        mode = self.config.mode or os.environ.get("DOCEXEC_MODE", "auto")
        root = Path(self.config.project_dir or Path(config.config_file_path).parent)
        self.labels = Labels(**{f.name: self.config.labels[f.name] for f in dataclasses.fields(Labels)})
        try:
            self.engines = Engines(root, mode)  # type: ignore[arg-type]  # Project checks it
        except DocexecError as exc:
            raise PluginError(str(exc)) from None
        if SUPERFENCES not in config.markdown_extensions:
            config.markdown_extensions.append(SUPERFENCES)
        self.fences = config.mdx_configs.setdefault(SUPERFENCES, {}).setdefault("custom_fences", [])
        self.fences[:] = [f for f in self.fences if f.get("class") != "docexec"]  # left by an earlier build
        self.languages = set()
        self._register("console")
        return config

    def _register(self, language: str) -> None:
        """Let the fence see the exec blocks of `language` (MkDocs makes a new Markdown converter per page, with
        the extension settings of that moment)."""
        if language not in self.languages:
            self.languages.add(language)
            self.fences.append(self.fence.entry(language))

    # Prepare the page's transcripts; run the page first if its recording is missing or stale.
    def on_page_markdown(self, markdown: str, *, page: MkDocsPage, config: MkDocsConfig, files: Files) -> str | None:
        if self.engines is None:
            return markdown
        source, _ = page_source(markdown, page.file.content_string)
        try:
            parsed, rendered = self.engines.render(page.file.src_uri, source, page.url, self.labels)
        except DocexecError as exc:
            raise PluginError(str(exc)) from None
        for block in parsed.blocks:
            self._register(block.lang)
        self.page = parsed
        self.fence.start(parsed.where or page.file.src_uri, rendered)
        return rendered.with_note(markdown)

    # Every shown exec block must have become a transcript.
    def on_page_content(self, html: str, *, page: MkDocsPage, config: MkDocsConfig, files: Files) -> str | None:
        if self.engines is None:
            return html
        html, lost = self.fence.finish(html)
        if lost and self.page is not None:
            where = self.page.where or self.page.name
            lines = ", ".join(f"{where}:{b.line}" for b in self.page.blocks if b.id in lost)
            raise PluginError(f"{lines}: this exec block did not become a transcript: SuperFences does not render a "
                              "fence inside raw HTML or an indented code block")
        return html

    # In publish mode, the build fails if any page's recording is not current.
    def on_post_build(self, config: MkDocsConfig) -> None:
        if self.engines is None:
            return
        engines, self.engines = self.engines, None
        engines.finish(Path(config.site_dir))
        if SPARES.enabled:  # the page is served: now its lab goes, and a spare starts, while serve waits
            SPARES.refill()
        if engines.unpublishable:
            raise PluginError(f"publishing refused: {len(engines.unpublishable)} recording(s) are stale, missing or "
                              "edited; record them (`./nox -s record -- docs/PAGE.md`), review the diff and commit:\n  "
                              + "\n  ".join(engines.unpublishable))

    def on_build_error(self, error: Exception) -> None:
        if self.engines is not None:
            self.engines.close()
            self.engines = None
        if SPARES.enabled:
            SPARES.refill()
