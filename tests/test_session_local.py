"""A page's session without Docker: host commands (`echo`) run on this machine through a stand-in backend, so
how lines are expanded and what errors say is checked in milliseconds."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from docexec import EngineSettings, PageError, Settings, parse_page
from docexec.core.signals import Interrupted
from docexec.hosts.backends import Backend, Host, LabBackend
from docexec.lab import Lab, LabStartFailed
from docexec.run import runner
from docexec.run.runner import Session
from tests.conftest import MakeProject


class LocalBackend(Backend):
    """One host that is this machine: commands start here, in a temporary folder."""

    def __init__(self, workdir: Path) -> None:
        self.mode = "lab"  # the lab's rules (host commands may run); nothing here talks to a daemon
        self.run_id = "local"
        self.hosts = {"docker-host": Host("docker-host", None, str(workdir), workdir,  # type: ignore[arg-type]
                                          {"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8"}, workdir)}

    def __enter__(self) -> dict[str, Host]:
        return self.hosts

    def close(self, *, failing: bool = False) -> None:
        pass


RunPage = Callable[[str], list[str]]


@pytest.fixture
def run_page(make_project: MakeProject, tmp_path: Path) -> RunPage:
    """Run the `$ ` lines of one exec="host" block; the outputs, one per line."""

    def run(lines: str) -> list[str]:
        config: Settings = make_project({})
        page = parse_page("p.md", f'```console exec="host" id="a"\n{lines}\n```\n', "docs/p.md")
        engine = EngineSettings.of(config.engines[0])
        with Session(page, config, engine, LocalBackend(tmp_path), notify=lambda m: None) as session:
            block = page.blocks[0]
            return [session.run(block, command).output for command in block.commands]

    return run


def test_an_assignment_keeps_the_output_as_sh_does(run_page: RunPage) -> None:
    """sh: X is the output without its trailing newlines; "$X" keeps the inner spaces, $X is split into words."""
    outputs = run_page("$ X=$(echo 'a  b')\n$ echo \"$X\"\n$ echo $X\n$ echo \"[$PWD]\"")
    assert outputs[1:3] == ["a  b\n", "a b\n"]
    assert outputs[3].startswith("[/")


def test_a_missing_variable_is_named(run_page: RunPage) -> None:
    with pytest.raises(PageError, match=r"\$NOPE is not set: assign it first with NOPE=\$\(command\)"):
        run_page("$ echo $NOPE")


def test_an_internal_key_error_is_not_reported_as_a_missing_variable(
        run_page: RunPage, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("internal")

    monkeypatch.setattr(runner, "check_argv", broken)
    with pytest.raises(KeyError) as info:
        run_page("$ echo hi")
    assert not isinstance(info.value, PageError) and info.value.args == ("internal",)


def ctrl_c_then_work() -> None:
    """A Ctrl-C to this process, then 0.3 s more of cleanup (a lab's waits for its processes to be gone)."""
    os.kill(os.getpid(), signal.SIGINT)
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        time.sleep(0.01)


class CtrlCDuringClose(LocalBackend):
    """A page's cleanup that takes a moment (a lab's waits for its processes to be gone), and a Ctrl-C during it."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.removed = False

    def close(self, *, failing: bool = False) -> None:
        ctrl_c_then_work()
        self.removed = True


@pytest.mark.parametrize("first", [True, False], ids=["second Ctrl-C", "Ctrl-C while closing"])
def test_a_ctrl_c_during_cleanup_does_not_cut_it_short(make_project: MakeProject, tmp_path: Path,
                                                       first: bool) -> None:
    """Cleanup runs to its end and the page then stops, saying truthfully that what it created was removed."""
    page = parse_page("p.md", '```console exec="host" id="a"\n$ echo hi\n```\n', "docs/p.md")
    backend = CtrlCDuringClose(tmp_path)
    said = re.escape("stopped by SIGINT while running p.md; everything the page created was removed")
    settings = make_project({})
    engine = EngineSettings.of(settings.engines[0])
    with pytest.raises(Interrupted, match=said), Session(page, settings, engine, backend, notify=lambda m: None):
        if first:  # the first Ctrl-C, with no command running: the page stops at once
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
            pytest.fail("the first Ctrl-C did not stop the page")
    assert backend.removed, "the cleanup was cut short"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class LabThatNeverStarts:
    """A lab whose every start fails (a dockerd that never answers), and whose removal takes a moment during which
    a Ctrl-C comes."""

    made: ClassVar[list[LabThatNeverStarts]] = []
    userland = Path("/nonexistent")

    def __init__(self) -> None:
        self.removed = False
        LabThatNeverStarts.made.append(self)

    def start(self, notify: Callable[[str], None]) -> None:
        raise LabStartFailed("dockerd did not answer (simulated)")

    def close(self) -> None:
        ctrl_c_then_work()
        self.removed = True


def test_a_ctrl_c_while_a_lab_that_failed_to_start_is_removed_does_not_cut_it_short(
        make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab backend removes a lab that did not start: a Ctrl-C that comes meanwhile waits until it is gone,
    and then the page stops, without a second lab."""
    LabThatNeverStarts.made.clear()
    monkeypatch.setattr(Lab, "for_hosts", classmethod(lambda cls, *args, **kwargs: LabThatNeverStarts()))
    settings = make_project({})
    engine = EngineSettings.of(settings.engines[0])
    page = parse_page("p.md", '```console exec="docker" id="a"\n$ docker ps\n```\n', "docs/p.md")
    backend = LabBackend(page, engine, [], settings.cache_dir / "images", notify=lambda m: None)
    with pytest.raises(Interrupted, match="everything the page created was removed"), \
            Session(page, settings, engine, backend, notify=lambda m: None):
        pytest.fail("the lab started")
    assert len(LabThatNeverStarts.made) == 1, "a second lab was made after the Ctrl-C"
    assert LabThatNeverStarts.made[0].removed, "the lab's removal was cut short"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
