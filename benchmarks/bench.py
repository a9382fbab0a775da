"""Benchmarks of issue #7, as ratios measured in one run on one machine.

1. warm build: `mkdocs build` with every recording current, with the docexec plugin against the same site with the
   plugin removed (the same pages, theme and extensions; its blocks then have no outputs: see 6 for the fair one);
2. recording: `docexec record` of the whole tutorial against a plain bash script that runs the same docker
   commands in the same order, with the same image check and the same cleanup (both on one shared daemon);
3. serve: while `mkdocs serve --dirty` runs, change one command of one page; the time until the rebuilt page is
   served, against that page's commands' own time;
4. labs (issue #10): recording the whole book with labs, two pages at a time (`docexec record -j 2`), against the
   sequential recording on one shared daemon (`DOCEXEC_LAB=no docexec record -j 1`); and what one lab costs a
   page: start (sandbox, LAN, dockerd), image load, teardown.

6. scale (issue #15): warm builds of the book copied to 1x and 5x its size, with docexec against the same site with
   every transcript pasted in as static Markdown, and against the site without docexec (benchmarks/scale.py).
7. shards (issue #27): the drift check as 4 shards run one after another against the whole check, and the whole
   check against its floor (its commands' recorded time over two workers) (benchmarks/shards.py).
8. topology (issue #25): the share of a page's recording time its measured topology pictures take (capture and
   drawing), for every page that has one (benchmarks/topology.py).

Recording benchmarks need a shared daemon for their baselines: one that answers is used; otherwise the benchmark
starts dockerd for the run and stops it afterwards. Its containers are given a name server on docker0 that knows
no names (as a lab's does), so no lookup leaves the machine.

    python benchmarks/bench.py [--runs N] [--skip build,record,...,shards,topology] [--only ...]

Prints median and spread and writes benchmarks/results/latest.json and latest.md (shown on the 性能 page).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from scale import scaled_build  # noqa: E402
from shards import drift_shards  # noqa: E402
from topology import topology_cost  # noqa: E402

from docexec import lab  # noqa: E402
from docexec.book.project import Project  # noqa: E402
from docexec.core.config import load_config  # noqa: E402
from docexec.hosts.daemon import load_lesson_images  # noqa: E402
from docexec.page.model import Page  # noqa: E402
from docexec.policy.check import Refused, check_static  # noqa: E402
from docexec.store import recording  # noqa: E402
from docexec.userland import tree as userland  # noqa: E402
from docexec.userland.lock import Lock  # noqa: E402

# A warm build has its caches: bytecode included, which PYTHONDONTWRITEBYTECODE (set on some machines) would forbid,
# making every build compile MkDocs, Material and the engine again (slower, and far noisier).
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "NO_MKDOCS_2_WARNING": "1"}
BIN = Path(sys.executable).parent


def timed(argv: list[str], **kw: object) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)  # type: ignore[call-overload]
    took = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join(done.stdout.decode(errors="replace").splitlines()[-40:])
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{tail}")
    return took


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


# --------------------------------------------------------------------------------------------------
# 1. warm build


def warm_build(runs: int) -> dict[str, object]:
    config = load_config(ROOT)
    project = Project(config, mode="offline")
    stale = [p.name for p in project.pages() if project.status(p) != "current"]
    if stale:
        raise SystemExit(f"record these pages first, the warm build needs current recordings: {stale}")
    text = (ROOT / "mkdocs.yml").read_text()
    plain = re.sub(r"hooks:\n(  - .*\n)+", "", text)
    plain = re.sub(r"  - docexec:\n(      .*\n)+", "", plain)  # the engine's MkDocs plugin, with its options
    assert plain != text and "- docexec" not in plain
    nohooks = ROOT / ".bench-nohooks.yml"
    nohooks.write_text(plain)
    out = Path(tempfile.mkdtemp())
    try:
        mkdocs = str(BIN / "mkdocs")
        timed([mkdocs, "build", "-q", "-d", str(out / "w")], cwd=ROOT, env=ENV)  # warm caches (jieba, bytecode)
        timed([mkdocs, "build", "-q", "-f", str(nohooks), "-d", str(out / "w")], cwd=ROOT, env=ENV)
        with_hooks, without = [], []
        for _ in range(runs):
            with_hooks.append(timed([mkdocs, "build", "-q", "-d", str(out / "a")], cwd=ROOT, env=ENV))
            without.append(timed([mkdocs, "build", "-q", "-f", str(nohooks), "-d", str(out / "b")], cwd=ROOT,
                                 env=ENV))
    finally:
        nohooks.unlink()
        shutil.rmtree(out, ignore_errors=True)
    return {"with_hooks": spread(with_hooks), "without_hooks": spread(without),
            "ratio": statistics.median(with_hooks) / statistics.median(without), "target": 1.10}


# --------------------------------------------------------------------------------------------------
# 2. recording overhead


def shell_script(project: Project, workdir: Path) -> str:
    """The tutorial as a plain bash script: each page's commands, as written, then its cleanup."""
    lines = ["#!/bin/bash", "cd /", "export LC_ALL=C.UTF-8 DOCKER_CLI_HINTS=false",
             "docker image inspect busybox:latest > /dev/null || exit 1"]
    for page in one_host_pages(project):
        folder = workdir / page.name.replace("/", "-")
        lines += [f"# {page.name}", f"rm -rf {folder}; mkdir -p {folder}; cd {folder}",
                  "c0=$(docker ps -aq --no-trunc); n0=$(docker network ls -q --no-trunc); v0=$(docker volume ls -q)"]
        for _, command in page.commands:
            lines.append(command.text + " > /dev/null 2>&1")
        lines += [
            'docker ps -aq --no-trunc | grep -vxF -e "$c0" | xargs -r docker rm -fv > /dev/null',
            'docker network ls -q --no-trunc | grep -vxF -e "$n0" | xargs -r docker network rm > /dev/null',
            'docker volume ls -q | grep -vxF -e "$v0" | xargs -r docker volume rm > /dev/null',
            f"cd /; rm -rf {folder}"]
    return "\n".join(lines) + "\n"


