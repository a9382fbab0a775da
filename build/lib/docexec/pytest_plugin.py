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
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from . import recording
from .blocks import Block, Command, Page
from .clis import as_older_cli
from .config import Config, load_config
from .drift import compare
from .errors import CommandFailed, DaemonUnavailable, DocexecError, PageError, RecordingError
from .lab import unsupported_reason
from .project import Project
from .recording import PageRecording
from .runner import Session

_KEY = pytest.StashKey["_State"]()


@dataclass
class Variant:
    """One way the pages are checked: an engine, with the CLI that records on it or another CLI readers use."""

    name: str  # in item ids when the book has several: "20.10", "20.10+cli28.2"
    project: Project
    records: bool  # its recordings are this engine's (the engine's own CLI); other CLIs are checked against them
    problem: str = ""  # why it cannot run here ('' when it can)
    first: bool = False  # the book's first engine with its own CLI: the one a shared daemon can stand in for
    checked: bool = False

    def ok(self) -> bool:
        if not self.checked:
            self.checked = True
            if self.problem:
                return False
            try:
                self.project.check_runnable()
                if self.project.hosts_mode() == "shared" and not self.first:
                    # The shared daemon is one engine, with the machine's CLI.
                    self.problem = "only labs run a book's other engines and CLIs"
                elif self.project.hosts_mode() == "shared" and os.environ.get("DOCEXEC_LAB", "auto") == "auto":
                    # The book's recordings come from labs: checking them against another machine's daemon would
                    # report its hostname and interfaces as drift. DOCEXEC_LAB=no asks for that check anyway.
                    self.problem = (f"{unsupported_reason()}; the recordings were made in labs, so the drift "
                                    "check needs one (DOCEXEC_LAB=no checks against the shared daemon anyway)")
            except DaemonUnavailable as exc:
                self.problem = str(exc)
        return not self.problem


class _State:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.variants: list[Variant] = []
        for spec in config.engines:
            engine = config.for_engine(spec)
            self.variants.append(Variant(spec.name, Project(engine, mode="offline", notify=lambda m: None), True,
                                         spec.missing()))
            for cli in spec.check_clis:
                if not cli.is_file():
                    continue  # "where present": a machine without that CLI checks with the engine's own
                self.variants.append(Variant(f"{spec.name}+cli{_cli_version(cli)}",
                                             Project(config.for_engine(spec, cli), mode="offline",
                                                     notify=lambda m: None), False, spec.missing()))
        self.variants[0].first = True
        self.project = self.variants[0].project
        self.wanted: set[str] = set()  # --docexec-variant (empty: all)

    def close(self) -> None:
        for variant in self.variants:
            variant.project.close()


def _cli_version(cli: Path) -> str:
    done = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=False, timeout=20)
    match = re.search(r"version (\d+\.\d+)", done.stdout)
    return match.group(1) if match else cli.parent.name


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


# --------------------------------------------------------------------------------------------------
# Hooks


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("docexec", "executable documentation pages")
    group.addoption("--docexec-update", action="store_true",
                    help="record the pages again instead of checking them (refused when CI=true)")
    group.addoption("--docexec-variant", action="append", default=[], metavar="NAME",
                    help="check only this engine/CLI variant, e.g. 20.10, 20.10+cli28.2, 28.5 (repeatable)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "docexec: a command of an executable documentation page")
    if config.getoption("--docexec-update") and _in_ci():
        raise pytest.UsageError("--docexec-update is refused when CI=true: recordings change only by review")
    with contextlib.suppress(DocexecError):  # not a docexec project: collect nothing
        state = _State(load_config(Path(config.rootpath)))
        wanted = config.getoption("--docexec-variant")
        unknown = sorted(set(wanted) - {v.name for v in state.variants})
        if unknown:
            raise pytest.UsageError(f"--docexec-variant {', '.join(unknown)}: the variants here are "
                                    + ", ".join(v.name for v in state.variants))
        state.wanted = set(wanted)
        config.stash[_KEY] = state


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_KEY, None)
    if state is not None:
        state.close()


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
    if state is None or _in_ci():
        return
    skipped: dict[str, int] = {}
    keep = []
    for item in items:
        variant = getattr(item, "variant", None)
        if isinstance(item, CommandItem) and variant is not None and not variant.ok():
            skipped[variant.problem] = skipped.get(variant.problem, 0) + 1
        else:
            keep.append(item)
    if skipped:
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
        config.stash[_SKIPPED] = "\n".join(f"docexec: {n} drift-check commands not run: {why}"
                                           for why, n in skipped.items())


_SKIPPED = pytest.StashKey[str]()


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(_KEY, None)
    if state is None:
        return None
    mode = "update (re-record)" if config.getoption("--docexec-update") else "check"
    if state.variants[0].ok():
        where = "each page in a lab of its own" if state.project.hosts_mode() == "lab" else \
            "on the shared Docker daemon (labs are not available here)"
    else:
        where = f"drift-check commands not run: {state.variants[0].problem}"
    lines = [f"docexec: {mode}, {where}; pages in {state.config.docs_dir}, recordings in {state.config.snippets_dir}"]
    if len(state.variants) > 1:
        lines.append("docexec: engines and CLIs: " + ", ".join(
            v.name + ("" if v.ok() else " (not here)") for v in state.variants))
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    message = config.stash.get(_SKIPPED, None)
    if message:
        terminalreporter.write_line(message, yellow=True)


