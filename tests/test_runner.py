"""The engine on real Docker: one page as one session, in a lab of its own (or on the shared daemon), and nothing
left behind, whatever happens."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docexec import CommandFailed, PageError, Project, RefusedToRecord, lab
from docexec.hosts.daemon import LABEL, Daemon
from tests.conftest import MakeProject

from .conftest import Engine, env_for_throwaway_recording

pytestmark = pytest.mark.docker


def project_for(make_project: MakeProject, text: str, **kw) -> tuple[Project, object]:  # type: ignore[no-untyped-def]
    config = make_project({"p.md": text}, **kw)
    project = Project(config, mode="force", notify=lambda m: None)
    return project, project.load_page("p.md")


NAMES = {"container web", "container slow", "container victim", "container late", "network lab", "network killme",
         "volume data", "volume killvol"}


def leftovers(engine: Engine) -> list[str]:
    """What these tests' pages left: labs, or (shared daemon) objects they created."""
    return engine.leftovers(NAMES)


def containers(engine: Engine) -> list[str]:
    """Names of the containers running now: in every lab, or on the shared daemon."""
    if engine.daemon is not None:
        return [c.name or "" for c in engine.daemon.client.containers.list(filters={"label": LABEL})]
    names = []
    for socket in lab.running().values():
        done = subprocess.run(["docker", "-H", f"unix://{socket}", "ps", "--format", "{{.Names}}"],
                              capture_output=True, text=True, timeout=10, check=False)
        names += done.stdout.split()
    return names


def test_a_page_runs_in_order_and_is_cleaned_up(engine: Engine, make_project: MakeProject) -> None:
    project, page = project_for(make_project, '''
        ```console exec="host" id="a"
        $ docker network create --subnet 172.30.77.0/24 lab
        $ docker run -d --name web --network lab -v data:/data -v /anon busybox sleep 1d
        $ CID=$(docker inspect -f '{{.Id}}' web)
        $ docker exec web sh -c 'echo hi > /data/x'
        $ docker inspect -f '{{.Name}} {{.State.Running}}' "$CID"
        $ docker exec web cat /data/x
        $ docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}} {{.Labels}}' lab
        $ docker inspect -f '{{json .Config.Labels}}' web
        $ docker volume inspect -f '{{.Labels}}' data
        $ docker ps --format '{{.Names}}' | grep -c web
        $ nsenter -t $(docker inspect -f '{{.State.Pid}}' web) -n ip -o addr show eth0 | cut -d ' ' -f 2,7
        ```
        ''')
    outcome = project.record(page)  # type: ignore[arg-type]
    assert outcome.stored is not None
    outputs = [r.output for r in outcome.stored.blocks["a"]]
    assert outputs[2] == ""  # an assignment prints nothing
    assert outputs[4] == "/web true\n"
    assert outputs[5] == "hi\n"
    assert outputs[6] == "172.30.77.0/24 map[]\n", "the tracking label must not show"
    assert outputs[7] == "{}\n"
    assert outputs[8] == "map[]\n"
    assert outputs[9] == "1\n"
    assert outputs[10] == "eth0 172.30.77.2/24\n"
    assert leftovers(engine) == []


def test_a_failing_command_stops_the_page_and_cleans_up(engine: Engine, make_project: MakeProject) -> None:
    project, page = project_for(make_project, '''
        ```console exec="docker" id="a"
        $ docker run -d --name web busybox sleep 1d
        $ docker exec web ls /nope
        $ docker ps
        ```
        ''')
    with pytest.raises(CommandFailed) as info:
        project.record(page)  # type: ignore[arg-type]
    err = info.value
    assert (err.page, err.line, err.expected, err.actual) == ("docs/p.md", 3, 0, 1)
    assert "No such file or directory" in err.output
    assert "docs/p.md:3: command exited with 1, the page expects 0" in str(err)
    assert leftovers(engine) == []
    assert not (project.engine.snippets_dir / "p").exists(), "a failed page writes no recording"


def test_a_timeout_kills_the_command_and_keeps_what_it_printed(engine: Engine, make_project: MakeProject) -> None:
    project, page = project_for(make_project, '''
        ```console exec="docker" id="a" timeout="2"
        $ docker run --name slow busybox sh -c 'echo started; sleep 60'
        ```
        ''')
    start = time.monotonic()
    with pytest.raises(CommandFailed) as info:
        project.record(page)  # type: ignore[arg-type]
    assert time.monotonic() - start < 15
    assert info.value.timed_out and "started" in info.value.output
    assert "timed out after 2 s" in str(info.value)
    assert leftovers(engine) == []