SOCKET = Path("/var/run/docker.sock")


@contextlib.contextmanager
def shared_daemon() -> Iterator[None]:
    """A daemon at the standard socket, as the shared-daemon mode expects: the one running, or one started now
    (stopped afterwards) whose containers ask a name server on docker0 that answers every name with NXDOMAIN."""
    env = {**ENV, "DOCKER_HOST": f"unix://{SOCKET}"}
    if subprocess.run(["docker", "info"], capture_output=True, env=env, check=False).returncode == 0:
        yield
        return
    machine = _machine_network()
    fresh = not Path("/var/lib/docker").exists()
    log = open(tempfile.gettempdir() + "/docexec-bench-dockerd.log", "wb")  # noqa: SIM115
    dockerd = subprocess.Popen(["dockerd", "--dns", "172.17.0.1"], stdout=log, stderr=subprocess.STDOUT)
    names = None
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(["docker", "info"], capture_output=True, env=env, check=False).returncode != 0:
            if time.monotonic() > deadline or dockerd.poll() is not None:
                raise SystemExit("the benchmark's dockerd did not start: see " + log.name)
            time.sleep(0.2)
        names = subprocess.Popen([sys.executable, "-c", lab.NAME_SERVER.replace('"0.0.0.0"', '"172.17.0.1"')])
        load_lesson_images(f"unix://{SOCKET}", load_config(ROOT))  # a new daemon has none; bash builds none
        yield
    finally:
        if names is not None:
            names.kill()
            names.wait()
        dockerd.terminate()
        dockerd.wait(timeout=60)
        log.close()
        _restore_machine_network(machine, fresh)


def _machine_network() -> dict[str, str]:
    """What a dockerd started on this machine changes and leaves behind when it stops."""
    return {"iptables": subprocess.run(["iptables-save"], capture_output=True, text=True, check=True).stdout,
            "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text(),
            "docker0": str(Path("/sys/class/net/docker0").exists())}


