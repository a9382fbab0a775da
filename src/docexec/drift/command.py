"""The drift check of one command: run it in its page's session (earlier commands first), compare its output
with the recording, and on drift write what it obtained beside the recording for review, like pytest-regressions:
snippets/<page>/<block>.obtained (ignored by git), the block's transcript with the outputs of this run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from docexec.core.errors import CommandFailed, DaemonUnavailable, DocexecError
from docexec.drift.clis import as_older_cli
from docexec.drift.compare import compare
from docexec.drift.pagerun import PageRun, SessionNotOpened
from docexec.lab import LabStartFailed
from docexec.page.model import Block, Command
from docexec.run.runner import Result
from docexec.store.recording import CommandRecord


class DriftFailure(Exception):
    pass


def _failure(where: str, exc: Exception) -> str:
    """Why a command failed, as the page's later items name it: a DocexecError's own message (it says where);
    anything else (a session's terminal that could not be opened, an SDK error) with the command's page and line."""
    if isinstance(exc, DocexecError) and str(exc):
        return str(exc)
    return f"{where}: {type(exc).__name__}: {exc}"


class CommandItem(pytest.Item):
    def __init__(self, *, block: Block, command: Command, index: int, run: PageRun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.block, self.command, self.index = block, command, index
        self.run, self.variant = run, run.variant
        self.add_marker("docexec")

    def runtest(self) -> None:
        if not self.variant.ok():
            raise DaemonUnavailable(f"{self.variant.problem} (CI=true: the drift check must run)")
        if self.config.getoption("--docexec-update"):
            return  # the page's recording item ran and recorded the whole page
        run = self.run
        key = (self.block.id, self.command.line)
        earlier = self._catch_up(key)
        if earlier is not None:
            run.done[key] = "not run"
            raise DriftFailure(f"not run: an earlier command of this page failed:\n{earlier}")
        try:
            result = run.open_session(self._where).run(self.block, self.command, check=False)
        except Exception as exc:
            run.done[key] = _failure(self._where, exc)
            raise
        failed = result.timed_out or result.returncode != self.block.returncode
        problems, drift_text = self._compare(result)
        # Only a command that did not do what the page expects makes the rest of the page meaningless;
        # an output that drifted leaves the session as the page describes it.
        run.done[key] = problems[0] if problems and failed else None
        obtained = self._keep_obtained(result.output, drifted=bool(problems))
        if problems:
            settings = self.variant.project.settings
            on = f" [{self.variant.name}]" if len(settings.engines) > 1 or not self.variant.records else ""
            body = f"{run.page.where}:{self.command.line}{on}: " + "; ".join(problems)
            body += f"\n  $ {self.command.text}\n"
            if drift_text:
                body += "\n" + drift_text
            elif result.output:
                body += "".join(f"  | {ln}\n" for ln in result.output.splitlines()[:60])
            body += f"\nobtained output of block {self.block.id}, for review: {obtained.relative_to(settings.root)}"
            raise DriftFailure(body)

    @property
    def _where(self) -> str:
        return f"{self.run.page.where}:{self.command.line}"

    def _catch_up(self, key: tuple[str, int]) -> str | None:
        """Commands run in page order: run any earlier ones that were deselected. Why the first that failed did."""
        run = self.run
        session = run.open_session(self._where)
        for block, command in run.page.commands:
            earlier_key = (block.id, command.line)
            if earlier_key == key or any(run.done.values()):
                break
            if earlier_key not in run.done:
                try:
                    session.run(block, command, check=True)
                    run.done[earlier_key] = None
                except Exception as exc:
                    run.done[earlier_key] = _failure(f"{run.page.where}:{command.line}", exc)
        return next((v for v in run.done.values() if v), None)

    def _recorded(self) -> list[CommandRecord]:
        stored = self.run.stored
        return (stored.blocks.get(self.block.id) if stored else None) or []

    def _compare(self, result: Result) -> tuple[list[str], str]:
        """What is wrong with the result (empty: nothing), and the diff of its output against the recording."""
        settings = self.variant.project.settings
        problems = []
        if result.timed_out:
            problems.append(f"timed out after {self.block.timeout or settings.default_timeout:g} s")
        elif result.returncode != self.block.returncode:
            problems.append(f"exit code {result.returncode}, the page expects {self.block.returncode}")
        records = self._recorded()
        snippet, line = self.variant.project.store.output_at(self.run.page.name, self.block, records, self.index)
        if self.index >= len(records) or records[self.index].command != self.command.text:
            problems.append(f"no recording of this command in {snippet}")
            return problems, ""
        where = f"{snippet.relative_to(settings.root)}:{line}"
        expected, output = records[self.index], result.output
        if not self.variant.records:  # another CLI than the one that recorded: compare Docker, not wording
            expected, output = replace(expected, output=as_older_cli(expected.output)), as_older_cli(output)
        # Data (a topology's JSON) needs more lines around a change to say where it is (which interface).
        context = 8 if self.block.exec_kind.data_suffix else 2
        drift = compare(expected, output, result.returncode, volatile=self.block.volatile, where=where,
                        context=context)
        if drift.returncode and not problems:
            problems.append(drift.returncode)
        if drift.diff:
            problems.append("output differs from the recording")
        return problems, drift.diff

    def _keep_obtained(self, output: str, *, drifted: bool) -> Path:
        """Write the block's transcript as this run obtained it (recorded outputs for commands not run yet) while
        any of its commands drifted; remove a stale one when the whole block passed."""
        run, block = self.run, self.block
        store, variant = self.variant.project.store, None if self.variant.records else self.variant.name
        run.obtained.setdefault(block.id, {})[self.index] = output
        if drifted:
            run.drifted.add(block.id)
        if block.id in run.drifted:
            recorded = self._recorded()
            records = [CommandRecord(c.text, run.obtained[block.id].get(n, recorded[n].output if n < len(recorded)
                                                                        else ""), block.returncode, 0.0)
                       for n, c in enumerate(block.commands)]
            return store.keep_obtained(run.page.name, block, records, variant)
        if self.index == len(block.commands) - 1:
            store.drop_obtained(run.page.name, block.id, variant)
        return store.obtained(run.page.name, block.id, variant)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        exc = excinfo.value
        if isinstance(exc.cause if isinstance(exc, SessionNotOpened) else exc, LabStartFailed):
            return f"lab failed to start (not drift): {exc}"  # the machine's trouble, not the page's
        if isinstance(exc, (DriftFailure, DocexecError, CommandFailed)):
            return str(exc)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.command.line - 1, f"{self.run.page.where}:{self.command.line}: {self.command.text}"
