"""The drift check's variants: each engine of the book with the CLI that records on it, and the other CLIs its
pages are also checked with; and the state one pytest run keeps (pytest's stash holds it, no module global)."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from docexec.book.project import Project
from docexec.core.config import EngineSettings, Settings
from docexec.core.errors import DaemonUnavailable
from docexec.lab import unsupported_reason


@dataclass
class Variant:
    """One way the pages are checked: an engine, with the CLI that records on it or another CLI readers use."""

    name: str  # in item ids when the book has several: "20.10", "20.10+cli28.5"
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


class State:
    """What one pytest run of the drift check knows: the book's settings, its variants, the ones wanted."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.variants: list[Variant] = []
        for spec in settings.engines:
            engine = EngineSettings.of(spec)
            self.variants.append(Variant(spec.name, Project(settings, engine, mode="offline", notify=lambda m: None),
                                         True, spec.missing()))
            for cli in spec.check_clis:
                if not cli.is_file():
                    continue  # "where present": a machine without that CLI checks with the engine's own
                self.variants.append(Variant(f"{spec.name}+cli{_cli_version(cli)}",
                                             Project(settings, EngineSettings.of(spec, cli), mode="offline",
                                                     notify=lambda m: None), False, spec.missing()))
        self.variants[0].first = True
        self.project = self.variants[0].project
        self.wanted: set[str] = set()  # --docexec-variant (empty: all)
        self.shard: tuple[int, int] | None = None  # --docexec-shard K/N
        self.skipped = ""  # the line saying which commands were not run, and why

    def close(self) -> None:
        for variant in self.variants:
            variant.project.close()


KEY = pytest.StashKey[State]()


def _cli_version(cli: Path) -> str:
    done = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=False, timeout=20)
    match = re.search(r"version (\d+\.\d+)", done.stdout)
    return match.group(1) if match else cli.parent.name


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