def _restore_machine_network(before: dict[str, str], fresh: bool) -> None:
    """Leave the machine as the benchmark found it: its rules, forwarding, no docker0, no data of ours."""
    for table in ("filter", "nat"):
        subprocess.run(["iptables", "-t", table, "-F"], check=False)
        subprocess.run(["iptables", "-t", table, "-X"], check=False)
    subprocess.run(["iptables", "-P", "FORWARD", "ACCEPT"], check=False)
    if before["iptables"].strip():
        subprocess.run(["iptables-restore"], input=before["iptables"], text=True, check=False)
    Path("/proc/sys/net/ipv4/ip_forward").write_text(before["ip_forward"])
    if before["docker0"] == "False":
        subprocess.run(["ip", "link", "del", "docker0"], check=False)
    for folder in ("/run/docker/netns/default",):
        subprocess.run(["umount", folder], capture_output=True, check=False)
    if fresh:
        for folder in ("/var/lib/docker", "/run/docker", "/run/containerd"):
            shutil.rmtree(folder, ignore_errors=True)


def recording_overhead(runs: int) -> dict[str, object]:
    if os.environ.get("CI", "").lower() == "true":
        return {"skipped": "recording is refused when CI=true"}
    with shared_daemon():
        return _recording_overhead(runs)


def _recording_overhead(runs: int) -> dict[str, object]:
    config = load_config(ROOT)
    project = Project(config, mode="offline")
    work = Path(tempfile.mkdtemp(prefix="bench-shell-"))
    script = work / "tutorial.sh"
    script.write_text(shell_script(project, work))
    before = snippets()
    pages = one_host_pages(project)
    commands = sum(len(p.commands) for p in pages)
    engine, shell = [], []
    try:
        with restored(before):  # the shared daemon's host is not a lab: its outputs are not the book's
            for _ in range(runs):
                shell.append(timed(["bash", str(script)]))
                engine.append(timed([str(BIN / "docexec"), "record", "-j", "1", *names(pages)], cwd=ROOT,
                                    env=SHARED))
                restore(before)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"commands": commands, "engine": spread(engine), "shell": spread(shell),
            "ratio": statistics.median(engine) / statistics.median(shell), "target": 1.10}


SHARED = {**ENV, "DOCEXEC_LAB": "no", "DOCKER_HOST": f"unix://{SOCKET}"}


def one_host_pages(project: Project) -> list[Page]:
    """The pages a shared daemon can run too (one host each, nothing that only a lab makes safe): what both sides
    of a comparison record."""
    shared = project.settings.run_context(isolated=False)

    def runs_on_shared_daemon(page: Page) -> bool:
        try:
            for block, command in page.commands:
                assert command.shell is not None
                check_static(command.shell, kind=block.kind, page=page.name, context=shared, line=command.text)
        except Refused:
            return False
        return True

    return [p for p in project.pages() if p.executed and len(p.hosts) == 1 and runs_on_shared_daemon(p)]


def names(pages: list[Page]) -> list[str]:
    return [f"docs/{p.name}" for p in pages]


def snippets() -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in (ROOT / "snippets").rglob("*") if p.is_file()}


@contextlib.contextmanager
def restored(before: dict[Path, bytes]) -> Iterator[None]:
    """snippets/ as it was, whatever happens (a failed or interrupted run included)."""
    try:
        yield
    finally:
        restore(before)


def restore(before: dict[Path, bytes]) -> None:
    for path in set(snippets()) - set(before):
        path.unlink()
    for path, data in before.items():
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)


# --------------------------------------------------------------------------------------------------
# 4. labs