# --------------------------------------------------------------------------------------------------
# Collectors and items


class _PageRun:
    """A page checked with one variant: its items share one session, opened by the first command that runs."""

    variant: Variant
    page: Page
    stored: PageRecording | None

    def open_session(self) -> Session:
        if getattr(self, "_session", None) is None:
            self._stack = contextlib.ExitStack()
            self._session: Session | None = self._stack.enter_context(self.variant.project.session(self.page))
            self._done: dict[tuple[str, int], str | None] = {}
            self.stored = recording.load(self.variant.project.config.snippets_dir, self.page)
        assert self._session is not None
        return self._session

    def close_session(self) -> None:
        if getattr(self, "_session", None) is not None:
            self._session = None
            self._stack.close()

    def items(self, parent: pytest.Collector, page_name: str) -> Iterator[pytest.Item]:
        # One page is one session: with pytest-xdist (--dist loadgroup) all its items go to the same worker.
        group = pytest.mark.xdist_group(f"docexec:{page_name}:{self.variant.name}")
        if self.variant.records:
            item: pytest.Item = RecordingItem.from_parent(parent, name="recording", run=self)
            item.add_marker(group)
            yield item
        for block in self.page.executed:
            for n, command in enumerate(block.commands):
                item = CommandItem.from_parent(parent, name=f"{block.id}-L{command.line}", block=block,
                                               command=command, index=n, run=self)
                item.add_marker(group)
                yield item


class PageFile(pytest.File):
    """A page: per variant (engine and CLI), a recording item, then one item per command. With one variant the
    items are the page's own children; with several, each variant is a child collector named after it."""

    page: Page

    def collect(self) -> Iterator[pytest.Collector | pytest.Item]:
        state = self.config.stash[_KEY]
        name = state.config.page_name(self.path)
        self.page = state.project.load_page(name)
        if not self.page.executed:
            return
        variants = [v for v in state.variants if v.project.runs_here(self.page)
                    and (not state.wanted or v.name in state.wanted)]
        if not variants:
            return
        if len(state.variants) == 1:
            run = _PageRun()
            run.variant, run.page = variants[0], self.page
            self._runs = [run]
            yield from run.items(self, name)
            return
        for variant in variants:
            yield VariantNode.from_parent(self, name=variant.name, variant=variant, page=self.page)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DocexecError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def teardown(self) -> None:
        for run in getattr(self, "_runs", []):
            run.close_session()


class VariantNode(pytest.Collector):
    """A page checked on one engine with one CLI."""

    def __init__(self, *, variant: Variant, page: Page, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = _PageRun()
        self.run.variant, self.run.page = variant, page

    def collect(self) -> Iterator[pytest.Item]:
        yield from self.run.items(self, self.run.page.name)

    def teardown(self) -> None:
        self.run.close_session()


class RecordingItem(pytest.Item):
    """The page's recording exists, matches the page's current commands, and reads back cleanly."""

    def __init__(self, *, run: _PageRun, **kwargs: Any) -> None:
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
        if status != "current":
            engine = f" on engine {project.config.engine}" if len(project.config.engines) > 1 else ""
            raise RecordingError(
                f"{page.where}: recording{engine} is {status}"
                + (" (the page's commands changed since it was recorded)" if status == "stale" else "")
                + f" — run `nox -s record -- {page.where}` and review the diff")
        recording.load(project.config.snippets_dir, page)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, DocexecError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.run.page.where}: recording"


class DriftFailure(Exception):
    pass


class CommandItem(pytest.Item):
    def __init__(self, *, block: Block, command: Command, index: int, run: _PageRun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.block, self.command, self.index = block, command, index
        self.run, self.variant = run, run.variant
        self.add_marker("docexec")

    def runtest(self) -> None:
        page_file = self.run
        config = self.variant.project.config
        if not self.variant.ok():
            raise DaemonUnavailable(f"{self.variant.problem} (CI=true: the drift check must run)")
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
            problems.append(f"timed out after {self.block.timeout or config.default_timeout:g} s")
        elif result.returncode != self.block.returncode:
            problems.append(f"exit code {result.returncode}, the page expects {self.block.returncode}")
        records = (page_file.stored.blocks.get(self.block.id) if page_file.stored else None) or []
        snippet = recording.page_folder(config.snippets_dir, page_file.page.name) / f"{self.block.id}.txt"
        if self.index >= len(records) or records[self.index].command != self.command.text:
            problems.append(f"no recording of this command in {snippet}")
            drift_text = ""
        else:
            where = f"{snippet.relative_to(config.root)}:" \
                    f"{recording.line_of_output(self.block, records, self.index)}"
            expected = records[self.index]
            if not self.variant.records:  # another CLI than the one that recorded: compare Docker, not wording
                expected = replace(expected, output=as_older_cli(expected.output))
                output = as_older_cli(output)
            drift = compare(expected, output, result.returncode, volatile=self.block.volatile,
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
            on = f" [{self.variant.name}]" if len(config.engines) > 1 or not self.variant.records else ""
            body = f"{page_file.page.where}:{self.command.line}{on}: " + "; ".join(problems)
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
        return self.path, self.command.line - 1, f"{self.run.page.where}:{self.command.line}: {self.command.text}"
