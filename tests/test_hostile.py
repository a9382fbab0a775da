"""Hostile pages, as a malicious contributor would write them: each is refused with page:line, or runs in its lab
with no effect outside it. After every page that runs, the machine is checked (a canary folder, interfaces,
routes, iptables rules, kernel settings, the hostname) and its recording searched for the machine's secrets."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from docexec import CommandFailed, PageError, Project, lab
from tests.conftest import MakeProject

from .conftest import Engine, userland_tool

pytestmark = pytest.mark.docker

CANARY = Path(f"/tmp/docexec-canary-{os.getpid()}")
SECRET = f"s3cret-{secrets.token_hex(8)}"

# Refused when the page is read: (what the page tries, the command, a part of the message).
REFUSED = [
    ("write a file through a filter", "docker ps | sort --output={canary}/x", "option '--output'"),
    ("write a file through tee", "docker ps | tee {canary}/x", "cannot read a pipe"),
    ("redirect into a file", "docker ps > {canary}/x", "redirections"),
    ("delete with find", "find {canary} -delete", "option '-delete'"),
    ("write with find", "find / -fprint {canary}/x", "option '-fprint'"),
    ("run a program with find", "find / -exec rm x", "option '-exec'"),
    ("make a folder outside", "mkdir {canary}/x", "below the page's working directory"),
    ("make a folder above", "mkdir -p ../../x", "below the page's working directory"),
    ("stream an archive out", "docker cp box:/etc - ", "'-'"),
    ("export a container", "docker export box -o {canary}/x.tar", "refused"),
    ("save an image", "docker save busybox -o {canary}/x.tar", "refused"),
    ("bind a folder through volume options",
     "docker run --mount type=volume,src=v,dst=/x,volume-opt=type=none,volume-opt=o=bind,"
     "volume-opt=device={canary} busybox true", "volume-opt"),
    ("a bind volume", "docker volume create --opt type=none --opt o=bind --opt device={canary} v",
     "mount any folder"),
    ("mount the kernel's /proc", "docker run -v /proc:/p busybox cat /p/1/environ", "the kernel's"),
    ("mount /sys", "docker run -v /sys:/s busybox true", "the kernel's"),
    ("mount /dev", "docker run --mount type=bind,src=/dev,dst=/d busybox true", "the kernel's"),
    ("a device", "docker run --device /dev/vda busybox true", "host device"),
    ("privileged", "docker run --privileged busybox true", "whole host"),
    ("a capability", "docker run --cap-add SYS_ADMIN busybox true", "widens"),
    ("GPUs", "docker run --gpus all busybox true", "host device"),
    ("the host's PID namespace", "docker run --pid host busybox ps", "pid namespace"),
    ("the host's user namespace", "docker run --userns host busybox true", "userns namespace"),
    ("the host's UTS namespace", "docker run --uts host busybox hostname", "uts namespace"),
    ("the Docker socket, new style", "docker run --use-api-socket busybox true", "docker CLI 28"),
    ("another runtime", "docker run --runtime runc busybox true", "runtime"),
    ("cgroups outside Docker's", "docker run --cgroup-parent / busybox true", "cgroups"),
    ("a kernel setting", "sysctl -w kernel.hostname=pwned", "setting of the machine's kernel"),
    ("a kernel setting, short", "sysctl kernel.core_pattern=x", "setting of the machine's kernel"),
    ("read recursively", "grep -r secret /", "option '-r'"),
    ("follow a file", "tail -f /etc/hostname", "option '-f'"),
    ("follow logs", "docker logs -f box", "never ends"),
    ("an outside IPv4", "docker run --rm busybox ping -c 1 8.8.8.8", "8.8.8.8 is outside"),
    ("IPv4 as one number", "docker run --rm busybox ping -c 1 134744072", "(8.8.8.8) is outside"),
    ("IPv4 in hex", "docker run --rm busybox ping -c 1 0x08080808", "(8.8.8.8) is outside"),
    ("IPv4 in octal", "docker run --rm busybox ping -c 1 010.010.010.010", "(8.8.8.8) is outside"),
    ("IPv4 in three parts", "docker run --rm busybox ping -c 1 8.8.2056", "(8.8.8.8) is outside"),
    ("IPv6", "docker run --rm busybox ping6 -c 1 2001:4860:4860::8888", "is outside"),
    ("IPv6 in a URL", "docker run --rm busybox wget -q -O- 'http://[2606:4700::1111]/'", "is outside"),
    ("IPv6 in a URL, unquoted", "docker run --rm busybox wget -q -O- http://[2606:4700::1111]/", "quote it"),
    ("a name", "docker run --rm busybox nslookup example.org", "a name outside this lab"),
    ("a name inside sh -c", "docker run --rm busybox sh -c 'wget -q -O- example.com'", "a name outside"),
    ("a URL on the host", "curl -s http://example.com/", "outside this machine"),
    # A lab accepts --dns 8.8.8.8 as configuration (no route out: tests/test_addresses.py), not a query sent there.
    ("an outside name server", "docker run --rm busybox nslookup web 8.8.8.8", "8.8.8.8 is outside"),
    ("logs sent away", "docker run --log-driver syslog busybox true", "json-file"),
    ("another daemon", "docker -H tcp://198.51.100.1:2375 ps", "global docker option"),
    ("chained commands", "docker ps; id", "';'"),
    ("command substitution with backticks", "docker ps `id`", "backtick"),
    ("'..' in a bind mount", "docker run -v /lab/../../etc:/x busybox true", "'..'"),
    ("the host's address plan", "ip addr add 198.51.100.7/24 dev eth0", "198.51.100.7 is outside"),
    ("a shell", "sh -c id", "not an allowed host command"),
    ("a typo that would have been a value", "docker run --priviliged busybox true", "did you mean '--privileged'"),
]

# Run in the lab; harmless there. (what the page tries, commands, exec kind)
RUNS = [
    ("copy a container's file to an outside path", "docker run -d --name box busybox sleep 1d\n"
     "$ docker cp box:/etc/hostname {canary}/x", "docker"),
    ("bind-mount an outside folder and write to it", "docker run --rm -v {canary}:/c busybox touch /c/x", "docker"),
    ("bind-mount the root and write to it", "docker run --rm -v /:/host busybox touch /host/tmp/pwned", "docker"),
    ("write a cid file outside", "docker run --cidfile {canary}/cid busybox true", "docker"),
    ("read the password hashes", "cat /etc/shadow", "host"),
    ("read the recorder's environment", "cat /proc/self/environ", "host"),
    ("read PID 1's environment", "cat /proc/1/environ", "host"),
    ("read the secret file", "cat {canary}/secret", "host"),
    ("read the secret through a container", "docker run --rm -v {canary}:/c busybox cat /c/secret", "docker"),
    ("pass the secret's variable", "docker run --rm -e DOCEXEC_HOSTILE_SECRET busybox env", "docker"),
    ("read an env file of the CLI's own", "docker run --rm --env-file /proc/self/environ busybox env", "docker"),
    ("root's home", "ls -la /root", "host"),
    ("the host's network, from a container", "docker run --rm --network host busybox ip -o link", "docker"),
    ("PID 1's namespaces", "nsenter -t 1 -n ip -o link", "host"),
    ("add an interface", "ip link add evil0 type dummy", "host"),
    ("a default route", "ip route add default via 192.0.2.254", "host"),
    ("drop all input", "iptables -I INPUT -j DROP", "host"),
    ("switch forwarding on", "sysctl -w net.ipv4.ip_forward=1", "host"),
    ("an IPC setting in a container", "docker run --rm --sysctl kernel.shm_rmid_forced=1 busybox true", "docker"),
    ("a name without dots", "docker run --rm busybox nslookup -type=a google", "docker"),
    ("hang in the foreground", "docker run --rm busybox sleep 1000", "docker"),
    ("flood the output", "docker run --rm busybox sh -c 'yes | head -c 20000000'", "docker"),
    ("a fork bomb", "docker run --rm busybox sh -c 'f() {{ f | f & }}; f'", "docker"),
]


def _hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "absent"


def _run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30).stdout


def machine() -> dict[str, object]:
    """What a page in a lab must never change on the machine."""
    return {
        "canary": sorted((p.name, _hash(p)) for p in CANARY.iterdir()),
        "links": sorted(line.split(":")[1].strip() for line in _run(*userland_tool("/usr/bin/ip", "-o", "link"))
                        .splitlines()),
        "routes": _run(*userland_tool("/usr/bin/ip", "route")),
        "iptables": [re.sub(r"\[\d+:\d+\]", "[]", line) for line in
                     _run(*userland_tool("/usr/sbin/iptables-save")).splitlines()
                     if not line.startswith("#")],  # the rules, not the machine's own packet counters
        "sysctl": {k: Path(f"/proc/sys/{k}").read_text() for k in
                   ("kernel/hostname", "kernel/core_pattern", "kernel/shm_rmid_forced", "net/ipv4/ip_forward",
                    "kernel/ctrl-alt-del")},
        "tmp": sorted(p.name for p in Path("/tmp").iterdir() if p.name == "pwned"),
        "passwd": _hash(Path("/etc/passwd")), "shadow": _hash(Path("/etc/shadow")),
    }


@pytest.fixture(scope="module")
def canary() -> Iterator[Path]:
    CANARY.mkdir(exist_ok=True)
    (CANARY / "secret").write_text(SECRET + "\n")
    os.environ["DOCEXEC_HOSTILE_SECRET"] = SECRET
    try:
        yield CANARY
    finally:
        del os.environ["DOCEXEC_HOSTILE_SECRET"]
        for path in CANARY.iterdir():
            path.unlink()
        CANARY.rmdir()


def page(command: str, kind: str = "docker", options: str = "") -> str:
    return f'# hostile\n\n```console exec="{kind}" id="h"{options}\n$ {command.format(canary=CANARY)}\n```\n'


@pytest.mark.parametrize(("what", "command", "message"), REFUSED, ids=[case[0] for case in REFUSED])
def test_refused_with_page_and_line(what: str, command: str, message: str, make_project: MakeProject) -> None:
    kind = "docker" if command.startswith("docker") else "host"
    config = make_project({"p.md": page(command, kind)})
    with pytest.raises(PageError) as info:
        Project(config, mode="offline", notify=lambda m: None).load_page("p.md")
    assert info.value.page == "docs/p.md" and info.value.line == 4, str(info.value)
    assert message in info.value.message, f"{what}: {info.value.message}"


@pytest.mark.parametrize(("what", "command", "kind"), RUNS, ids=[case[0] for case in RUNS])
def test_runs_in_its_lab_with_no_effect_outside(what: str, command: str, kind: str, canary: Path,
                                                engine: Engine, make_project: MakeProject) -> None:
    if engine.mode != "lab":
        pytest.skip("labs cannot run here: on the shared daemon these pages are refused or must not run")
    config = make_project({"p.md": page(command, kind, ' timeout="4"')})
    project = Project(config, mode="force", notify=lambda m: None)
    before = machine()
    try:
        outcome = project.record(project.load_page("p.md"))
        assert outcome.stored is not None
        outputs = "".join(r.output for records in outcome.stored.blocks.values() for r in records)
    except CommandFailed as failed:  # failing is fine, doing something outside is not
        outputs = failed.output
    assert machine() == before, what
    assert SECRET not in outputs, f"{what}: the machine's secret is in the recording"
    for item in (CANARY / "x", CANARY / "cid"):
        assert not item.exists(), f"{what}: {item} was made on the machine"
    assert not any(x for x in lab.leftovers() if "tests: a shared daemon" not in x), "the lab outlived its page"


def test_what_isolation_shows_instead(canary: Path, engine: Engine, make_project: MakeProject) -> None:
    """What some of those pages see: the lab's own files, interfaces and environment."""
    if engine.mode != "lab":
        pytest.skip("labs cannot run here")
    config = make_project({"p.md": (
        f'```console exec="host" id="h" returncode="1"\n$ cat {CANARY}/secret\n```\n\n'
        '```console exec="docker" id="d"\n$ docker run --rm --network host busybox ip -o link\n'
        '$ docker run --rm -e DOCEXEC_HOSTILE_SECRET busybox env\n```\n')})
    project = Project(config, mode="force", notify=lambda m: None)
    outcome = project.record(project.load_page("p.md"))
    assert outcome.stored is not None
    assert "No such file or directory" in outcome.stored.blocks["h"][0].output
    links, env = (r.output for r in outcome.stored.blocks["d"])
    assert [line.split(":")[1].strip().split("@")[0] for line in links.splitlines()] == ["lo", "eth0", "docker0"]
    assert "DOCEXEC_HOSTILE_SECRET" not in env and "CI=" not in env


def test_a_hostile_edit_costs_no_recording(engine: Engine, make_project: MakeProject) -> None:
    """A page with a good recording is edited into a hostile one: recording it fails with page:line, and its
    recording is the one it had."""
    config = make_project({"p.md": page("docker run --rm busybox echo hello")})
    Project(config, mode="force", notify=lambda m: None).record(
        Project(config, mode="offline").load_page("p.md"))
    folder = config.engines[0].snippets_dir / "p"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for hostile in ("docker run --rm --privileged busybox echo hello", "docker run --rm busybox ping -c1 8.8.8.8"):
        (config.docs_dir / "p.md").write_text(page(hostile))
        project = Project(config, mode="auto", notify=lambda m: None)
        with pytest.raises(PageError, match=r"docs/p.md:4: "):
            project.ensure(project.load_page("p.md"))
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_there_are_enough_hostile_pages() -> None:
    assert len(REFUSED) + len(RUNS) >= 40