def labs(runs: int) -> dict[str, object]:
    if os.environ.get("CI", "").lower() == "true":
        return {"skipped": "recording is refused when CI=true"}
    reason = lab.unsupported_reason()
    if reason:
        return {"skipped": reason}
    before = snippets()
    project = Project(load_config(ROOT), mode="offline")
    pages, every = one_host_pages(project), [p for p in project.pages() if p.executed]
    in_labs, shared, whole, changed = [], [], [], set()
    with shared_daemon(), restored(before):
        for _ in range(runs):
            shared.append(timed([str(BIN / "docexec"), "record", "-j", "1", *names(pages)], cwd=ROOT, env=SHARED))
            restore(before)
            in_labs.append(timed([str(BIN / "docexec"), "record", "-j", "2", *names(pages)], cwd=ROOT, env=ENV))
            changed |= {str(p.relative_to(ROOT)) for p, data in snippets().items() if before.get(p) != data}
            restore(before)
            whole.append(timed([str(BIN / "docexec"), "record", "-j", "2"], cwd=ROOT, env=ENV))
            changed |= {str(p.relative_to(ROOT)) for p, data in snippets().items() if before.get(p) != data}
            restore(before)
    return {"pages": len(pages), "commands": sum(len(p.commands) for p in pages), "labs_j2": spread(in_labs),
            "shared_j1": spread(shared), "all_pages": len(every), "all_commands": sum(len(p.commands) for p in every),
            "all_labs_j2": spread(whole),
            "ratio": statistics.median(in_labs) / statistics.median(shared), "target": 0.7,
            "one_lab": one_lab_cost(max(5, runs * 3)), "recordings_changed": sorted(changed)}


def one_lab_cost(runs: int, settings: lab.LabSettings | None = None) -> dict[str, dict[str, float]]:
    """What a lab adds to a page: make it (sandbox, LAN, dockerd answering), load the lesson image, destroy it."""
    start, load, stop = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        made = lab.Lab.for_hosts(["docker-host"], settings, label="benchmark")
        made.start()
        t1 = time.perf_counter()
        load_lesson_images(f"unix://{made.host().socket}", load_config(ROOT))
        t2 = time.perf_counter()
        made.close()
        t3 = time.perf_counter()
        start.append(t1 - t0)
        load.append(t2 - t1)
        stop.append(t3 - t2)
    total = [a + b + c for a, b, c in zip(start, load, stop, strict=True)]
    return {"start": spread(start), "image_load": spread(load), "teardown": spread(stop), "total": spread(total)}


def userland_cost(runs: int) -> dict[str, object]:
    """Issue #21: a lab whose programs are the pinned userland against one whose /usr is the machine's own (where
    the machine has Docker's programs), alternating, in one run; and the first fetch of the pinned set into an
    empty cache (download, then unpack and check)."""
    from docexec.userland import debs

    result: dict[str, object] = {"userland": one_lab_cost(runs)}
    machine_reason = next((f"the machine has no {p}" for p in ("dockerd", "containerd", "runc", "docker")
                           if shutil.which(p, path="/usr/sbin:/usr/bin:/sbin:/bin") is None), "")
    if machine_reason:
        result["machine"] = {"skipped": machine_reason}
    else:
        pinned, own = [], []
        for _ in range(runs):
            pinned.append(one_lab_cost(1)["total"]["median"])
            own.append(one_lab_cost(1, lab.LabSettings(root=Path("/")))["total"]["median"])
        result |= {"pinned": spread(pinned), "machine": spread(own),
                   "ratio": statistics.median(pinned) / statistics.median(own), "target": 1.10}
    lock = Lock.load()
    with tempfile.TemporaryDirectory(prefix="docexec-bench-") as tmp:
        t0 = time.perf_counter()
        for pin in lock.packages:
            debs.download(pin.filename, pin.sha256, Path(tmp) / "debs", debs.archives())
        t1 = time.perf_counter()
        shutil.copytree(Path(tmp) / "debs", Path(tmp) / "cache" / "debs")
        t2 = time.perf_counter()
        tree = userland.ensure(Path(tmp) / "cache", notify=lambda m: None)
        t3 = time.perf_counter()
        size = sum(p.stat().st_size for p in (Path(tmp) / "debs").iterdir())
        unpacked = sum(p.lstat().st_size for p in tree.rglob("*") if p.is_file() and not p.is_symlink())
    result["first_fetch"] = {"packages": len(lock.packages), "download_s": t1 - t0, "unpack_s": t3 - t2,
                             "download_mb": size / 1e6, "unpacked_mb": unpacked / 1e6}
    return result


