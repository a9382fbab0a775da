"""The drift check: every executable page under docs/ becomes pytest items, one per command.

Each page runs as one session on the real daemon, with the same engine the site build uses, and each command's
output is compared with its recording after volatile fields are normalised on both sides.

    pytest docs/                      check every page
    pytest docs/ --docexec-update     record the pages again instead, and report what changed (refused when CI=true)

Without a daemon the command items are deselected with one line saying why, except when CI=true: there they fail.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import recording
from .blocks import Block, Command, Page
from .config import Config, load_config
from .drift import compare
from .errors import CommandFailed, DaemonUnavailable, DocexecError, PageError, RecordingError
from .lab import unsupported_reason
from .project import Project
from .recording import PageRecording
from .runner import Session

_KEY = pytest.StashKey["_State"]()


class _State:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.project = Project(config, mode="offline", notify=lambda m: None)
        self.daemon_error: str | None = None
        self.checked = False

    def daemon_ok(self) -> bool:
        if not self.checked:
            self.checked = True
            try:
                self.project.check_runnable()
                if self.project.hosts_mode() == "shared" and os.environ.get("DOCEXEC_LAB", "auto") == "auto":
                    # The book's recordings come from labs: checking them against another machine's daemon would
                    # report its hostname and interfaces as drift. DOCEXEC_LAB=no asks for that check anyway.
                    self.daemon_error = (f"{unsupported_reason()}; the recordings were made in labs, so the drift "
                                         "check needs one (DOCEXEC_LAB=no checks against the shared daemon anyway)")
            except DaemonUnavailable as exc:
                self.daemon_error = str(exc)
        return self.daemon_error is None


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


# --------------------------------------------------------------------------------------------------
# Hooks


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("docexec", "executable documentation pages")
    group.addoption("--docexec-update", action="store_true",
                    help="record the pages again instead of checking them (refused when CI=true)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "docexec: a command of an executable documentation page")
    if config.getoption("--docexec-update") and _in_ci():
        raise pytest.UsageError("--docexec-update is refused when CI=true: recordings change only by review")
    with contextlib.suppress(DocexecError):  # not a docexec project: collect nothing
        config.stash[_KEY] = _State(load_config(Path(config.rootpath)))


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_KEY, None)
    if state is not None:
        state.project.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash.get(_KEY, None)
    if state is None or file_path.suffix != ".md":
        return None
    docs = state.config.docs_dir.resolve()
    if docs not in file_path.resolve().parents:
        return None
    return PageFile.from_parent(parent, path=file_path)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    state = config.stash.get(_KEY, None)
    needs_daemon = [i for i in items if isinstance(i, CommandItem)]
    if state is None or not needs_daemon or state.daemon_ok() or _in_ci():
        return
    keep = [i for i in items if not isinstance(i, CommandItem)]
    config.hook.pytest_deselected(items=needs_daemon)
    items[:] = keep
    config.stash[_SKIPPED] = f"docexec: {len(needs_daemon)} drift-check commands not run: {state.daemon_error}"


_SKIPPED = pytest.StashKey[str]()


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(_KEY, None)
    if state is None:
        return None
    mode = "update (re-record)" if config.getoption("--docexec-update") else "check"
    if state.daemon_ok():
        where = "each page in a lab of its own" if state.project.hosts_mode() == "lab" else \
            "on the shared Docker daemon (labs are not available here)"
    else:
        where = f"drift-check commands not run: {state.daemon_error}"
    return f"docexec: {mode}, {where}; pages in {state.config.docs_dir}, recordings in {state.config.snippets_dir}"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    message = config.stash.get(_SKIPPED, None)
    if message:
        terminalreporter.write_line(message, yellow=True)


# --------------------------------------------------------------------------------------------------
# Collectors and items


class PageFile(pytest.File):
    """A page: a recording item, then one item per command; the commands share one session."""

    page: Page
    stored: PageRecording | None

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[_KEY]
        name = state.config.page_name(self.path)
        self.page = state.project.load_page(name)
        if not self.page.executed:
            return
        # One page is one session: with pytest-xdist (--dist loadgroup) all its items go to the same worker.
        group = pytest.mark.xdist_group(f"docexec:{name}")
        item: pytest.Item = RecordingItem.from_parent(self, name="recording")
        item.add_marker(group)
        yield item
        for block in self.page.executed:
            for n, command in enumerate(block.commands):
                item = CommandItem.from_parent(self, name=f"{block.id}-L{command.line}", block=block,
                                               command=command, index=n)
                item.add_marker(group)
                yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DocexecError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    # The page's session: opened by its first command, closed when pytest leaves the page.
    def open_session(self) -> Session:
        if getattr(self, "_session", None) is None:
            state = self.config.stash[_KEY]
            self._stack = contextlib.ExitStack()
            self._session: Session | None = self._stack.enter_context(state.project.session(self.page))
            self._done: dict[tuple[str, int], str | None] = {}
            self.stored = recording.load(state.config.snippets_dir, self.page)
        assert self._session is not None
        return self._session

    def teardown(self) -> None:
        if getattr(self, "_session", None) is not None:
            self._session = None
            self._stack.close()


class RecordingItem(pytest.Item):
    """The page's recording exists, matches the page's current commands, and reads back cleanly."""

    def runtest(self) -> None:
        parent: PageFile = self.parent  # type: ignore[assignment]
        state = self.config.stash[_KEY]
        if self.config.getoption("--docexec-update"):
            if not state.daemon_ok():
                raise DocexecError(f"cannot record: {state.daemon_error}")
            state.project.mode = "force"
            state.project.record(parent.page)
        status = state.project.status(parent.page)
        if status != "current":
            raise RecordingError(
                f"{parent.page.where}: recording is {status}"
                + (" (the page's commands changed since it was recorded)" if status == "stale" else "")
                + f" — run `nox -s record -- {parent.page.where}` and review the diff")
        recording.load(state.config.snippets_dir, parent.page)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DocexecError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.parent.name}: recording"  # type: ignore[union-attr]


class DriftFailure(Exception):
    pass


class CommandItem(pytest.Item):
    def __init__(self, *, block: Block, command: Command, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.block, self.command, self.index = block, command, index
        self.add_marker("docexec")

    def runtest(self) -> None:
        page_file: PageFile = self.parent  # type: ignore[assignment]
        state = self.config.stash[_KEY]
        if not state.daemon_ok():
            raise DaemonUnavailable(f"{state.daemon_error} (CI=true: the drift check must run)")
        if self.config.getoption("--docexec-update"):
            return  # the page's recording item ran and recorded the whole page
        session = page_file.open_session()
        key = (self.block.id, self.command.line)
        # Commands run in page order; catch up on any earlier ones that were deselected.
        for block, command in page_file.page.commands:
            earlier_key = (block.id, command.line)
            if earlier_key == key or any(page_file._done.values()):
                break
            if earlier_key not in page_file._done:
                try:
                    session.run(block, command, check=True)
                    page_file._done[earlier_key] = None
                except DocexecError as exc:
                    page_file._done[earlier_key] = str(exc)
        earlier = next((v for v in page_file._done.values() if v), None)
        if earlier is not None:
            page_file._done[key] = "not run"
            raise DriftFailure(f"not run: an earlier command of this page failed:\n{earlier}")
        try:
            result = session.run(self.block, self.command, check=False)
        except PageError as exc:
            page_file._done[key] = str(exc)
            raise
        output = result.output
        problems = []
        if result.timed_out:
            problems.append(f"timed out after {self.block.timeout or state.config.default_timeout:g} s")
        elif result.returncode != self.block.returncode:
            problems.append(f"exit code {result.returncode}, the page expects {self.block.returncode}")
        records = (page_file.stored.blocks.get(self.block.id) if page_file.stored else None) or []
        snippet = recording.page_folder(state.config.snippets_dir, page_file.page.name) / f"{self.block.id}.txt"
        if self.index >= len(records) or records[self.index].command != self.command.text:
            problems.append(f"no recording of this command in {snippet}")
            drift_text = ""
        else:
            where = f"{snippet.relative_to(state.config.root)}:" \
                    f"{recording.line_of_output(self.block, records, self.index)}"
            drift = compare(records[self.index], output, result.returncode, volatile=self.block.volatile,
                            where=where)
            if drift.returncode and not problems:
                problems.append(drift.returncode)
            drift_text = drift.diff
            if drift.diff:
                problems.append("output differs from the recording")
        # Only a command that did not do what the page expects makes the rest of the page meaningless;
        # an output that drifted leaves the session as the page describes it.
        page_file._done[key] = problems[0] if problems and (result.timed_out or
                                                          result.returncode != self.block.returncode) else None
        if problems:
            body = f"{page_file.page.where}:{self.command.line}: " + "; ".join(problems)
            body += f"\n  $ {self.command.text}\n"
            if drift_text:
                body += "\n" + drift_text
            elif output:
                body += "".join(f"  | {ln}\n" for ln in output.splitlines()[:60])
            raise DriftFailure(body)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, (DriftFailure, DocexecError, CommandFailed)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.command.line - 1, f"{self.parent.name}:{self.command.line}: {self.command.text}"  # type: ignore[union-attr]