def test_expected_failures_and_pipes(engine: Engine, make_project: MakeProject) -> None:
    project, page = project_for(make_project, '''
        ```console exec="docker" id="fails" returncode="1"
        $ docker network create --subnet 172.17.0.0/16 clash
        ```

        ```console exec="docker" id="pipe"
        $ docker run --rm busybox sh -c 'seq 1 50' | tail -n 2
        ```
        ''')
    outcome = project.record(page)  # type: ignore[arg-type]
    assert outcome.stored is not None
    (clash,) = outcome.stored.blocks["fails"]
    assert clash.returncode == 1 and "overlaps" in clash.output
    assert outcome.stored.blocks["pipe"][0].output == "49\n50\n"
    assert leftovers(engine) == []


def test_objects_the_page_did_not_create_are_not_touched(daemon: Daemon, make_project: MakeProject) -> None:
    foreign = daemon.client.containers.run("busybox:latest", "sleep 1d", name="not-mine", detach=True,
                                           network_mode="none")
    try:
        for command in ("docker rm -f not-mine", "docker exec not-mine ls", "docker stop not-mine"):
            project, page = project_for(make_project, f'```console exec="docker" id="a"\n$ {command}\n```\n')
            with pytest.raises(PageError, match="was not created by this page"):
                project.record(page)  # type: ignore[arg-type]
        foreign.reload()
        assert foreign.status == "running"
    finally:
        foreign.remove(force=True)


def test_a_foreign_container_on_the_default_bridge_refuses_recording(daemon: Daemon, make_project: MakeProject) -> None:
    foreign = daemon.client.containers.run("busybox:latest", "sleep 1d", name="squatter", detach=True)
    try:
        project, page = project_for(make_project, '```console exec="docker" id="a"\n$ docker ps\n```\n')
        with pytest.raises(RefusedToRecord, match="squatter"):
            project.record(page)  # type: ignore[arg-type]
        # A build keeps using the recordings instead of failing.
        project.mode = "auto"
        outcome = project.ensure(page)  # type: ignore[arg-type]
        assert outcome.status == "missing" and "squatter" in outcome.reason
    finally:
        foreign.remove(force=True)


SLOW_PAGE = '''
```console exec="docker" id="a"
$ docker network create --subnet 172.30.78.0/24 killme
$ docker run -d --name victim --network killme -v killvol:/v busybox sleep 1d
$ docker exec victim sleep 30
```
'''