# --------------------------------------------------------------------------------------------------
# 5. the second engine (issue #16): recording and the drift check, on both engines against one


def engines(runs: int) -> dict[str, object]:
    if os.environ.get("CI", "").lower() == "true":
        return {"skipped": "recording is refused when CI=true"}
    config = load_config(ROOT)
    reason = lab.unsupported_reason() or next((e.missing() for e in config.engines if e.missing()), "")
    if reason:
        return {"skipped": reason}
    first = config.engines[0].name
    before = snippets()
    one, both, check_one, check_all = [], [], [], []
    pytest = [str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:randomly", "-n", "2", "--dist", "loadgroup",
              "docs"]
    with restored(before):
        for _ in range(runs):
            one.append(timed([str(BIN / "docexec"), "record", "-j", "2", "--engine", first], cwd=ROOT, env=ENV))
            restore(before)
            both.append(timed([str(BIN / "docexec"), "record", "-j", "2"], cwd=ROOT, env=ENV))
            restore(before)
            check_one.append(timed([*pytest, "--docexec-variant", first], cwd=ROOT, env={**ENV, "CI": "true"}))
            check_all.append(timed(pytest, cwd=ROOT, env={**ENV, "CI": "true"}))
    variants = [e.name for e in config.engines] + [f"{e.name} + {c}" for e in config.engines for c in e.check_clis
                                                  if c.is_file()]
    return {"engines": [e.name for e in config.engines], "variants": variants, "record_one": spread(one),
            "record_all": spread(both), "check_one": spread(check_one), "check_all": spread(check_all),
            "record_ratio": statistics.median(both) / statistics.median(one),
            "check_ratio": statistics.median(check_all) / statistics.median(check_one)}


# --------------------------------------------------------------------------------------------------
# 3. one page edited while mkdocs serve runs


PAGE = "maintainers/writing.md"
EDIT = ("echo 你好，Docker", "echo 你好，Docker 与 busybox")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return str(r.read().decode("utf-8"))
    except OSError:
        return ""


def serve_edit(runs: int) -> dict[str, object]:
    if os.environ.get("CI", "").lower() == "true":
        return {"skipped": "recording is refused when CI=true"}
    config = load_config(ROOT)
    page_path = config.docs_dir / PAGE
    original = page_path.read_text()
    recorded = {p: p.read_bytes() for engine in config.engines  # put back afterwards: the edits are not real
                for p in recording.page_folder(engine.snippets_dir, PAGE).iterdir()}
    assert EDIT[0] in original
    port = _free_port()
    log_path = Path(tempfile.mkdtemp(prefix="bench-serve-")) / "serve.log"
    log = open(log_path, "w+")  # noqa: SIM115
    server = subprocess.Popen([str(BIN / "mkdocs"), "serve", "--dirty", "-a", f"127.0.0.1:{port}"], cwd=ROOT,
                              env=ENV, stdout=log, stderr=subprocess.STDOUT)
    rebuild, commands = [], []
    try:
        deadline = time.monotonic() + 120
        url = ""
        while not url:  # mkdocs serves below site_url's path: read where from its log
            found = re.search(r"Serving on (http://\S+)", log_path.read_text())
            url = found.group(1).rstrip("/") + "/maintainers/writing/" if found else ""
            if time.monotonic() > deadline:
                raise SystemExit("mkdocs serve did not come up")
            time.sleep(0.2)
        while EDIT[0] not in _fetch(url):
            if time.monotonic() > deadline:
                raise SystemExit("mkdocs serve did not come up")
            time.sleep(0.2)
        for n in range(runs * 2):
            old, new = (EDIT[0], EDIT[1]) if n % 2 == 0 else (EDIT[1], EDIT[0])
            time.sleep(1.5)  # let the watcher settle
            start = time.perf_counter()
            page_path.write_text(page_path.read_text().replace(old, new))
            marker = new.split("echo ", 1)[1]
            while True:
                html = _fetch(url)
                if marker in html and (old.split("echo ", 1)[1] not in html or marker.startswith(old[5:])) and \
                        f"{marker}\n" in re.sub(r"<[^>]+>", "", html):
                    break
                if time.perf_counter() - start > 120:
                    raise SystemExit("the page was not rebuilt")
                time.sleep(0.05)
            rebuild.append(time.perf_counter() - start)
            meta = recording.read_meta(config.engines[0].snippets_dir, PAGE) or {}
            blocks = meta.get("blocks", {})
            commands.append(sum(c["duration"] for b in blocks.values() for c in b))  # type: ignore[union-attr]
    finally:
        server.terminate()
        server.wait(timeout=20)
        page_path.write_text(original)
        for path, data in recorded.items():
            path.write_bytes(data)
        log.close()
    over = [r - c for r, c in zip(rebuild, commands, strict=True)]
    return {"page": PAGE, "rebuild": spread(rebuild), "commands": spread(commands), "overhead": spread(over),
            "target": "rebuild <= commands + 1.0 s"}


