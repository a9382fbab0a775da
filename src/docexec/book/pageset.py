"""A book's pages as the engine sees them: parsed and checked (through the page cache), which engine each runs
on, their digests (the lesson images included) and the status of their recordings."""

from __future__ import annotations

from pathlib import Path

import docexec.kinds  # noqa: F401  (registers the exec kinds pages are read, checked and run with)
from docexec.core.config import EngineSettings, Settings
from docexec.core.errors import PageError, raise_all
from docexec.hosts.images import ImageSpec, load_images
from docexec.page import kinds as registry
from docexec.page.model import Page, parse_file, parse_page_collecting
from docexec.policy.check import Refused, block_context, check_static, check_typed, problems
from docexec.policy.docker_flags import OPTIONS
from docexec.policy.page_images import image_refusals
from docexec.policy.variables import check_variables
from docexec.store.pagecache import PageCache
from docexec.store.recording import Status
from docexec.store.store import RecordingStore


class PageSet:
    def __init__(self, settings: Settings, engine: EngineSettings) -> None:
        self.settings, self.engine = settings, engine
        self.images: list[ImageSpec] = load_images(settings.images_dir)
        self._image_digests: dict[str, str] = {}
        self._lint = settings.run_context()  # a page is checked as it runs in a lab
        # What load_page reads besides the page and the engine's code (not which engine the page then runs on):
        # a page comes from the cache only if it was checked with these same ones, the exec kinds registered too.
        self._page_cache = PageCache(settings.cache_dir / "pages.pickle", settings, self._lint, OPTIONS,
                                     registry.names(), self._lesson_tags())
        self.store = RecordingStore.for_engine(settings, engine)  # the recordings of this engine

    def page_paths(self) -> list[Path]:
        return sorted(self.settings.docs_dir.rglob("*.md"))

    def load_page(self, name: str, source: str | None = None) -> Page:
        """Parse a page and check every command it would run; PageError names the problem (PageErrors, every
        problem of the page, when there are several). Pages that parsed cleanly before, with the same text, engine
        and settings, come from the page cache."""
        path = self.settings.docs_dir / name
        where = path.relative_to(self.settings.root).as_posix() if path.is_relative_to(self.settings.root) else name
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
        page, errors = parse_page_collecting(name, source, where)
        errors += self._refusals(page)
        raise_all(errors)
        self._page_cache.put(key, page)
        return page

    def _refusals(self, page: Page) -> list[PageError]:
        """What the policy refuses in the page: its engines, each command and each line typed in a session."""
        errors = []
        known = [e.name for e in self.settings.engines]
        errors += [PageError(page.where, page.engines_line, f"engines: '{engine}' is not an engine of this book "
                                                            f"({', '.join(known)}; see pyproject.toml)")
                   for engine in page.engines or () if engine not in known]
        errors += _block_engines(page, known)
        assigned = {c.shell.assign for _, c in page.commands if c.shell is not None and c.shell.assign}
        for block, command in page.commands:
            if command.shell is None:  # a block that holds no commands (exec="file"): nothing of it runs a program
                assert not block.exec_kind.holds_commands
                continue
            context = block_context(self.settings, self._lint, block.engines, block.returncode)
            try:
                check_static(command.shell, kind=block.kind, page=page.name, context=context, line=command.text)
            except Refused as exc:  # each problem of the command, all on its line
                errors += [PageError(page.where, command.line, f"{problem.message} (in «{command.text[:80]}»)")
                           for problem in problems(exc)]
            try:
                check_variables(command.shell, assigned)
            except Refused as exc:
                errors.append(PageError(page.where, command.line, f"{exc.message} (in «{command.text[:80]}»)"))
            for typed in command.typed:
                try:
                    check_typed(typed.text, context)
                except Refused as exc:
                    errors += [PageError(page.where, typed.line, f"{problem.message} (in «{typed.written[:80]}»)")
                               for problem in problems(exc)]
        errors += image_refusals(page, self._lesson_tags(), known)  # images the lab will not have (policy.page_images)
        return errors

    def _lesson_tags(self) -> list[str]:
        return [spec.tag for spec in self.images]

    def here(self, page: Page) -> Page:
        """The page as it is recorded on this project's engine: its blocks limited to other engines left out
        (Page.on_engine). Its recording is the engine's own CLI's, whichever CLI the project runs commands with."""
        return page.on_engine(self.engine.name)

    def pages(self) -> list[Page]:
        """Every page under docs/ that has executable blocks."""
        found = []
        for path in self.page_paths():
            page = self.load_page(self.settings.page_name(path))
            if page.blocks:
                found.append(page)
        return found

    def runs_here(self, page: Page) -> bool:
        """Whether the page runs on this project's engine (front matter `engines:` may name only some)."""
        return page.engines is None or self.engine.name in page.engines

    def digest(self, page: Page) -> str:
        page = self.here(page)
        return page.digest(self._images_of(page))

    def context_digest(self, page: Page) -> str:
        page = self.here(page)
        return page.context_digest(self._images_of(page))

    def _images_of(self, page: Page) -> dict[str, str]:
        words = page.plain_words()
        return {spec.tag: self._image_digest(spec) for spec in self.images if spec.used_by(words)}

    def _image_digest(self, spec: ImageSpec) -> str:
        """The image's content hash, computed once: a PageSet lives for one build, one `docexec record` or one
        pytest session (mkdocs serve makes a new one for each rebuild), and the lesson images do not change then."""
        if spec.tag not in self._image_digests:
            self._image_digests[spec.tag] = spec.digest()
        return self._image_digests[spec.tag]

    def status(self, page: Page) -> Status:
        return self.store.status(self.here(page), self.digest(page))

    def changed_blocks(self, page: Page) -> frozenset[str] | None:
        """Of a stale page: the blocks that changed since it was recorded (None: the whole page)."""
        return self.store.changed_blocks(self.here(page), self.context_digest(page))

    def close(self) -> None:
        self._page_cache.save()


def _block_engines(page: Page, known: list[str]) -> list[PageError]:
    """A block's engines="..." names engines of the book, and of the page's own (front matter `engines:`); each of
    those engines runs some block of the page."""
    errors = []
    for block in page.blocks:
        for engine in block.engines or ():
            if engine not in known:
                errors.append(PageError(page.where, block.line, f"engines=\"{' '.join(block.engines or ())}\": "
                                        f"'{engine}' is not an engine of this book ({', '.join(known)}; see "
                                        "pyproject.toml)"))
            elif page.engines is not None and engine not in page.engines:
                errors.append(PageError(page.where, block.line, f"engines=\"{' '.join(block.engines or ())}\": "
                                        f"the page runs only on {', '.join(page.engines)} (front matter "
                                        "`engines:`)"))
    if not errors and page.executed:
        for engine in page.engines or known:
            if not page.on_engine(engine).executed:  # its recording there would be empty: leave the engine out
                errors.append(PageError(page.where, page.executed[0].line, f"no block of this page runs on engine "
                                        f"{engine}: limit the page instead (front matter `engines: [...]`)"))
    return errors
