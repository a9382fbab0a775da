"""Faults and hostile input, each injected for real: the tool keeps working, loses no recording, leaves nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from docexec import DaemonUnavailable, DocexecError, Project
from docexec.core.signals import PROCESSES
from docexec.hosts.daemon import LABEL, Daemon
from docexec.hosts.lock import DaemonLock
from docexec.run.pipeline import clean_output, run_pipeline
from docexec.store import recording
from tests.conftest import MakeProject

from .conftest import Engine, env_for_throwaway_recording
from .daemon_proxy import DaemonProxy

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------------
# outputs a terminal would mangle


def test_invalid_utf8_ansi_and_control_characters_are_made_readable() -> None:
    assert clean_output(b"\xff\xfeok\n") == "\ufffd\ufffdok\n"
    assert clean_output(b"\x1b[31mred\x1b[0m plain\n") == "red plain\n"
    assert clean_output(b"progress 10%\rprogress 100%\n") == "progress 100%\n"
    assert clean_output(b"bell\x07\n") == "bell\\x07\n"
    assert clean_output("中文 🐳\n".encode()) == "中文 🐳\n"


def test_a_pipe_whose_second_program_is_missing_says_so_and_leaves_no_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stage 2 failing to start: the clear message (not EBADF from closing a pipe twice), the first stage killed
    and reaped (no zombie, no process left running), and no file descriptor left open."""
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def tracked(*args, **kw):  # type: ignore[no-untyped-def]
        started.append(popen(*args, **kw))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", tracked)
    fds = set(os.listdir("/proc/self/fd"))
    with pytest.raises(DocexecError, match="'docexec-no-such-program' is not installed"):
        run_pipeline([["sleep", "30"], ["docexec-no-such-program"], ["cat"]], env=dict(os.environ), cwd=tmp_path,
                     timeout=30, limit=4096)
    assert len(started) == 1
    assert started[0].returncode is not None, "the first stage was not reaped"
    assert not Path(f"/proc/{started[0].pid}").exists()
    assert not PROCESSES.running
    assert set(os.listdir("/proc/self/fd")) == fds


def _run_page(make_project: MakeProject, text: str, **kw) -> Project:  # type: ignore[no-untyped-def]
    config = make_project({"p.md": text}, **kw)
    return Project(config, mode="force", notify=lambda m: None)


@pytest.mark.docker
def test_huge_binary_and_cjk_outputs(engine: Engine, make_project: MakeProject) -> None:
    project = _run_page(make_project, '''
        ```console exec="docker" id="a"
        $ docker run --rm busybox sh -c 'yes 0123456789 | head -c 300000'
        $ docker run --rm busybox printf '\\377\\033[1mbold\\033[0m\\n'
        $ docker run --rm busybox echo 你好 🐳
        ```

        ```console exec="docker" id="b" returncode="125"
        $ docker run --rm --name 中文名 busybox true
        ```
        ''', extra_config="max_output_bytes = 1000\n")
    outcome = project.record(project.load_page("p.md"))
    assert outcome.stored is not None
    huge, binary, cjk = (r.output for r in outcome.stored.blocks["a"])
    assert len(huge) < 1200 and "[docexec: output cut at 1000 of 300000 bytes]" in huge
    assert binary == "\ufffdbold\n"
    assert cjk == "你好 🐳\n"
    assert "Invalid container name (中文名)" in outcome.stored.blocks["b"][0].output


# --------------------------------------------------------------------------------------------------
# a daemon that dies in the middle of a page


SLOW = '''
```console exec="docker" id="a"
$ docker run -d --name doomed busybox sleep 1d
$ docker exec doomed sleep 20
$ docker ps
```
'''