# --------------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """The machine, and the Docker its labs run: the lab userland's pinned docker.io (the machine needs none)."""
    pinned = {p.name: p.version for p in Lock.load().packages}
    docker = f"{pinned.get('docker.io', '?')} (docker.io of the lab userland)"
    return {"python": platform.python_version(), "kernel": platform.release(), "cpus": str(os.cpu_count()),
            "docker": docker, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}


def _remeasured(results: dict[str, object]) -> list[dict[str, str]]:
    """The sections measured again after the whole run, each with its machine and date (one, in older files)."""
    again = results.get("remeasured")
    return [again] if isinstance(again, dict) else list(again) if isinstance(again, list) else []


def report(results: dict[str, object]) -> str:
    m = results["machine"]
    assert isinstance(m, dict)
    lines = [f"测量于 {m['date']}：{m['cpus']} 核，Linux {m['kernel']}，Python {m['python']}，"
             f"Docker Engine {m['docker']}。"]
    for again in _remeasured(results):
        lines.append(f"其中 {again['sections']} 部分重测于 {again['date']}：{again['cpus']} 核，"
                     f"Linux {again['kernel']}，Python {again['python']}，Docker Engine {again['docker']}"
                     "（比值都在同一次运行里测出）。")
    lines += ["",
             "| 指标 | 中位数（最小–最大，次数） | 比值 | 目标 |", "|---|---|---|---|"]

    def fmt(s: dict[str, float]) -> str:
        return f"{s['median']:.2f} s（{s['min']:.2f}–{s['max']:.2f}，{int(s['n'])} 次）"

    w = results.get("warm_build")
    if isinstance(w, dict):
        lines.append(f"| 热构建，带 docexec 插件 | {fmt(w['with_hooks'])} | {w['ratio']:.3f} | 参考 |")
        lines.append(f"| 热构建，去掉插件（块里没有输出） | {fmt(w['without_hooks'])} | | |")
    r = results.get("recording")
    if isinstance(r, dict) and "engine" in r:
        name = f"录制单主机页面（{r['commands']} 条命令），docexec，共享守护进程"
        lines.append(f"| {name} | {fmt(r['engine'])} | {r['ratio']:.3f} | ≤ 1.10 |")
        lines.append(f"| 同样的命令，纯 bash 脚本 | {fmt(r['shell'])} | | |")
    la = results.get("labs")
    if isinstance(la, dict) and "labs_j2" in la:
        lines.append(f"| 录制单主机的 {la['pages']} 页（{la['commands']} 条命令），每页一台实验主机，两页并行（-j 2） "
                     f"| {fmt(la['labs_j2'])} | {la['ratio']:.3f} | ≤ 0.7 |")
        lines.append(f"| 同样 {la['pages']} 页，共享守护进程，逐页（-j 1） | {fmt(la['shared_j1'])} | | |")
        lines.append(f"| 录制全书 {la['all_pages']} 页（{la['all_commands']} 条命令，含多主机页面），-j 2 "
                     f"| {fmt(la['all_labs_j2'])} | | |")
        one = la["one_lab"]
        lines.append(f"| 每页一台实验主机的代价：启动 + 载入镜像 + 销毁 | {fmt(one['total'])} | | |")
        lines.append(f"| 其中启动（沙箱、局域网、dockerd 应答） | {fmt(one['start'])} | | |")
        lines.append(f"| 其中载入课程镜像 | {fmt(one['image_load'])} | | |")
        lines.append(f"| 其中销毁 | {fmt(one['teardown'])} | | |")
    u = results.get("userland")
    if isinstance(u, dict) and "userland" in u:
        lines.append(f"| 每页一台实验主机的代价，程序来自固定版本的用户空间 | {fmt(u['userland']['total'])} | | |")
        if "ratio" in u:
            lines.append(f"| 同上，与用机器自己的 /usr 交替测量（固定版本 / 机器自己） | {fmt(u['pinned'])} "
                         f"| {u['ratio']:.3f} | ≤ 1.10 |")
            lines.append(f"| 用机器自己的 /usr | {fmt(u['machine'])} | | |")
        f = u["first_fetch"]
        lines.append(f"| 第一次取来用户空间：下载 {f['packages']} 个 .deb（{f['download_mb']:.0f} MB） "
                     f"| {f['download_s']:.1f} s | | |")
        lines.append(f"| 第一次取来用户空间：解包并校验（{f['unpacked_mb']:.0f} MB） | {f['unpack_s']:.1f} s | | |")
    e = results.get("engines")
    if isinstance(e, dict) and "record_one" in e:
        lines.append(f"| 录制全书，只在 Engine {e['engines'][0]} 上，-j 2 | {fmt(e['record_one'])} | | |")
        lines.append(f"| 录制全书，在 {len(e['engines'])} 个引擎上（{'、'.join(e['engines'])}），-j 2 "
                     f"| {fmt(e['record_all'])} | {e['record_ratio']:.2f} | |")
        lines.append(f"| 漂移检查全书，只用 Engine {e['engines'][0]} 和它录制用的 CLI，-n 2 "
                     f"| {fmt(e['check_one'])} | | |")
        lines.append(f"| 漂移检查全书，{len(e['variants'])} 种组合（{'、'.join(e['variants'])}），-n 2 "
                     f"| {fmt(e['check_all'])} | {e['check_ratio']:.2f} | |")
    s = results.get("serve")
    if isinstance(s, dict) and "rebuild" in s:
        lines.append(f"| serve 中改动一页后重建（{s['page']}） | {fmt(s['rebuild'])} | | |")
        lines.append(f"| 该页命令本身耗时 | {fmt(s['commands'])} | | |")
        lines.append(f"| 重建减去命令耗时 | {fmt(s['overhead'])} | | ≤ 1.0 s |")
    sc = results.get("scale")
    if isinstance(sc, dict):
        for key, size in sorted((k, v) for k, v in sc.items() if k.startswith("x") and isinstance(v, dict)):
            times = key[1:]
            lines.append(f"| 热构建，{times} 倍的书（{size['pages']} 页），docexec | {fmt(size['plugin'])} "
                         f"| {size['ratio_static']:.3f} | {'≤ 1.05' if times == '5' else ''} |")
            lines.append(f"| 同样的页面，输出直接写成静态 Markdown | {fmt(size['static'])} | | |")
            lines.append(f"| 同样的页面，去掉 docexec（没有输出） | {fmt(size['bare'])} | {size['ratio_bare']:.3f} | |")
            lines.append(f"| docexec 每页的代价（与静态 Markdown 相比） | {size['ms_per_page']:.1f} ms | | |")
            bare = 1000 * (size["plugin"]["median"] - size["bare"]["median"]) / size["pages"]
            lines.append(f"| docexec 每页的代价（与没有输出的站点相比） | {bare:.1f} ms | | |")
    sh = results.get("shards")
    if isinstance(sh, dict) and "whole" in sh:
        lines.append(f"| 漂移检查全书，所有组合，-n 2，一次运行 | {fmt(sh['whole'])} | | |")
        lines.append(f"| 同样的检查分成 {sh['shards']} 份（--docexec-shard），依次运行的总和 | {fmt(sh['sharded'])} "
                     f"| {sh['ratio']:.3f} | ≤ 1.10 |")
        lines.append(f"| 最大的一份 / 平均一份（各份：{'、'.join(f'{t:.0f} s' for t in sh['per_shard'])}） | "
                     f"| {sh['largest_to_mean']:.3f} | ≤ 1.25 |")
        lines.append(f"| 漂移检查的下限：所检查命令录制时的耗时之和（{sh['commands']:.0f} s）/ 2 个工作进程 "
                     f"| {sh['floor']:.1f} s | {sh['floor_ratio']:.2f} | ≤ 1.3 |")
    tp = results.get("topology")
    if isinstance(tp, dict) and "pages" in tp:
        lines.append(f"| 运行有实测拓扑图的 {len(tp['pages'])} 页（{tp['count']} 张图，Engine 20.10），"
                     f"每页一台实验主机，逐页 | {tp['record']:.2f} s | | |")
        lines.append(f"| 其中测量拓扑并画图（各图所在块的耗时之和；最多的一页占 {100 * tp['largest_share']:.1f}%） "
                     f"| {tp['capture']:.2f} s | {tp['share']:.3f} | ≤ 0.05 |")
    return "\n".join(lines) + "\n"


