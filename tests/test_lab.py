"""Labs: a page's throwaway Docker hosts. Isolated from the machine (no uplink, none of its interfaces, files or
processes), joined to each other by their LAN, gone after the page."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from docexec import Lab, Project, lab
from docexec.lab import LabHost
from tests.conftest import MakeProject

from .conftest import userland_tool

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parent.parent
ENV = {"PATH": lab.LAB_PATH, "LANG": "C.UTF-8", "HOME": "/root"}


@pytest.fixture
def one(labs: None) -> Iterator[LabHost]:
    with Lab.for_hosts(["docker-host"], label="tests") as made:
        yield made.host()


def run(host: LabHost, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(host.command(list(argv)), capture_output=True, text=True, env=ENV, timeout=timeout,
                          check=False)


def load_busybox(host: LabHost) -> None:
    from docexec.core.config import load_config
    from docexec.hosts.daemon import load_lesson_images

    load_lesson_images(f"unix://{host.socket}", load_config(ROOT))


def test_a_lab_has_no_uplink(one: LabHost) -> None:
    """Nothing in a lab can reach an address outside it: no default route, no device out; the host and a
    container both fail at once. (198.51.100.1 is a documentation address: nothing answers there anyway.)"""
    routes = run(one, "ip", "route").stdout
    assert "default" not in routes
    assert sorted(line.split()[0] for line in routes.splitlines()) == ["172.17.0.0/16", "192.0.2.0/24"]
    done = run(one, "ip", "route", "get", "198.51.100.1")
    assert done.returncode != 0 and "Network is unreachable" in done.stderr
    done = run(one, "curl", "-sS", "-m", "2", "http://198.51.100.1/")
    assert done.returncode == 7 and "after 0 ms" in done.stderr, done.stderr  # refused at once: no route
    load_busybox(one)
    done = run(one, "docker", "run", "--rm", "busybox", "ping", "-c", "1", "-W", "2", "198.51.100.1")
    assert done.returncode == 1 and "100% packet loss" in done.stdout + done.stderr, done.stdout + done.stderr
    # Names: the lab's own name server (on its switch) answers, and knows none.
    done = run(one, "docker", "run", "--rm", "busybox", "nslookup", "-type=a", "example.org")
    assert done.returncode == 1 and "192.0.2.254" in done.stdout and "NXDOMAIN" in done.stdout + done.stderr


def test_a_lab_sees_only_itself(one: LabHost) -> None:
    """Its interfaces, files, processes and environment are its own, not the machine's."""
    links = [line.split(":")[1].strip().split("@")[0] for line in run(one, "ip", "-o", "link").stdout.splitlines()]
    assert links == ["lo", "eth0", "docker0"]
    assert run(one, "hostname").stdout == "docker-host\n"
    assert run(one, "cat", "/etc/shadow").returncode != 0
    assert run(one, "ls", "-A", "/root").stdout == ""
    assert run(one, "ls", str(ROOT)).returncode != 0, "the repository is not visible"
    commands = run(one, "ps", "-eo", "comm").stdout.split()[1:]
    assert set(commands) <= {"bwrap", "dockerd", "containerd", "ps"}, commands
    assert run(one, "sh", "-c", "echo 1 > /proc/sys/kernel/ctrl-alt-del").returncode != 0, \
        "kernel settings are the machine's: read-only in a lab"


def test_a_lab_gets_nothing_of_the_recorders_environment(
        labs: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab's PID 1 (bubblewrap's, which keeps the environment it was started with) has exactly PATH and LANG,
    and neither it nor dockerd has the recorder's working folder (PWD) or anything else of its environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setenv("DOCEXEC_TEST_SECRET", "s3cret")
    with Lab.for_hosts(["docker-host"], label="tests") as made:
        host = made.host()
        assert run(host, "cat", "/proc/1/environ").stdout.split("\0") == [f"PATH={lab.LAB_PATH}", "LANG=C.UTF-8", ""]
        assert run(host, "readlink", "/proc/1/cwd").stdout == "/\n"
        dockerd = run(host, "cat", "/proc/2/environ").stdout
        assert "s3cret" not in dockerd and str(tmp_path) not in dockerd and "PATH=" in dockerd


def test_the_machines_interfaces_and_forwarding_do_not_change_a_recording(
        labs: None, make_project: MakeProject) -> None:
    """An extra interface on the machine, and forwarding switched on there (as a system dockerd leaves it): a
    lab still looks like a freshly booted host, where Docker switches forwarding on and the FORWARD policy to
    DROP."""
    config = make_project({"p.md": '''
        ```console exec="host" id="links"
        $ ip -o link | cut -d: -f2
        $ iptables -S FORWARD | head -n 1
        ```
        '''})
    forwarding = Path("/proc/sys/net/ipv4/ip_forward")
    before = forwarding.read_text()
    subprocess.run(userland_tool("/usr/bin/ip", "link", "add", "docexec-t0", "type", "veth", "peer", "name",
                                 "docexec-t1"), check=True)
    try:
        forwarding.write_text("1\n")
        project = Project(config, mode="force", notify=lambda m: None)
        outcome = project.record(project.load_page("p.md"))
    finally:
        forwarding.write_text(before)
        subprocess.run(userland_tool("/usr/bin/ip", "link", "del", "docexec-t0"), check=True)
    assert outcome.stored is not None
    assert outcome.stored.blocks["links"][0].output == " lo\n eth0@if101\n docker0\n"
    assert outcome.stored.blocks["links"][1].output == "-P FORWARD DROP\n"
    assert outcome.stored.engine["mode"] == "lab"