@pytest.mark.docker
def test_the_daemon_stopping_mid_page_is_a_clear_error_and_costs_no_recording(
        daemon: Daemon, make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_project({"p.md": SLOW})
    # A good recording exists first.
    fast = SLOW.replace("sleep 20", "true")
    (config.docs_dir / "p.md").write_text(fast)
    Project(config, mode="force", notify=lambda m: None).record(Project(config).load_page("p.md"))
    before = {p.name: p.read_bytes() for p in (config.engines[0].snippets_dir / "p").iterdir()}
    (config.docs_dir / "p.md").write_text(SLOW)

    proxy = DaemonProxy(tmp_path / "docker.sock", daemon.where.removeprefix("unix://")).start()
    monkeypatch.setenv("DOCKER_HOST", proxy.url)
    project = Project(config, mode="force", notify=lambda m: None)
    page = project.load_page("p.md")
    cut = None
    try:
        import threading

        def cut_when_running() -> None:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if any(c.name == "doomed" for c in daemon.client.containers.list()):
                    time.sleep(1.0)
                    proxy.stop()
                    return
                time.sleep(0.1)

        cut = threading.Thread(target=cut_when_running)
        cut.start()
        with pytest.raises(DaemonUnavailable, match=r"docs/p.md:[45]: the Docker daemon stopped answering"):
            project.record(page)
    finally:
        if cut:
            cut.join()
        proxy.stop()
        project.close()
    # The previous recording is untouched; the container is still there (nobody could remove it) ...
    assert {p.name: p.read_bytes() for p in (config.engines[0].snippets_dir / "p").iterdir()} == before
    assert "container doomed" in daemon.janitor.labelled()
    # ... until the daemon is back: the next run removes it.
    monkeypatch.setenv("DOCKER_HOST", daemon.where)
    with Project(config, mode="force", notify=lambda m: None).session(page):
        pass
    assert "container doomed" not in daemon.janitor.labelled()


# --------------------------------------------------------------------------------------------------
# two recordings at once


@pytest.mark.docker
def test_a_second_recording_waits_for_the_lock_and_says_who_holds_it(daemon: Daemon, make_project: MakeProject) -> None:
    config = make_project({"p.md": '```console exec="docker" id="a"\n$ docker ps --format "{{.Names}}"\n```\n'})
    with DaemonLock(daemon.identity(), "a test holding the lock"):
        proc = subprocess.Popen([sys.executable, "-m", "docexec", "record"], cwd=config.root,
                                env=env_for_throwaway_recording(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(3)
            assert proc.poll() is None, "the second recording must wait"
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert f"held by pid {os.getpid()} (a test holding the lock)" in out
    assert recording.load(config.engines[0].snippets_dir, Project(config).load_page("p.md")) is not None


# --------------------------------------------------------------------------------------------------
# runaway examples


@pytest.mark.docker
def test_containers_get_memory_and_process_limits(engine: Engine, make_project: MakeProject) -> None:
    """In a lab a container has the limits the page gave it and no others (the lab's cgroup limits the whole lab:
    lab/cgroups.py); on the shared daemon the engine's limits protect the machine unless the page sets its own."""
    project = _run_page(make_project, '''
        ```console exec="docker" id="a"
        $ docker run -d --name limited busybox sleep 1d
        $ docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' limited
        $ docker run -d --name chosen -m 64m --pids-limit 10 busybox sleep 1d
        $ docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' chosen
        ```
        ''')
    outcome = project.record(project.load_page("p.md"))
    assert outcome.stored is not None
    outputs = [r.output for r in outcome.stored.blocks["a"]]
    memory, pids = outputs[1].split()
    if engine.mode == "lab":  # no limit: Docker shows 0 (PidsLimit: 0, -1 or, on some engines, <nil>)
        assert (memory, pids in ("0", "-1", "<nil>")) == ("0", True), f"limits were added: {outputs[1]!r}"
    else:
        assert (memory, pids) == (f"{256 * 1024 * 1024}", "256")
    assert outputs[3] == f"{64 * 1024 * 1024} 10\n", "a page's own limits win"
    assert engine.leftovers({"container limited", "container chosen"}) == []


@pytest.mark.docker
def test_the_shared_daemon_s_limits_are_said_where_inspect_shows_them(daemon: Daemon,
                                                                     make_project: MakeProject) -> None:
    """On the shared daemon the engine adds limits to the page's containers; the output of `docker inspect` there
    says so, as it differs from the book's and a reader's."""
    project = _run_page(make_project, '''
        ```console exec="docker" id="a"
        $ docker run -d --name limited busybox sleep 1d
        $ docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' limited
        $ docker ps -q --filter name=nothing
        $ CID=$(docker inspect -f '{{.Id}}' limited)
        ```
        ''')
    outcome = project.record(project.load_page("p.md"))
    assert outcome.stored is not None
    run, inspect, ps, assign = (r.output for r in outcome.stored.blocks["a"])
    assert inspect == (f"{256 * 1024 * 1024} 256\n[docexec: on the shared daemon the engine adds --memory 256m "
                       "--pids-limit 256 to containers that set no limits; in a lab, as on a reader's machine, "
                       "they have none]\n")
    assert "docexec" not in run + ps + assign, "only outputs that show the limits say so (not a variable's)"


# --------------------------------------------------------------------------------------------------
# bad input in a real build: an error naming page and line, never a traceback, never a recording lost


BAD_PAGES = {
    "unknown option": ('```console exec="docker" id="x" retrun="1"\n$ docker ps\n```\n', 3, "did you mean"),
    "shell trick": ('```console exec="docker" id="x"\n$ docker ps && rm -rf /\n```\n', 4, "'&&'"),
    "host command": ('```console exec="host" id="x"\n$ rm -rf /tmp/x\n```\n', 4, "not an allowed host command"),
    "dangerous flag": ('```console exec="docker" id="x"\n$ docker run --privileged busybox\n```\n', 4, "whole host"),
    "unknown flag": ('```console exec="docker" id="x"\n$ docker run --priviliged busybox\n```\n', 4,
                     "did you mean '--privileged'"),
    "registry": ('```console exec="docker" id="x"\n$ docker pull alpine\n```\n', 4, "registry"),
    "tty": ('```console exec="docker" id="x"\n$ docker run -it busybox sh\n```\n', 4, "terminal"),
    "outside address": ('```console exec="docker" id="x"\n$ docker run --rm busybox ping -c1 8.8.8.8\n```\n', 4,
                        "outside this machine"),
}


@pytest.mark.parametrize("case", sorted(BAD_PAGES))
def test_bad_pages_fail_the_build_cleanly(case: str, tmp_path: Path) -> None:
    text, line, message = BAD_PAGES[case]
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "index.md").write_text("# 首页\n\n" + text)
    (site / "mkdocs.yml").write_text("site_name: t\nplugins: [docexec]\n")
    (site / "pyproject.toml").write_text(textwrap.dedent(f'''
        [tool.docexec]
        images_dir = "{ROOT / "images"}"
        workdir = "{tmp_path / "work"}"
        '''))
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=site, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode != 0
    assert f"docs/index.md:{line}: " in done.stderr and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (site / "snippets").exists()


def test_labels_are_not_left_by_this_module(daemon: Daemon) -> None:
    left = [x for x in daemon.janitor.labelled() if x.split()[1] in ("doomed", "limited", "chosen")]
    assert not left
    assert LABEL == "io.docexec.run"


class _FakeClient:
    """Just enough of the SDK's client for Daemon.preflight."""

    def __init__(self, root: str, subnet: str) -> None:
        self._root, self._subnet = root, subnet
        self.containers = self
        self.networks = self

    def list(self, **kwargs: object) -> list[object]:
        return []

    def get(self, name: str) -> object:
        return type("Network", (), {"attrs": {"IPAM": {"Config": [{"Subnet": self._subnet}]}}})()

    def info(self) -> dict[str, str]:
        return {"DockerRootDir": self._root}


@pytest.mark.parametrize(("root", "subnet", "message"), [
    ("/srv/docker", "172.17.0.0/16", "keeps its data in /srv/docker"),
    ("/var/lib/docker", "10.200.0.0/16", "the lessons assume 172.17.0.0/16"),
])
def test_an_engine_unlike_the_lessons_refuses_recording(root: str, subnet: str, message: str) -> None:
    from docexec.core.errors import RefusedToRecord

    with pytest.raises(RefusedToRecord, match=message):
        Daemon(_FakeClient(root, subnet)).janitor.preflight()  # type: ignore[arg-type]
    Daemon(_FakeClient("/var/lib/docker", "172.17.0.0/16")).janitor.preflight()  # type: ignore[arg-type]
