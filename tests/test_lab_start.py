"""A lab that fails to start is told apart from drift: its own error (LabStartFailed) with the last lines of the
host's log, one more try with a fresh lab (for `docexec record` and the drift check alike), and in the drift
check, a page whose session failed to open does not start a lab again for each of its later commands.

Faults are injected into real labs: a dockerd that exits at once (an engine folder put first on the lab's PATH,
for the first lab made or for all), or a lab whose dockerd answered once and then no longer."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from docexec import DaemonUnavailable, Lab, LabSettings, Project, lab
from docexec.hosts.daemon import Daemon
from docexec.lab import LabStartFailed
from docexec.lab.sandbox import Sandboxes

from .conftest import MakeProject, env_for_throwaway_recording
from .test_plugin import project, record  # noqa: F401  (project: the fixture)

pytestmark = pytest.mark.docker
PAGE = '''
# t

```console exec="host" id="a"
$ cat /etc/hostname
$ ls /lab
$ cat /etc/hostname
```
'''
INJECTED = "dockerd: failed to start (injected)"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """An engine folder whose dockerd exits at once, saying so on its log."""
    folder = tmp_path / "broken-engine"
    folder.mkdir()
    (folder / "dockerd").write_text(f"#!/bin/sh\necho '{INJECTED}' >&2\nexit 3\n")
    (folder / "dockerd").chmod(0o755)
    return folder


def break_labs(monkeypatch: pytest.MonkeyPatch, broken: Path, count: int) -> list[Lab]:
    """The first `count` labs made get the broken dockerd (first on their PATH); returns every lab made."""
    made: list[Lab] = []
    original = Lab.for_hosts.__func__  # type: ignore[attr-defined]

    def for_hosts(cls: type[Lab], names: Sequence[str], settings: LabSettings | None = None,
                  label: str = "") -> Lab:
        settings = settings or LabSettings()
        if len(made) < count:
            settings = dataclasses.replace(settings, engine_path=(broken, *settings.engine_path))
        made.append(original(cls, names, settings, label))
        return made[-1]

    monkeypatch.setattr(Lab, "for_hosts", classmethod(for_hosts))
    return made


def lose_the_first_daemon(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first connection to a lab's dockerd fails as in issue 21 (it answered Lab.start a moment before)."""
    tried: list[str] = []
    original = Daemon.connect.__func__  # type: ignore[attr-defined]

    def connect(cls: type[Daemon], where: str | None = None, timeout: int = 10) -> Daemon:
        if where is not None and where.startswith("unix:///proc/"):
            tried.append(where)
            if len(tried) == 1:
                raise DaemonUnavailable(f"no Docker daemon answers at {where} (No such file or directory)")
        return original(cls, where, timeout)  # type: ignore[no-any-return]

    monkeypatch.setattr(Daemon, "connect", classmethod(connect))
    return tried


def no_labs_left() -> bool:
    return not [item for item in lab.leftovers() if "tests: a shared daemon" not in item]


