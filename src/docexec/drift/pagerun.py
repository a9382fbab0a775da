"""A page checked with one variant of the drift check: the session its items share, opened once."""

from __future__ import annotations

import contextlib

from docexec.core.errors import DocexecError
from docexec.drift.variants import Variant
from docexec.page.model import Page
from docexec.run.runner import Session
from docexec.store.recording import PageRecording


class SessionNotOpened(DocexecError):
    """The page's session failed to open for an earlier command item: this one is not tried again (a lab that
    does not start takes up to its start timeout, twice, for each command otherwise)."""

    def __init__(self, at: str, cause: Exception) -> None:
        self.cause = cause
        first_line = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        super().__init__(f"not run: this page's session failed to open for {at} (not tried again): {first_line}")


def seen_by(variant: Variant, page: Page) -> Page:
    """The page as `variant` checks it: on its engine, with the engine's own CLI or another (Page.on_engine)."""
    return page.on_engine(variant.project.engine.name, own_cli=variant.records)


class PageRun:
    """A page checked with one variant: its items share one session, opened by the first command that runs. If
    it fails to open, the page's later items fail at once with that first failure."""

    def __init__(self, variant: Variant, page: Page) -> None:
        # Seen on the variant's engine, with its CLI: blocks limited to other engines are not checked there, nor
        # are blocks limited to some engines when another CLI runs the page (Page.on_engine).
        self.variant, self.page = variant, seen_by(variant, page)
        self.stored: PageRecording | None = None
        self.done: dict[tuple[str, int], str | None] = {}  # (block, line) -> why it failed (None: it passed)
        self.obtained: dict[str, dict[int, str]] = {}  # block -> command index -> the output this run obtained
        self.drifted: set[str] = set()  # blocks with a command that differed from its recording in this run
        self._session: Session | None = None
        self._not_opened: tuple[str, Exception] | None = None  # the item it failed to open for, and why
        self._stack = contextlib.ExitStack()

    def open_session(self, by: str) -> Session:
        """The page's session, opened for the item named `by` if it is the first to need it."""
        if self._not_opened is not None:
            raise SessionNotOpened(*self._not_opened)
        if self._session is None:
            try:
                self._session = self._stack.enter_context(self.variant.project.session(self.page))
            except Exception as exc:  # the SDK's own errors too (loading an image into the lab, say)
                self._not_opened = (by, exc)
                raise
            self.stored = self.variant.project.store.load(self.page)
        return self._session

    def close_session(self) -> None:
        if self._session is not None:
            self._session = None
            self._stack.close()