SECTIONS = ("build", "record", "serve", "userland", "labs", "engines", "scale", "shards", "topology")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip", default="", help="comma-separated: " + ",".join(SECTIONS))
    parser.add_argument("--only", default="", help="comma-separated: run only these (same names as --skip)")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if args.only:
        skip = set(SECTIONS) - set(args.only.split(","))
    results: dict[str, object] = {"machine": machine()}
    previous = ROOT / "benchmarks" / "results" / "latest.json"
    if args.only and previous.is_file():  # measure some sections again, keep the others' figures and date
        results = json.loads(previous.read_text())
        earlier = [r for r in _remeasured(results) if r["sections"] != args.only]  # each section's latest date
        results["remeasured"] = [*earlier, {"sections": args.only, **machine()}]
    if "build" not in skip:
        results["warm_build"] = warm_build(args.runs)
        print("warm build:", json.dumps(results["warm_build"]))
    if "record" not in skip:
        results["recording"] = recording_overhead(max(1, args.runs // 2))
        print("recording:", json.dumps(results["recording"]))
    if "serve" not in skip:
        results["serve"] = serve_edit(max(1, args.runs // 2))
        print("serve:", json.dumps(results["serve"]))
    if "userland" not in skip:
        results["userland"] = userland_cost(max(5, args.runs * 2))
        print("userland:", json.dumps(results["userland"]))
    if "labs" not in skip:
        results["labs"] = labs(max(1, args.runs // 2))
        print("labs:", json.dumps(results["labs"]))
    if "engines" not in skip:
        results["engines"] = engines(max(1, args.runs // 2))
        print("engines:", json.dumps(results["engines"]))
    if "scale" not in skip:
        results["scale"] = scaled_build(ROOT, max(1, args.runs // 2), timed, ENV, str(BIN / "mkdocs"))
        print("scale:", json.dumps(results["scale"]))
    if "shards" not in skip:
        results["shards"] = drift_shards(ROOT, timed, ENV, str(BIN / "python"), max(1, args.runs // 5))
        print("shards:", json.dumps(results["shards"]))
    if "topology" not in skip:
        results["topology"] = topology_cost(ROOT, max(3, args.runs))
        print("topology:", json.dumps(results["topology"]))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (out / "latest.md").write_text(report(results))
    print(report(results))


if __name__ == "__main__":
    main()
