"""Spare labs (mkdocs serve): the next run of a page takes the lab started for it in the background and records
the same outputs, and a spare never outlives its process: a recorder SIGKILLed while a spare starts, or while it
waits, leaves no process, mount or namespace of it behind, and the next run's cleanup removes the rest (its state
folder and cgroups), so that `docexec clean --check` passes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from docexec import Project, lab
from docexec.hosts import backends
from docexec.hosts.spares import Spare, Spares
from docexec.lab.cgroups import CGROUP_PREFIX, own_cgroups

from .conftest import Engine, MakeProject, env_for_throwaway_recording

pytestmark = pytest.mark.docker
PAGE = '''
---
hosts: [alpha, beta]
---
# t

```console exec="docker" id="a"
$ docker run --rm busybox echo hello
```

```console exec="host" id="b" host="beta"
$ cat /etc/hostname
```
'''


@pytest.fixture
def labs(engine: Engine) -> None:
    if engine.mode != "lab":
        pytest.skip("labs cannot run here")


@pytest.fixture
def spares(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spares]:
    """Spares kept, as in mkdocs serve (a pool of the test's own)."""
    pool = Spares()
    pool.enabled = True
    monkeypatch.setattr(backends, "SPARES", pool)
    yield pool
    pool.close_all()


def test_the_next_run_takes_the_spare_and_records_the_same(labs: None, spares: Spares,
                                                           make_project: MakeProject) -> None:
    project = Project(make_project({"p.md": PAGE}), mode="force", notify=lambda m: None)
    page = project.load_page("p.md")
    before = _lab_ids()
    first = project.record(page)
    spares.refill()  # after the build: the page's lab goes, a spare starts
    made = _lab_ids() - before
    taken: list[Spare | None] = []
    take = spares.take
    spares.take = lambda key: taken.append(take(key)) or taken[-1]  # type: ignore[method-assign,func-returns-value]
    again = project.record(page)
    assert taken and taken[0] is not None, "the second run did not get the spare"
    assert first.stored is not None and again.stored is not None
    for block in ("a", "b"):
        assert [c.output for c in again.stored.blocks[block]] == [c.output for c in first.stored.blocks[block]]
    spares.refill()  # the second lab goes, and a spare starts again: closed while it starts
    made |= _lab_ids() - before
    spares.close_all()
    deadline = time.monotonic() + 10
    while (left := [item for item in lab.leftovers() if any(i in item for i in made)]) and \
            time.monotonic() < deadline:
        time.sleep(0.1)  # a retired lab is destroyed by a worker
    assert left == []


STARTER = r"""
import sys
from pathlib import Path
from docexec.book.project import Project
from docexec.core.config import load_config
from docexec.hosts.backends import LabBackend
from docexec.hosts.spares import SPARES

project = Project(load_config(Path(sys.argv[1])), notify=lambda m: None)
page = project.load_page("p.md")
SPARES.enable()
SPARES.want("p", lambda: LabBackend(page, project.engine, project.images, project.settings.cache_dir / "images",
                                    notify=lambda m: None, from_spares=False))
SPARES.refill()
print("starting", flush=True)
if sys.argv[2] == "ready":
    SPARES.take("p")  # waits until it has started (and takes it: it stays up, as in a page's run)
    print("ready", flush=True)
sys.stdin.read()  # until killed
"""


def _lab_ids() -> set[str]:
    ids = {p.name for p in lab.RUNTIME_DIR.iterdir()} if lab.RUNTIME_DIR.is_dir() else set()
    for base in own_cgroups():
        ids |= {p.name.removeprefix(CGROUP_PREFIX) for p in base.iterdir() if p.name.startswith(CGROUP_PREFIX)}
    return ids


def _described(pid: str) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:60]
        parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    except OSError:
        return "gone"
    return f"{command}, parent {parent}"