@pytest.mark.parametrize("fault", ["dockerd exits", "dockerd stops answering"])
def test_record_tries_once_more_with_a_fresh_lab(labs: None, make_project: MakeProject, broken: Path,
                                                 monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    made = break_labs(monkeypatch, broken, 1 if fault == "dockerd exits" else 0)
    tried = lose_the_first_daemon(monkeypatch) if fault == "dockerd stops answering" else []
    notes: list[str] = []
    config = make_project({"p.md": PAGE})
    book = Project(config, mode="force", notify=notes.append)
    outcome = book.record(book.load_page("p.md"))
    assert outcome.stored is not None and outcome.stored.blocks["a"][0].output == "docker-host\n"
    retried = [n for n in notes if "trying once more with a fresh lab" in n]
    assert len(retried) == 1, notes
    if fault == "dockerd exits":
        assert len(made) == 2 and made[0].id != made[1].id
        assert "docs/p.md: the lab failed to start (the lab's dockerd on docker-host stopped)" in retried[0]
    else:
        assert len(tried) == 2 and tried[0] != tried[1], "a fresh lab: another dockerd"
        assert "dockerd on docker-host stopped answering once started: no Docker daemon answers" in retried[0]
    assert no_labs_left()


def test_a_lab_that_never_starts_fails_with_its_log_after_two_labs(labs: None, make_project: MakeProject,
                                                                   broken: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    made = break_labs(monkeypatch, broken, 99)
    config = make_project({"p.md": PAGE})
    book = Project(config, mode="force", notify=lambda m: None)
    with pytest.raises(LabStartFailed) as failed:
        book.record(book.load_page("p.md"))
    assert len(made) == 2
    assert str(failed.value).splitlines()[:2] == [
        "docs/p.md: the lab's dockerd on docker-host stopped (twice, the second time in a fresh lab)",
        "  the last lines of docker-host's log:"]
    assert f"  | {INJECTED}" in str(failed.value).splitlines()
    assert no_labs_left()


def test_docexec_record_says_a_lab_failed_to_start_and_retried(labs: None, make_project: MakeProject,
                                                               broken: Path) -> None:
    config = make_project({"p.md": PAGE}, f'engine_path = ["{broken}"]\n')
    done = subprocess.run([sys.executable, "-m", "docexec", "record"], cwd=config.root, capture_output=True,
                          text=True, env={**env_for_throwaway_recording(), "COLUMNS": "300"}, timeout=300,
                          check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "docs/p.md: the lab failed to start (the lab's dockerd on docker-host stopped); trying once more " \
           "with a fresh lab" in done.stdout, done.stdout
    assert "failed    docs/p.md: the lab's dockerd on docker-host stopped (twice, the second time in a fresh lab)" \
           in done.stdout, done.stdout
    assert f"| {INJECTED}" in done.stdout, done.stdout
    assert no_labs_left()


def fail_the_third_host(monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    """host3 of a lab fails to start, after the switch and two hosts: its sandbox is not started at all (before it
    has opened anything of its own), or its bubblewrap cannot be run (after the sandbox has opened its pipes)."""
    if fault == "its sandbox is not started":
        start = Sandboxes.start

        def not_started(self: Sandboxes, name: str, argv: list[str], **options: Any) -> int:
            if name == "host3":
                raise LabStartFailed("host3 not started (injected)")
            return start(self, name, argv, **options)

        monkeypatch.setattr(Sandboxes, "start", not_started)
        return
    popen = subprocess.Popen
    gated: list[object] = []

    def not_run(args: Any, **options: Any) -> Any:
        if options.get("stderr", -1) >= 0:  # a host's bubblewrap: its gate comes as standard error (STDOUT: -2)
            gated.append(args)
            if len(gated) == 3:
                raise OSError(errno.EAGAIN, "host3's bubblewrap not run (injected)")
        return popen(args, **options)

    monkeypatch.setattr(subprocess, "Popen", not_run)


def open_fds() -> dict[int, str]:
    """This process's open file descriptors, and what each is."""
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own, closed by now
            fds[int(fd)] = os.readlink(f"/proc/self/fd/{fd}")
    return fds


@pytest.mark.parametrize("fault", ["its sandbox is not started", "its bubblewrap cannot be run"])
def test_a_lab_that_fails_to_start_a_later_host_leaves_no_fd_open(labs: None, monkeypatch: pytest.MonkeyPatch,
                                                                   fault: str) -> None:
    """The pipes opened for a lab (each host's gate, each sandbox's info pipe) are all closed when a host after
    the first fails to start, and the lab's state and cgroups are gone."""
    made = Lab.for_hosts(["host1", "host2", "host3"], label="tests")
    fail_the_third_host(monkeypatch, fault)
    before = open_fds()
    with pytest.raises((LabStartFailed, OSError), match=r"host3.* \(injected\)"):
        made.start()
    assert open_fds() == before
    assert not made.state_dir.exists()
    assert no_labs_left()


# ---------------------------------------------------------------------------------------------------------------
# the drift check


@pytest.fixture
def checked(project: pytest.Pytester) -> pytest.Pytester:  # noqa: F811
    """test_plugin's throwaway project for the drift check, with this module's page."""
    (project.path / "docs" / "t.md").write_text(PAGE)
    return project


def count_starts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    started: list[str] = []
    original = Lab.start

    def start(self: Lab, notify: object = None) -> None:
        started.append(self.id)
        original(self, notify)  # type: ignore[arg-type]

    monkeypatch.setattr(Lab, "start", start)
    return started


def test_the_drift_check_reports_a_lab_that_fails_to_start_apart_from_drift(
        labs: None, checked: pytest.Pytester, broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its first command says the lab failed to start (not drift), with the dockerd's log; the page's other
    commands fail at once naming that first failure, without starting labs of their own."""
    break_labs(monkeypatch, broken, 99)
    started = count_starts(monkeypatch)
    result = checked.runpytest("docs/t.md", "-k", "not recording")
    result.assert_outcomes(failed=3, deselected=2)  # the recording and unused-recordings items
    assert len(started) == 2, "one lab, then one fresh lab, for the whole page"
    result.stdout.fnmatch_lines([
        "lab failed to start (not drift): docs/t.md: the lab's dockerd on docker-host stopped (twice, the second "
        "time in a fresh lab)",
        "  the last lines of docker-host's log:",
        f"  | {INJECTED}",
    ])
    later = [line for line in result.stdout.lines if line.startswith("lab failed to start (not drift): not run: ")]
    assert later == ["lab failed to start (not drift): not run: this page's session failed to open for "
                     "docs/t.md:5 (not tried again): docs/t.md: the lab's dockerd on docker-host stopped (twice, "
                     "the second time in a fresh lab)"] * 2, result.stdout.str()
    assert no_labs_left()


def test_the_drift_check_passes_when_a_fresh_lab_starts(labs: None, checked: pytest.Pytester, broken: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    record(checked)
    made = break_labs(monkeypatch, broken, 1)
    checked.runpytest("docs").assert_outcomes(passed=5)  # the recording, 3 commands, no unused recordings
    assert len(made) == 2
    assert no_labs_left()