TWO_HOSTS = '''
---
hosts: [host1, host2]
---
# two hosts

```console exec="host" id="one"
$ hostname
$ ip -4 -o addr show eth0 | cut -d' ' -f2,7
$ docker run -d --name box busybox sleep 1d
$ docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' box
```

```console exec="host" id="two" host="host2"
$ hostname
$ ip -4 -o addr show eth0 | cut -d' ' -f2,7
$ docker run -d --name box busybox sleep 1d
$ docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' box
$ docker exec box ping -c 1 -W 2 192.0.2.1
```

```console exec="docker" id="across"
$ docker exec box ping -c 1 -W 2 192.0.2.2
```
'''


def test_a_page_with_two_hosts(labs: None, make_project: MakeProject) -> None:
    """Each host has its own name, LAN address and Docker: both first containers get 172.17.0.2, and a container
    reaches the other host over the LAN through its own."""
    config = make_project({"p.md": TWO_HOSTS})
    project = Project(config, mode="force", notify=lambda m: None)
    page = project.load_page("p.md")
    assert page.hosts == ("host1", "host2")
    outcome = project.record(page)
    assert outcome.stored is not None
    one = [r.output for r in outcome.stored.blocks["one"]]
    two = [r.output for r in outcome.stored.blocks["two"]]
    assert one[0] == "host1\n" and two[0] == "host2\n"
    assert one[1] == "eth0 192.0.2.1/24\n" and two[1] == "eth0 192.0.2.2/24\n"
    assert one[3] == two[3] == "172.17.0.2\n"
    assert "1 packets received" in two[4]
    assert "1 packets received" in outcome.stored.blocks["across"][0].output
    assert outcome.stored.engine["hosts"] == "host1, host2"
    assert lab.leftovers() == [] or all("tests: a shared daemon" not in x for x in lab.leftovers())


def test_hosts_know_each_other_by_name(labs: None) -> None:
    with Lab.for_hosts(["host1", "host2", "host3"], label="tests") as made:
        assert run(made.host("host3"), "getent", "hosts", "host1").stdout.split() == ["192.0.2.1", "host1"]
        assert run(made.host("host1"), "curl", "-sS", "-m", "2", "http://host2:1/").returncode == 7  # refused
        assert run(made.host("host2"), "ip", "neigh").stdout.startswith("192.0.2.1 dev eth0 lladdr")


def test_sweep_leaves_a_lab_in_use_alone(one: LabHost) -> None:
    assert lab.sweep() == []
    assert run(one, "docker", "info", "--format", "{{.ServerVersion}}").returncode == 0


def test_a_lab_that_cannot_start_says_why(labs: None, tmp_path: Path) -> None:
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "dockerd").write_text("#!/bin/sh\necho 'dockerd: no such engine' >&2\nexit 3\n")
    (broken / "dockerd").chmod(0o755)
    made = Lab.for_hosts(["docker-host"], lab.LabSettings(engine_path=(broken,), start_timeout=10))
    with pytest.raises(lab.LabStartFailed, match=r"dockerd on docker-host stopped\n.*docker-host's log:\n.*"
                                                  r"  \| dockerd: no such engine"):
        made.start()
    assert not made.state_dir.exists()