def _labs_of(pid: int) -> set[str]:
    """The labs whose state names process `pid` as their owner (other tests and runs make labs meanwhile)."""
    found = set()
    for state in lab.RUNTIME_DIR.glob("*/lab.json"):
        with contextlib.suppress(OSError, ValueError):
            if json.loads(state.read_text()).get("owner") == pid:
                found.add(state.parent.name)
    return found


def _processes_in(ids: set[str]) -> list[str]:
    """Processes in the cgroups of these labs, and mounts naming them."""
    found = []
    for base in own_cgroups():
        for lab_id in ids:
            for folder, _, _ in os.walk(base / f"{CGROUP_PREFIX}{lab_id}"):  # folders go as their processes end
                with contextlib.suppress(OSError):
                    found += [f"process {pid} ({_described(pid)}) in {folder}"
                              for pid in Path(folder, "cgroup.procs").read_text().split()]
    mounts = Path("/proc/mounts").read_text().splitlines()
    return found + [f"mount {line}" for line in mounts if any(lab_id in line for lab_id in ids)]


@pytest.mark.parametrize("when", [0.05, 0.2, 0.5, 0.8, "ready"])
def test_a_spare_never_outlives_a_killed_recorder(labs: None, make_project: MakeProject, when: float | str) -> None:
    config = make_project({"p.md": PAGE})
    proc = subprocess.Popen([sys.executable, "-c", STARTER, str(config.root), str(when)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env_for_throwaway_recording(),
                            text=True)
    try:
        assert proc.stdout is not None
        started = proc.stdout.readline()
        assert started == "starting\n", started + proc.stdout.read()
        if when == "ready":
            assert proc.stdout.readline() == "ready\n"
            time.sleep(0.3)
        else:
            time.sleep(float(when))
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    made = _labs_of(proc.pid)
    if when == "ready":
        assert made, "the spare made no lab"
    # Even before a cleanup, no dockerd, no init script and no mount of the spare is left: its sandboxes died
    # with the process, and a host still at its gate ends there. What may be left is a sandbox's bubblewrap that
    # was killed out from under while it made the sandbox (bubblewrap ties a sandbox to its parent only once it
    # is made; until then it waits on an eventfd the killed one never writes): waiting, nothing started in it.
    # A spare that had started and waited leaves no process at all.
    deadline = time.monotonic() + 10
    while (left := [item for item in _processes_in(made) if when == "ready" or "(bwrap " not in item]) and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []
    # The next run's cleanup removes what is left (those sandboxes, the state folder, the cgroups), and only that.
    lab.sweep()
    assert [item for item in lab.leftovers() if any(lab_id in item for lab_id in made)] == []
    # `docexec clean --check` names nothing of this run's labs. It looks at the whole machine, where the tests of the
    # other xdist workers kill recorders on purpose meanwhile (seen in a full run: another test's lab listed here).
    checked = subprocess.run([sys.executable, "-m", "docexec", "clean", "--check"], cwd=config.root,
                             capture_output=True, text=True, env=env_for_throwaway_recording())
    reported = checked.stdout + checked.stderr
    assert checked.returncode == 0 or not any(lab_id in reported for lab_id in made), reported


@pytest.mark.parametrize("when", [0.05, 0.3, 0.6])
def test_a_spare_is_destroyed_when_its_process_exits_while_it_starts(labs: None, make_project: MakeProject,
                                                                     when: float) -> None:
    """Ctrl-C (mkdocs serve's end): the spare being started is destroyed at once, not tried again."""
    config = make_project({"p.md": PAGE})
    proc = subprocess.Popen([sys.executable, "-c", STARTER, str(config.root), "no"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env_for_throwaway_recording(),
                            text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "starting\n"
        time.sleep(when)
        made = _labs_of(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert "KeyboardInterrupt" in out and "fresh lab" not in out, out
    assert _labs_of(proc.pid) == set()
    assert [item for item in lab.leftovers() if any(lab_id in item for lab_id in made)] == []