def _start_recording(config_root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "docexec", "record"], cwd=config_root,
                            env=env_for_throwaway_recording(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@contextlib.contextmanager
def recording_process(config_root: Path):  # type: ignore[no-untyped-def]
    """A `docexec record` subprocess that is always reaped, even when the test fails."""
    proc = _start_recording(config_root)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


@pytest.fixture(params=["lab", "shared"])
def either(request: pytest.FixtureRequest, engine: Engine) -> Engine:
    """The same test in a lab and on the shared daemon (the fallback mode)."""
    if request.param == "lab":
        if engine.mode != "lab":
            pytest.skip("labs cannot run here")
        return engine
    return Engine("shared", request.getfixturevalue("daemon"))


def _wait_for(engine: Engine, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name in containers(engine):
            time.sleep(0.5)
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} never started")


def _lab_of(pid: int) -> dict[str, object]:
    """What the lab that process `pid` made consists of, seen from the machine: its processes (PID and start
    time), its namespaces' inodes, its id. Other labs (tests run in parallel) are not looked at."""
    for state_file in Path(lab.RUNTIME_DIR).glob("*/lab.json"):
        state = json.loads(state_file.read_text())
        if state.get("owner") != pid:
            continue
        namespaces = set()
        for child in state["sandboxes"].values():  # each sandbox's PID 1: in the lab's own namespaces
            for kind in ("net", "mnt", "pid"):
                with contextlib.suppress(OSError):
                    namespaces.add(os.readlink(f"/proc/{child}/ns/{kind}"))
        namespaces -= {os.readlink(f"/proc/self/ns/{kind}") for kind in ("net", "mnt", "pid")}
        assert namespaces, "the lab's namespaces could not be read"
        return {"id": state["id"], "processes": state["processes"], "namespaces": namespaces}
    raise AssertionError(f"process {pid} made no lab")


def _gone(made: dict[str, object], timeout: float = 10) -> list[str]:
    """What of the lab `made` still exists (namespaces are freed by the kernel asynchronously: allow a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [f"process {p['pid']}" for p in made["processes"]  # type: ignore[attr-defined]
                 if lab.start_time(p["pid"]) == p["start"]]
        listed = subprocess.run(["lsns", "-n", "-o", "TYPE,NS"], capture_output=True, text=True, check=True).stdout
        current = {f"{kind}:[{inode}]" for kind, inode in (line.split() for line in listed.splitlines())}
        names = {f"{k}:[{i}]" for k, i in (n.rstrip("]").split(":[") for n in
                                                                    made["namespaces"])}  # type: ignore[attr-defined]
        left = alive + sorted(names & current)
        left += [item for item in lab.leftovers() if str(made["id"]) in item]
        left += [line for line in Path("/proc/mounts").read_text().splitlines() if str(made["id"]) in line]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_clean_up(either: Engine, make_project: MakeProject, sig: int) -> None:
    config = make_project({"p.md": SLOW_PAGE})
    with recording_process(config.root) as proc:
        _wait_for(either, "victim")
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode != 0, out
    assert leftovers(either) == [], out
    if either.daemon is not None:
        assert "killvol" not in either.daemon.volume_names()
    assert not (config.engines[0].snippets_dir / "p").exists()


def test_sigkill_leftovers_are_removed_by_the_next_run(either: Engine, make_project: MakeProject) -> None:
    config = make_project({"p.md": SLOW_PAGE})
    with recording_process(config.root) as proc:
        _wait_for(either, "victim")
        made = _lab_of(proc.pid) if either.daemon is None else {}
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
    left = leftovers(either)
    if either.daemon is not None:
        assert "container victim" in left and "network killme" in left and "volume killvol" in left
    else:
        # The lab's processes died with the recorder (they are tied to it); its state and cgroups are left.
        assert any(item.startswith("lab ") for item in left), left
    # The next session finds and removes the leftovers, and only those.
    project = Project(config, mode="force", notify=lambda m: None)
    page = project.load_page("p.md")
    with project.session(page):
        assert leftovers(either) == [] if either.daemon is not None else \
            all(item.startswith(("lab ", "cgroup ")) for item in leftovers(either))
    assert leftovers(either) == []
    if either.daemon is None:  # its processes, namespaces, mounts, cgroups and state are all gone
        assert _gone(made) == []


EXIT_WHILE_RUNNING = r"""
import subprocess, sys, threading, time
from docexec import lab
from docexec.core.config import load_config
from docexec.book.project import Project

from pathlib import Path
project = Project(load_config(Path(sys.argv[1])), mode="force", notify=lambda m: None)
page = project.load_page("p.md")

def build():  # like mkdocs serve: the rebuild runs in a daemon thread
    project.record(page)

def victim_runs():
    if project.hosts_mode() == "shared":
        return any(c.name == "victim" for c in project.daemon().client.containers.list())
    for socket in lab.running().values():
        ps = subprocess.run(["docker", "-H", "unix://" + socket, "ps", "--format", "{{.Names}}"],
                            capture_output=True, text=True)
        if "victim" in ps.stdout.split():
            return True
    return False

threading.Thread(target=build, daemon=True).start()
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not victim_runs():
    time.sleep(0.1)
print("main thread exits", flush=True)
"""


def test_a_page_still_running_in_a_thread_is_cleaned_up_at_exit(either: Engine, make_project: MakeProject) -> None:
    config = make_project({"p.md": SLOW_PAGE})
    done = subprocess.run([sys.executable, "-c", EXIT_WHILE_RUNNING, str(config.root)], capture_output=True,
                          text=True, timeout=60, env=env_for_throwaway_recording(), check=False)
    assert "main thread exits" in done.stdout, done.stdout + done.stderr
    assert leftovers(either) == []
    assert not (config.engines[0].snippets_dir / "p").exists()


LATE = '''
```console exec="docker" id="start"
$ docker run -d --name late busybox sh -c 'sleep 1; touch /ready; sleep 1d'
```

```console exec="docker" id="wait" {retry}
$ docker exec late ls /ready
```
'''


def test_retry_waits_for_something_that_finishes_asynchronously(engine: Engine, make_project: MakeProject) -> None:
    project, page = project_for(make_project, LATE.replace("{retry}", 'retry="10"'))
    outcome = project.record(page)  # type: ignore[arg-type]
    assert outcome.stored is not None
    assert outcome.stored.blocks["wait"][0].output == "/ready\n"
    project, page = project_for(make_project, LATE.replace("{retry}", ""))
    with pytest.raises(CommandFailed, match="No such file"):
        project.record(page)  # type: ignore[arg-type]
