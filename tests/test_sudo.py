"""The copy of a host command that needs root starts with sudo; the transcript shows it as it was run."""

from __future__ import annotations

import pytest

from docexec import Project, Settings, parse_page
from docexec.page.shellwords import ShellCommand
from docexec.render.sudo import copy_line, needs_root, root_variables

PAGE = """# t

```console exec="host" id="h"
$ docker run -d --name web busybox sleep 1d
$ PID=$(docker inspect -f '{{.State.Pid}}' web)
$ MERGED=$(docker inspect -f '{{.GraphDriver.Data.MergedDir}}' web)
$ ip -o link | cut -d: -f2
$ readlink /proc/$PID/ns/net
$ readlink /proc/self/ns/net
$ cat "$MERGED"/etc/hostname
$ ls /var/lib/docker/volumes/data/_data | wc -l
$ ss -ltnp 'sport = :8080'
$ ss -ltn
$ curl -s http://127.0.0.1:8080/
$ iptables -t nat \\
    -S POSTROUTING
$ mount --make-shared m
```

```console exec="docker" id="d"
$ docker exec web ip addr
```
"""


def copies(source: str = PAGE) -> dict[str, list[str]]:
    page = parse_page("p.md", source)
    root_vars = root_variables(page.blocks)
    return {b.id: [copy_line(c, root_vars) for c in b.commands] for b in page.blocks}


def test_host_commands_that_need_root_are_copied_with_sudo() -> None:
    assert copies()["h"] == [
        "docker run -d --name web busybox sleep 1d",  # docker: never
        "PID=$(docker inspect -f '{{.State.Pid}}' web)",
        "MERGED=$(docker inspect -f '{{.GraphDriver.Data.MergedDir}}' web)",
        "sudo ip -o link | cut -d: -f2",  # the network tools, even when they only read
        "sudo readlink /proc/$PID/ns/net",  # another process's /proc/PID
        "readlink /proc/self/ns/net",  # the reader's own
        'sudo cat "$MERGED"/etc/hostname',  # a variable holding a path in /var/lib/docker
        "sudo ls /var/lib/docker/volumes/data/_data | wc -l",
        "sudo ss -ltnp 'sport = :8080'",  # ss names other users' processes only for root
        "ss -ltn",
        "curl -s http://127.0.0.1:8080/",
        "sudo iptables -t nat \\\n    -S POSTROUTING",  # continuation lines kept as displayed
        "sudo mount --make-shared m",  # mount and umount: always
    ]


def test_docker_blocks_are_copied_as_written() -> None:
    assert copies()["d"] == ["docker exec web ip addr"]


@pytest.mark.parametrize(("line", "copied"), [
    ("X=$(cat /proc/$(docker inspect -f '{{.State.Pid}}' web)/root/etc/hostname)",
     "X=$(sudo cat /proc/$(docker inspect -f '{{.State.Pid}}' web)/root/etc/hostname)"),
    ('X="$(ls /var/lib/docker)"', 'X="$(sudo ls /var/lib/docker)"'),
    ("nsenter -t $(docker inspect -f '{{.State.Pid}}' web) -n ip addr",
     "sudo nsenter -t $(docker inspect -f '{{.State.Pid}}' web) -n ip addr"),
    ("sysctl -w net.ipv4.ip_forward=1", "sudo sysctl -w net.ipv4.ip_forward=1"),
    ("ip6tables -t nat -S", "sudo ip6tables -t nat -S"),  # IPv6's rules need root as much as IPv4's
    ("find --root=/var/lib/docker/x", "sudo find --root=/var/lib/docker/x"),
    ("cat /proc/sys/net/ipv4/ip_forward", "cat /proc/sys/net/ipv4/ip_forward"),
    ("ls /var/lib/dockerish", "ls /var/lib/dockerish"),
    # an assignment with text before its $(…): sudo still goes inside, in front of each command that needs root
    ('X="dev $(ip -o link show eth0)"', 'X="dev $(sudo ip -o link show eth0)"'),
    ("X=$PID-$(readlink /proc/$PID/ns/net)", "X=$PID-$(sudo readlink /proc/$PID/ns/net)"),
    (r'''X='$(a)'"\$(b) $(docker ps -q) $(ip -o link | cut -d: -f2)"''',
     r'''X='$(a)'"\$(b) $(docker ps -q) $(sudo ip -o link | cut -d: -f2)"'''),
    ('X="dev $(docker inspect -f "{{.Name}}" web)"', 'X="dev $(docker inspect -f "{{.Name}}" web)"'),
    ('X="dev $(ip -o link \\\n    show eth0)"', 'X="dev $(sudo ip -o link \\\n    show eth0)"'),
])
def test_the_rule(line: str, copied: str) -> None:
    source = f'```console exec="host" id="h"\n$ {line}\n```\n'
    assert copies(source)["h"] == [copied]


def test_no_page_needs_root_after_a_pipe(config: Settings) -> None:
    """sudo goes in front of a line's command: a later stage of a pipe that needed root would run without it."""
    for page in Project(config, mode="offline").pages():
        root_vars = root_variables(page.blocks)
        for _, command in page.commands:
            if command.shell is None:  # a file block (exec="file"): its text is a file, not a command
                continue
            for stage in command.shell.stages[1:]:
                alone = ShellCommand(text="", stages=(stage,))
                assert not needs_root(alone, root_vars), f"{page.where}:{command.line}: {command.text}"

