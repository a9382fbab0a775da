"""What pages may run: docker verbs and flags, the host allowlist, allowances, and the network rule."""

from __future__ import annotations

import dataclasses

import pytest

from docexec.config import Allowance, Config
from docexec.policy import UNKNOWN, Refused, check_argv


def check(config: Config, *argv: str, kind: str = "host", page: str = "p.md", line: str = "") -> None:
    check_argv(list(argv), kind=kind, page=page, config=config, line=line or " ".join(argv))


@pytest.mark.parametrize("argv", [
    "docker run -d --name m busybox sleep 1d",
    "docker run --rm --network host busybox ip addr",
    "docker run -d --name b --network container:m busybox sleep 1d",
    "docker exec m ping -c 2 172.17.0.3",
    "docker exec m ping -t 5 172.17.0.1",  # -t after the container belongs to ping
    "docker network create --subnet 172.30.1.0/24 lab",
    "docker network inspect bridge",
    "docker volume create data",
    "docker inspect -f {{.Id}} m",
    "docker cp m:/etc/hostname hostname.txt",
    "ip -o link show master docker0",
    "ip addr show docker0",
    "bridge link",
    "iptables -t nat -S DOCKER",
    "iptables-save -t nat",
    "nsenter -t 42 -n ip addr",
    "cat /proc/42/root/etc/hostname",
    "curl -s http://127.0.0.1:8080/",
    "mkdir -p site",
    "docker run -d -v /anon busybox",
])
def test_allowed(config: Config, argv: str) -> None:
    check(config, *argv.split())


@pytest.mark.parametrize(("argv", "message"), [
    ("docker run -it busybox sh", "needs a terminal"),
    ("docker run -dit --name x busybox", "needs a terminal"),
    ("docker exec -t m sh", "needs a terminal"),
    ("docker attach m", "needs a terminal"),
    ("docker pull busybox", "needs a registry"),
    ("docker push busybox", "needs a registry"),
    ("docker login", "registry"),
    ("docker build .", "built by the engine"),
    ("docker system prune -f", "did not create"),
    ("docker container prune", "did not create"),
    ("docker run --privileged busybox", "whole host"),
    ("docker run --pid=host busybox", "pid namespace"),
    ("docker run --pid host busybox", "pid namespace"),
    ("docker run --cap-add SYS_ADMIN busybox", "widens"),
    ("docker run --cap-add=NET_ADMIN busybox", "widens"),
    ("docker run --device /dev/sda busybox", "host device"),
    ("docker run --security-opt seccomp=unconfined busybox", "confinement"),
    ("docker run -v /:/host busybox", "bind-mount"),
    ("docker run -v /var/run/docker.sock:/var/run/docker.sock busybox", "bind-mount"),
    ("docker run --mount type=bind,source=/etc,target=/x busybox", "bind-mount"),
    ("docker run --net host busybox", "--network"),
    ("docker run --pull always busybox", "registry"),
    ("docker -H unix:///other.sock ps", "global docker option"),
    ("docker compose up", "not supported"),
    ("docker exec m ping -c 1 8.8.8.8", "outside this machine"),
    ("docker exec m wget -qO- http://example.com/", "outside this machine"),
    ("docker exec m nslookup 1.1.1.1", "outside this machine"),
    ("docker exec m ping 10.0.0.1", "outside this machine"),
    ("ip link add x type dummy", "changes the host"),
    ("ip route add 10.0.0.0/8 dev eth0", "outside this machine"),
    ("iptables -F", "only listing"),
    ("iptables -t nat -A DOCKER -j ACCEPT", "only listing"),
    ("nsenter -t 42 -n sh", "not allowed inside nsenter"),
    ("nsenter -t 42 -m -n ip addr", "not allowed"),
    ("rm -rf /", "not an allowed host command"),
    ("eval docker ps", "not an allowed host command"),
    ("sh -c id", "not an allowed host command"),
    ("sysctl -w net.ipv4.ip_forward=0", "only reading"),
    ("mkdir /etc/x", "below the page's working directory"),
    ("find / -delete", "not allowed"),
    ("curl -o /tmp/x http://127.0.0.1/", "not allowed"),
])
def test_refused(config: Config, argv: str, message: str) -> None:
    with pytest.raises(Refused) as info:
        check(config, *argv.split())
    assert message in info.value.message


def test_docker_blocks_only_run_docker(config: Config) -> None:
    with pytest.raises(Refused, match=r'exec="host"'):
        check(config, "ip", "addr", kind="docker")


def test_filters_after_a_pipe(config: Config) -> None:
    check_argv(["grep", "-c", "x"], kind="docker", page="p", config=config, stage=1)
    for argv in (["sh", "-c", "x"], ["tee", "f"], ["sort", "-o", "f"]):
        with pytest.raises(Refused):
            check_argv(argv, kind="docker", page="p", config=config, stage=1)


def test_program_names_must_be_written_out(config: Config) -> None:
    with pytest.raises(Refused, match="written out"):
        check(config, UNKNOWN, "ps")


def test_bind_mounts_below_the_working_directory(config: Config) -> None:
    check(config, "docker", "run", "-v", f"{config.workdir}/p/site:/data", "busybox")
    with pytest.raises(Refused, match=r"'\.\.'"):
        check(config, "docker", "run", "-v", f"{config.workdir}/../etc:/data", "busybox")


def test_an_allowance_names_page_and_use(config: Config) -> None:
    allowed = dataclasses.replace(config, allow=(
        Allowance(page="none.md", match="ip link add veth-h type veth peer name veth-c", reason="lesson"),
        Allowance(page="caps.md", match="--cap-add NET_ADMIN", reason="lesson")))
    check(allowed, *["ip", "link", "add", "veth-h", "type", "veth", "peer", "name", "veth-c"], page="none.md")
    check(allowed, *["docker", "run", "--cap-add", "NET_ADMIN", "busybox"], page="caps.md")
    with pytest.raises(Refused):  # another page
        check(allowed, *["ip", "link", "add", "veth-h", "type", "veth", "peer", "name", "veth-c"], page="other.md")
    with pytest.raises(Refused):  # another capability
        check(allowed, *["docker", "run", "--cap-add", "SYS_ADMIN", "busybox"], page="caps.md")


def test_static_checks_keep_the_text_around_expansions(config: Config) -> None:
    from docexec.policy import check_static
    from docexec.shellwords import parse

    line = "nsenter --net=$(docker inspect -f '{{.NetworkSettings.SandboxKey}}' box) ip route"
    check_static(parse(line), kind="host", page="p.md", config=config, line=line)


def test_t_means_timeout_for_stop_and_restart(config: Config) -> None:
    check(config, *["docker", "stop", "-t", "1", "master"])
    check(config, *["docker", "restart", "-t", "1", "master"])
