"""The drift check's collectors: a page, per variant its recording item and one item per command (drift_command),
and after a run over the whole docs folder, an item that fails on recordings no page uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docexec.core.errors import DocexecError, RecordingError
from docexec.drift.command import CommandItem
from docexec.drift.pagerun import PageRun, seen_by
from docexec.drift.variants import KEY, Variant
from docexec.page.model import Page


class _Reported:
    """Failures that are DocexecErrors are shown as their message, without a traceback."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DocexecError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))  # type: ignore[misc]


class PageFile(_Reported, pytest.File):
    """A page: per variant (engine and CLI), a recording item, then one item per command. With one variant the
    items are the page's own children; with several, each variant is a child collector named after it."""

    page: Page

    def collect(self) -> Iterator[pytest.Collector | pytest.Item]:
        state = self.config.stash[KEY]
        name = state.settings.page_name(self.path)
        self.page = state.project.load_page(name)
        if not self.page.executed:
            return
        variants = [v for v in state.variants if v.project.runs_here(self.page)
                    and (not state.wanted or v.name in state.wanted) and seen_by(v, self.page).executed]
        if not variants:
            return
        if len(state.variants) == 1:
            self._runs = [PageRun(variants[0], self.page)]
            yield from page_items(self._runs[0], self, name)
            return
        for variant in variants:
            yield VariantNode.from_parent(self, name=variant.name, variant=variant, page=self.page)

    def teardown(self) -> None:
        for run in getattr(self, "_runs", []):
            run.close_session()


class VariantNode(pytest.Collector):
    """A page checked on one engine with one CLI."""

    def __init__(self, *, variant: Variant, page: Page, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = PageRun(variant, page)

    def collect(self) -> Iterator[pytest.Item]:
        yield from page_items(self.run, self, self.run.page.name)

    def teardown(self) -> None:
        self.run.close_session()


class RecordingItem(_Reported, pytest.Item):
    """The page's recording exists, matches the page's current commands, reads back cleanly and was not edited
    by hand after it was recorded."""

    def __init__(self, *, run: PageRun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run
        self.variant = run.variant

    def runtest(self) -> None:
        page, project = self.run.page, self.variant.project
        if self.config.getoption("--docexec-update"):
            if not self.variant.ok():
                raise DocexecError(f"cannot record: {self.variant.problem}")
            project.mode = "force"
            project.record(page)
        status = project.status(page)
        again = f" — run `nox -s record -- {page.where}` and review the diff"
        if status != "current":
            engine = f" on engine {project.engine.name}" if len(project.settings.engines) > 1 else ""
            raise RecordingError(
                f"{page.where}: recording{engine} is {status}"
                + (" (the page's commands changed since it was recorded)" if status == "stale" else "") + again)
        stored = project.store.load(page)
        if stored is not None and stored.edited_files:
            raise RecordingError(
                f"{page.where}: recorded output edited by hand after recording (its sha256 no longer matches): "
                + ", ".join(str(p.relative_to(project.settings.root)) for p in stored.edited_files) + again)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.run.page.where}: recording"


class UnusedRecordings(_Reported, pytest.Item):
    """After a run that collected every page of the docs folder for an engine: its recordings that no page uses
    (page folders and block transcripts left behind), which would otherwise stay in git unnoticed."""

    def __init__(self, *, variant: Variant, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.variant = variant

    def runtest(self) -> None:
        project = self.variant.project
        pages = [project.here(p) for p in project.pages() if project.runs_here(p)]
        left = project.store.unused(pages)
        if left:
            raise RecordingError("recordings that no page uses (delete them, or restore their page or block): "
                                 + ", ".join(str(p.relative_to(project.settings.root)) + ("/" if p.is_dir() else "")
                                             for p in left))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"unused recordings [{self.variant.name}]"


def unused_items(session: pytest.Session, items: list[pytest.Item]) -> list[pytest.Item]:
    """An UnusedRecordings item per engine whose every page's recording item was collected (a partial run, such
    as `pytest docs/x.md`, reports nothing)."""
    state = session.config.stash[KEY]
    checked: dict[int, tuple[Variant, set[str], pytest.Item]] = {}
    for item in items:
        if isinstance(item, RecordingItem):
            entry = checked.setdefault(id(item.variant), (item.variant, set(), item))
            entry[1].add(item.run.page.name)
    found: list[pytest.Item] = []
    for variant, names, some_item in checked.values():
        project = variant.project
        try:
            every = {p.name for p in project.pages() if p.executed and project.runs_here(p)}
        except DocexecError:  # a page that does not parse: its collection error says so already
            continue
        if not every <= names:
            continue
        docs_dir = state.settings.docs_dir.resolve()
        docs: pytest.Collector = next((n for n in some_item.listchain() if isinstance(n, pytest.Collector)
                                       and n.path == docs_dir), session)
        name = "unused-recordings" if len(state.variants) == 1 else f"unused-recordings[{variant.name}]"
        item = UnusedRecordings.from_parent(docs, name=name, variant=variant)
        item.add_marker(pytest.mark.xdist_group(f"docexec:unused:{variant.name}"))
        found.append(item)
    return found


def page_items(run: PageRun, parent: pytest.Collector, page_name: str) -> Iterator[pytest.Item]:
    """A page's items for one variant: its recording item, then one item per command."""
    # One page is one session: with pytest-xdist (--dist loadgroup) all its items go to the same worker.
    group = pytest.mark.xdist_group(f"docexec:{page_name}:{run.variant.name}")
    if run.variant.records:
        item: pytest.Item = RecordingItem.from_parent(parent, name="recording", run=run)
        item.add_marker(group)
        yield item
    for block in run.page.executed:
        for n, command in enumerate(block.commands):
            item = CommandItem.from_parent(parent, name=f"{block.id}-L{command.line}", block=block,
                                           command=command, index=n, run=run)
            item.add_marker(group)
            yield item