def test_closing_a_lab_skips_a_process_that_ends_while_it_is_looked_at(labs: None,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A lab process whose start time was read but that is gone before its status is (it ended in between, and
    was reaped): Lab.close takes it for gone and still removes the lab's cgroups and state folder."""
    from docexec.lab import processes

    gone = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # a PID no process ever has
    start_time = processes.start_time
    monkeypatch.setattr(processes, "start_time", lambda pid: "4242" if pid == gone else start_time(pid))
    made = Lab.for_hosts(["docker-host"], label="tests")
    made.start()
    cgroups = made.host().cgroups
    made.hosts.append(LabHost("ended", "192.0.2.9", gone))
    try:
        made.close()
    finally:  # whatever it did, the lab goes (a second close does nothing after a first that completed)
        monkeypatch.setattr(processes, "start_time", start_time)
        made.close()
    assert cgroups and not any(folder.exists() for folder in cgroups)
    assert not made.state_dir.exists()


def test_the_shared_fallback_refuses_a_page_with_two_hosts(daemon, make_project: MakeProject) -> None:  # type: ignore[no-untyped-def]
    from docexec.core.errors import RefusedToRecord

    config = make_project({"p.md": textwrap.dedent(TWO_HOSTS)})
    project = Project(config, mode="force", notify=lambda m: None)
    with pytest.raises(RefusedToRecord, match=r"docs/p.md: has 2 hosts .*only a lab can give"):
        project.record(project.load_page("p.md"))


def test_the_lab_keeps_to_its_share_of_the_kernel(one: LabHost) -> None:
    """What holds even for a command the lint would refuse (run here directly, past the lint): no machine-wide
    capability, no block device of the machine, read-only /sys and kernel settings, Docker's /proc protections,
    cgroups rooted at the lab's own, with its limits."""
    load_busybox(one)
    status = run(one, "grep", "CapBnd", "/proc/self/status").stdout.split()[1]
    assert not int(status, 16) & (1 << 16), "CAP_SYS_MODULE is out of the bounding set"
    done = run(one, "docker", "run", "--rm", "--cap-add", "SYS_MODULE", "busybox", "true")
    assert done.returncode != 0 and "unable to apply caps" in done.stderr, done.stderr
    done = run(one, "docker", "run", "--rm", "--privileged", "busybox", "true")
    assert done.returncode != 0 and "devices.allow" in done.stderr, done.stderr
    # A block device node made in a container: neither the container nor the host's own commands may open it.
    assert run(one, "docker", "run", "-d", "--name", "box", "busybox", "sh", "-c",
               "mknod /blk b 7 0; sleep 1d").returncode == 0
    pid = run(one, "docker", "inspect", "-f", "{{.State.Pid}}", "box").stdout.strip()
    for _ in range(50):
        if run(one, "ls", f"/proc/{pid}/root/blk").returncode == 0:
            break
    done = run(one, "head", "-c", "16", f"/proc/{pid}/root/blk")
    assert done.returncode != 0 and "Operation not permitted" in done.stderr, done.stderr
    assert "Operation not permitted" in run(one, "docker", "exec", "box", "head", "-c", "16", "/blk").stderr
    # Read-only kernel interfaces; hidden ones.
    assert "Read-only file system" in run(one, "touch", "/sys/kernel/docexec").stderr
    value = Path("/proc/sys/kernel/ctrl-alt-del").read_text().strip()  # written back as it is, if it could be
    done = run(one, "sysctl", "-w", f"kernel.ctrl-alt-del={value}")
    assert done.returncode != 0 and ("Read-only" in done.stderr or "permission denied" in done.stderr)
    ro = [line.split()[5] for line in run(one, "cat", "/proc/self/mountinfo").stdout.splitlines()
          if line.split()[4] == "/proc/sys"]
    assert ro and ro[-1].startswith("ro"), "/proc/sys is mounted read-only"
    mounts = {line.split()[4]: line.split()[5] for line in run(one, "cat", "/proc/self/mountinfo").stdout.splitlines()}
    for path in lab.PROC_READ_ONLY:  # those this kernel has (sysrq-trigger, irq, bus, fs, asound)
        if Path(path).exists():
            assert mounts.get(path, "").startswith("ro"), f"{path} is read-only in a lab"
    for path in lab.PROC_MASKED:  # kcore, keys, timer_list, sched_debug, kallsyms
        if Path(path).exists():
            assert run(one, "head", "-c", "64", path).stdout == "", f"{path} is hidden in a lab"
    # cgroups: the lab's own namespace, containers at /docker/<id> as on a real host, the lab's limits.
    assert run(one, "cat", "/proc/self/cgroup").stdout.splitlines()[0].endswith(":/")
    assert ":/docker/" in run(one, "cat", f"/proc/{pid}/cgroup").stdout
    folders = {p.parts[4]: p for p in one.cgroups if len(p.parts) > 4}
    if "memory" in folders:
        assert (folders["memory"] / "memory.limit_in_bytes").read_text().strip() == str(lab.LAB_MEMORY)
    if "pids" in folders:
        assert (folders["pids"] / "pids.max").read_text().strip() == str(lab.LAB_PIDS)


def test_a_lab_runs_the_pinned_userland_not_the_machines_programs(one: LabHost) -> None:
    """Every program of a lab host is the lab userland's (pinned Debian packages): its /usr is the unpacked tree,
    bound read-only, so the machine's own programs (its dockerd, if it has one) are never run."""
    from docexec.userland import tree as userland

    tree = userland.ensure()
    for program in ("/usr/sbin/dockerd", "/usr/bin/docker", "/usr/sbin/runc", "/usr/bin/ip", "/usr/bin/busybox"):
        inside = run(one, "stat", "-L", "-c", "%d:%i", program).stdout.strip()
        outside = (tree / program.lstrip("/")).stat()
        assert inside == f"{outside.st_dev}:{outside.st_ino}", program
    assert run(one, "ls", "-A", "/usr/local/bin").stdout == "", "nothing of the machine's /usr/local"
    done = run(one, "touch", "/usr/bin/x")
    assert done.returncode != 0 and "Read-only file system" in done.stderr
    info = run(one, "docker", "info", "--format", "{{.ServerVersion}} {{.OperatingSystem}}").stdout
    assert info == "20.10.24+dfsg1 Debian GNU/Linux 12 (bookworm)\n"
