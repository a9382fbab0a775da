"""What pages may run: docker verbs and flags, the host allowlist, allowances, and the network rule."""

from __future__ import annotations

import dataclasses
import re

import pytest

from docexec import Allowance, Refused, RunContext, Settings
from docexec.policy.check import UNKNOWN, check_argv


@pytest.fixture
def context(config: Settings) -> RunContext:
    """The book's checks as the lint makes them: in a lab, below the configured working folder."""
    return config.run_context()


def check(context: RunContext, *argv: str, kind: str = "host", page: str = "p.md", line: str = "") -> None:
    check_argv(list(argv), kind=kind, page=page, context=context, line=line or " ".join(argv))


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
    "iptables --version",
    "iptables -L INPUT -v -n -x",
    "nsenter -t 42 -n ip addr",
    "cat /proc/42/root/etc/hostname",
    "curl -s http://127.0.0.1:8080/",
    "mkdir -p site",
    "docker run -d -v /anon busybox",
    "docker volume prune -f --filter label=lesson=prune",
    "docker network prune --force --filter label=lesson --filter until=1h",
    "docker container prune -f --filter=label=lesson=prune",
    "docker build -t voldemo .",
    "docker build -q --no-cache -t voldemo:1 -f img/Dockerfile img",
])
def test_allowed(context: RunContext, argv: str) -> None:
    check(context, *argv.split())


@pytest.mark.parametrize(("argv", "message"), [
    ("docker run -it busybox sh", "needs a terminal"),
    ("docker run -dit --name x busybox", "needs a terminal"),
    ("docker exec -t m sh", "needs a terminal"),
    ("docker exec -i m sh", "needs a terminal"),
    ("docker attach m", "needs a terminal"),
    ("docker run -d --detach-keys ctrl-x busybox", "detach keys"),
    ("docker pull busybox", "needs a registry"),
    ("docker push busybox", "needs a registry"),
    ("docker login", "registry"),
    ("docker build .", "exactly one -t NAME"),
    ("docker container prune", "asks for confirmation"),  # in a lab too: no one to answer the prompt
    ("docker volume prune --filter label=lesson=x", "asks for confirmation"),
    ("docker system prune", "asks for confirmation"),
    ("docker system prune -a -f", "the lesson images among them"),  # later blocks: No such image
    ("docker image prune --all --force", "'No such image'"),
    ("docker system prune --all --force --volumes", "the lesson images among them"),
    ("docker service create --name s busybox sleep 1d", "progress countdown"),  # differs from run to run
    ("docker service scale s=2", "write docker service scale -d"),
    ("docker volume prune -a -f --filter label=lesson=x", "exists only in docker CLI 28"),
    ("docker build -t voldemo --network host .", "a page builds with only"),
    ("docker build -t voldemo --pull .", "contact a registry"),
    ("docker build -t voldemo --platform linux/arm64 .", "only in docker CLI 28"),
    ("docker build -t voldemo http://192.0.2.1/ctx.tar", "a folder of the page"),
    ("docker build -t voldemo -", "a folder of the page"),
    ("docker build -t voldemo ../elsewhere", "a folder of the page"),
    ("docker build -t voldemo /etc", "a folder of the page"),
    ("docker build -t voldemo -f /etc/Dockerfile .", "a file of the page"),
    ("docker build -t busybox .", "not after a lesson image"),
    ("docker build -t registry.example/voldemo .", "no registry"),
    ("docker build -t a -t b .", "exactly one -t NAME"),
    ("mount -t ext4 /dev/vda m", "only tmpfs"),
    ("mount -t tmpfs tmpfs /etc", "below the page's working directory"),
    ("mount -t tmpfs tmpfs ../m", "below the page's working directory"),
    ("mount --bind / m", "onto itself only"),
    ("mount --bind m m --make-shared", "allowed: mount --bind DIR DIR"),
    ("mount -o remount,rw -t tmpfs tmpfs m", "size="),
    ("mount --move m n", "not allowed"),
    ("mount", "allowed: mount --bind DIR DIR"),
    ("mount --make-shared /", "below the page's working directory"),
    ("umount /proc", "below the page's working directory"),
    ("umount .", "below the page's working directory"),
    ("docker run --privileged busybox", "whole host"),
    ("docker run --pid=host busybox", "pid namespace"),
    ("docker run --pid host busybox", "pid namespace"),
    ("docker run --cap-add SYS_ADMIN busybox", "widens"),
    ("docker run --cap-add=NET_ADMIN busybox", "widens"),
    ("docker run --device /dev/sda busybox", "host device"),
    ("docker run --security-opt seccomp=unconfined busybox", "confinement"),
    ("docker run -v /proc:/host-proc busybox", "the kernel's"),
    ("docker run -v /sys/kernel:/k busybox", "the kernel's"),
    ("docker run --mount type=bind,source=/dev,target=/d busybox", "the kernel's"),
    ("docker run --mount TYPE=BIND,SOURCE=/dev,TARGET=/d busybox", "the kernel's"),  # the CLI lowercases keys, type
    ('docker run --mount "type=bind","source=/dev",target=/d busybox', "the kernel's"),  # and reads a CSV record
    ("docker run --mount type=volume,src=v,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc "
     "busybox", "volume-opt"),
    ("docker volume create --opt type=none --opt o=bind --opt device=/etc v", "mount any folder"),
    ("docker run --log-driver syslog busybox", "json-file"),
    ("docker run --log-opt syslog-address=udp://192.0.2.9:514 busybox", "only max-size"),
    ("docker run --use-api-socket busybox", "exists only in docker CLI 28"),
    ("docker stop --timeout 1 m", "exists only in docker CLI 28"),
    ("docker stop --time 1 m", "deprecated"),
    ("docker run --env-file ../x busybox", "working directory"),
    ("docker run --gpus all busybox", "host device"),
    ("docker run --runtime runsc busybox", "runtime"),
    ("docker run --cgroup-parent / busybox", "cgroups"),
    ("docker run --frobnicate busybox", "has no option '--frobnicate'"),
    ("docker run --netwrk host busybox", "did you mean '--network'"),
    ("docker ps --help", "help texts"),
    ("docker run --net host busybox", "--network"),
    ("docker run --pull always busybox", "registry"),
    ("docker -H unix:///other.sock ps", "global docker option"),
    ("docker compose events", "not supported"),
    ("docker exec m ping -c 1 8.8.8.8", "outside this machine"),
    ("docker exec m wget -qO- http://example.com/", "outside this machine"),
    ("docker exec m nslookup 1.1.1.1", "outside this machine"),
    ("docker exec m ping 10.0.0.1", "outside this machine"),
    ("docker exec m ping 134744072", "134744072 (8.8.8.8) is outside"),
    ("docker exec m ping 0x08080808", "(8.8.8.8) is outside"),
    ("docker exec m ping 8.8.2056", "(8.8.8.8) is outside"),
    ("docker exec m ping 010.010.010.010", "(8.8.8.8) is outside"),
    ("docker exec m sh -c 'ping -c1 1.1.1.1'", "1.1.1.1 is outside"),
    ("docker exec m ping6 2001:4860:4860::8888", "2001:4860:4860::8888 is outside"),
    ("docker exec m wget -q -O- http://[2606:4700::1111]/", "is outside"),
    ("docker exec m nslookup example.org", "'example.org' is a name outside this lab"),
    ("docker exec m sh -c 'wget -q -O- example.com'", "'example.com' is a name outside this lab"),
    ("ip route add 10.0.0.0/8 dev eth0", "outside this machine"),
    ("iptables -F", "option '-F' is not allowed"),
    ("nsenter -t 42 -n sh", "not allowed inside nsenter"),
    ("ip netns exec x sh", "runs any program"),
    ("ip -batch /etc/cmds", "option '-batch' is not allowed"),
    ("sysctl -w kernel.panic=1", "a setting of the machine's kernel"),
    ("sysctl kernel.core_pattern=|/tmp/x", "a setting of the machine's kernel"),
    ("tail -f /var/log/syslog", "option '-f' is not allowed"),
    ("cat --show-all /etc/hostname", "option '--show-all' is not allowed; allowed: -A -E -T -n -v"),
    ("ss -K", "option '-K' is not allowed"),
    ("grep -r x /", "option '-r' is not allowed"),
    ("rm -rf /", "not an allowed host command"),
    ("eval docker ps", "not an allowed host command"),
    ("sh -c id", "not an allowed host command"),
    ("mkdir /etc/x", "below the page's working directory"),
    ("mkdir ../x", "below the page's working directory"),
    ("find / -delete", "not allowed"),
    ("find / -fprint /etc/x", "not allowed"),
    ("curl -o /tmp/x http://127.0.0.1/", "not allowed"),
])
def test_refused(context: RunContext, argv: str, message: str) -> None:
    with pytest.raises(Refused) as info:
        check(context, *argv.split())
    assert message in info.value.message


@pytest.mark.parametrize(("argv", "message"), [
    ("ip link add x type dummy", "changes the host"),
    ("ip route add 172.30.0.0/24 dev eth0", "changes the host"),
    ("iptables -t nat -A DOCKER -j ACCEPT", "only listing"),
    ("iptables -I DOCKER-USER -j ACCEPT", "only listing"),
    ("iptables -I DOCKER-USER -p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j DROP", "only listing"),
    ("iptables -D INPUT -p tcp --dport 8080 -j DROP", "only listing"),
    ("iptables -t nat -Z DOCKER", "only listing"),
    ("nsenter -t 42 -m -n ip addr", "not allowed on the shared daemon's host"),
    ("sysctl -w net.ipv4.ip_forward=0", "only reading"),
    ("cat /etc/shadow", "a file of the machine"),
    ("cat /proc/self/environ", "a file of the machine"),
    ("ls /root/.ssh", "a file of the machine"),
    ("cat /proc/42/root/etc/hostname", "a file of the machine"),
    ("docker run -v /etc:/x busybox", "bind-mount"),
    ("docker run -v /:/host busybox", "bind-mount"),
    ("docker run -v /var/run/docker.sock:/var/run/docker.sock busybox", "bind-mount"),
    ("docker run --mount type=bind,source=/etc,target=/x busybox", "bind-mount"),
    ("docker run --env-file /etc/environment busybox", "working directory"),
    ("docker exec m ping -c 1 192.0.2.1", "192.0.2.1 is outside"),  # no lab LAN there: anybody's network
    # Configuration, which a lab without a route out accepts (tests/test_addresses.py)
    ("docker run --dns 8.8.4.4 busybox true", "8.8.4.4 is outside"),
    ("docker run --add-host db:203.0.113.5 busybox true", "203.0.113.5 is outside"),
    ("docker build -t voldemo img", "runs only in a lab"),  # RUN lines would run with the machine's network
    ("docker tag busybox web", "runs only in a lab"),  # the new name would stay on the machine's image
    # A prune: in a lab every object is the page's; on the shared daemon only what carries the page's label
    ("docker volume prune -f", "removes every unused object of its kind"),
    ("docker network prune -f", "removes every unused object of its kind"),
    ("docker container prune --force", "removes every unused object of its kind"),
    ("docker network prune -f --filter until=1h", "removes every unused object of its kind"),
    ("docker volume prune -f --filter label!=keep", "removes every unused object of its kind"),
    ("docker volume prune -f --filter label=com.docker.volume.anonymous", "removes every unused object"),
    ("docker image prune -f", "runs only in a lab"),
    ("docker system prune -f", "did not create"),
    ("docker system prune -f --volumes", "runs only in a lab"),
    # docker service: swarm mode, which only a lab's own daemon may enter
    ("docker service create -q --name s busybox sleep 1d", "services need swarm mode"),
    ("docker service create -d --name s --replicas 1 --publish 8080:80 busybox httpd -f", "runs only in a lab"),
    ("docker service ls --format {{.Name}}", "services need swarm mode"),
    ("docker service ps s", "services need swarm mode"),
    ("docker service inspect s", "services need swarm mode"),
    ("docker service logs s", "services need swarm mode"),
    ("docker service scale -d s=2", "services need swarm mode"),
    ("docker service rm s", "services need swarm mode"),
    ("mount --bind m m", "mounts of the host"),
    ("mount --make-shared m", "mounts of the host"),
    ("mount -t tmpfs -o size=1m tmpfs m/sub", "mounts of the host"),
    ("umount m/sub", "mounts of the host"),
])
def test_refused_only_on_the_shared_daemon(context: RunContext, argv: str, message: str) -> None:
    """A lab is thrown away and all of it is the page's; the machine behind a shared daemon is not."""
    shared = dataclasses.replace(context, isolated=False)
    with pytest.raises(Refused) as info:
        check(shared, *argv.split())
    assert message in info.value.message
    check(context, *argv.split())  # fine in a lab


@pytest.mark.parametrize("argv", [
    "docker exec m ping -c 1 web",  # a container's name
    "docker exec m ping -c 2 172.17",  # not an address: a pattern ... no, ping reads it: see test_refused
    "docker exec m sh -c 'grep 172.17 /etc/hosts'",
    "docker run --rm busybox head -c 300000000 /dev/zero",
    "docker exec m wget -q -O- http://172.17.0.2/index.html",
    "docker exec m ping6 -c 1 fe80::1%eth0",
    "docker exec m nslookup -type=a web",
])
def test_local_names_and_addresses_pass(context: RunContext, argv: str) -> None:
    import shlex

    words = shlex.split(argv)
    if "172.17" in words and "ping" in words:
        with pytest.raises(Refused, match=r"172\.0\.0\.17"):
            check(context, *words)
        return
    check(context, *words)


def test_docker_blocks_only_run_docker(context: RunContext) -> None:
    with pytest.raises(Refused, match=r'exec="host"'):
        check(context, "ip", "addr", kind="docker")


def test_filters_after_a_pipe(context: RunContext) -> None:
    check_argv(["grep", "-c", "x"], kind="docker", page="p", context=context, stage=1)
    for argv in (["sh", "-c", "x"], ["tee", "f"], ["sort", "-o", "f"]):
        with pytest.raises(Refused):
            check_argv(argv, kind="docker", page="p", context=context, stage=1)


def test_host_refusals_name_the_command_line_and_filter_refusals_nothing(context: RunContext) -> None:
    """Host programs, their options, their arguments, nsenter's inner command and filters all refuse with the one
    Refused type; a host refusal names the command line as it runs (what an allowance may name), so an allowance
    of a line with $(...) still matches at run time."""
    shared = dataclasses.replace(context, isolated=False)
    for argv, message in ((["vi", "f"], "not an allowed host command"), (["ls", "-Z"], "option '-Z' is not allowed"),
                          (["ip", "link", "add", "x"], "changes the host"),
                          (["nsenter", "-t", "1", "-n", "vi"], "nsenter: 'vi' is not allowed inside nsenter"),
                          (["nsenter", "-t", "1", "-n", "ls", "-Z"], "nsenter: ls: option '-Z'")):
        with pytest.raises(Refused, match=message) as refused:
            check_argv(argv, kind="host", page="p", context=shared, line="written $(differently)")
        assert refused.value.match == " ".join(argv)
    for argv, message in ((["tee", "f"], "'tee' cannot read a pipe here"), (["sort", "-o", "f"], "option '-o'")):
        with pytest.raises(Refused, match=message) as piped:
            check_argv(argv, kind="docker", page="p", context=context, stage=1)
        assert piped.value.match is None


def test_program_names_must_be_written_out(context: RunContext) -> None:
    with pytest.raises(Refused, match="written out"):
        check(context, UNKNOWN, "ps")


def test_bind_mounts_below_the_working_directory(context: RunContext) -> None:
    check(context, "docker", "run", "-v", f"{context.workdir}/p/site:/data", "busybox")
    with pytest.raises(Refused, match=r"'\.\.'"):
        check(context, "docker", "run", "-v", f"{context.workdir}/../etc:/data", "busybox")


def test_an_allowance_names_page_and_use(context: RunContext) -> None:
    allowed = dataclasses.replace(context, isolated=False, allow=(
        Allowance(page="none.md", match="ip link add veth-h type veth peer name veth-c", reason="lesson"),
        Allowance(page="caps.md", match="--cap-add NET_ADMIN", reason="lesson")))
    check(allowed, *["ip", "link", "add", "veth-h", "type", "veth", "peer", "name", "veth-c"], page="none.md")
    check(allowed, *["docker", "run", "--cap-add", "NET_ADMIN", "busybox"], page="caps.md")
    with pytest.raises(Refused):  # another page
        check(allowed, *["ip", "link", "add", "veth-h", "type", "veth", "peer", "name", "veth-c"], page="other.md")
    with pytest.raises(Refused):  # another capability
        check(allowed, *["docker", "run", "--cap-add", "SYS_ADMIN", "busybox"], page="caps.md")


def test_a_docker_command_an_allowance_lets_through_is_still_tracked(context: RunContext) -> None:
    """The call goes to the tracking (run label, ownership), or what the command creates would not be the page's:
    a later `docker network rm` of it would be refused, and a shared daemon would keep it after the run."""
    allowed = dataclasses.replace(context, allow=(Allowance(page="caps.md", match="--cap-add NET_ADMIN",
                                                            reason="lesson"),))
    argv = ["docker", "run", "-d", "--name", "caps", "--cap-add", "NET_ADMIN", "busybox", "sleep", "1d"]
    call = check_argv(argv, kind="docker", page="caps.md", context=allowed, line=" ".join(argv))
    assert call is not None and call.verb == "container run" and call.positionals == ("busybox", "sleep", "1d")


def test_static_checks_keep_the_text_around_expansions(context: RunContext) -> None:
    from docexec.page.shellwords import parse
    from docexec.policy.check import check_static

    line = "nsenter --net=$(docker inspect -f '{{.NetworkSettings.SandboxKey}}' box) ip route"
    check_static(parse(line), kind="host", page="p.md", context=context, line=line)


def test_t_means_timeout_for_stop_and_restart(context: RunContext) -> None:
    check(context, *["docker", "stop", "-t", "1", "master"])
    check(context, *["docker", "restart", "-t", "1", "master"])


# --------------------------------------------------------------------------------------------------
# terminal sessions (exec="session"): -i, -t and attach have a terminal there, and only there


@pytest.mark.parametrize("argv", [
    "docker run -it --name m busybox sh",
    "docker run -it --init --name s busybox sleep 1d",
    "docker exec -it m sh",
    "docker attach m",
    "docker attach --sig-proxy=false m",
    "docker ps --format {{.Names}}",
])
def test_terminal_options_in_a_session(context: RunContext, argv: str) -> None:
    check(context, *argv.split(), kind="session")


@pytest.mark.parametrize(("argv", "message"), [
    ("ip addr", "a terminal session runs docker commands"),
    ("docker start -ai m", "in a terminal session, use docker run -it"),
    ("docker run -it --detach-keys ctrl-x busybox sh", "detach keys"),
    ("docker run -it --privileged busybox sh", "whole host"),
    ("docker logs -f m", "never ends"),
    ("docker run -it busybox ping 8.8.8.8", "outside this machine"),
])
def test_the_rest_of_the_rules_hold_in_a_session(context: RunContext, argv: str, message: str) -> None:
    with pytest.raises(Refused, match=message):
        check(context, *argv.split(), kind="session")


def test_typed_lines_name_no_outside_address(context: RunContext) -> None:
    from docexec.policy.check import check_typed

    check_typed("ping -c 1 172.17.0.3", context)
    check_typed("ip addr show eth0", context)
    for line in ("ping -c 1 8.8.8.8", "wget -qO- http://example.com/", "nslookup example.org"):
        with pytest.raises(Refused, match="outside this"):
            check_typed(line, context)
    with pytest.raises(Refused, match="outside this machine"):
        check_typed("ping 192.0.2.1", dataclasses.replace(context, isolated=False))


def test_a_prune_is_narrowed_to_the_run_s_own_objects(config: Settings) -> None:
    """On the shared daemon, pruning with the page's label filter could still match the machine's objects that
    carry the same label: the engine adds the run's own label filter (filters are ANDed), so only objects of this
    run can match."""
    from docexec.hosts.daemon import LABEL, Daemon
    from docexec.policy.check import parse_docker
    from docexec.run.tracking import Tracking

    argv = ["docker", "volume", "prune", "-f", "--filter", "label=lesson=prune"]
    daemon: Daemon = None  # type: ignore[assignment]  # a prune asks the daemon nothing before it runs
    assert Tracking("run1", config).prepare(daemon, argv, parse_docker(argv)) == [
        "docker", "volume", "prune", "--filter", f"label={LABEL}=run1", "-f", "--filter", "label=lesson=prune"]
    # In a lab everything is the page's, also the anonymous volumes Docker makes (which carry no run label).
    assert Tracking("run1", config, isolated=True).prepare(daemon, argv, parse_docker(argv)) == argv


def test_limits_are_injected_only_on_the_shared_daemon(config: Settings) -> None:
    """In a lab a container's configuration is what the page wrote (the lab's cgroup limits the whole lab): only
    the hidden run label and --pull never are added. On the shared daemon memory and process limits protect the
    machine, unless the page sets its own."""
    from docexec.hosts.daemon import LABEL, Daemon
    from docexec.policy.check import parse_docker
    from docexec.run.tracking import Tracking

    argv = ["docker", "run", "-d", "--name", "c", "busybox", "sleep", "1d"]
    daemon: Daemon = None  # type: ignore[assignment]  # no named volume: the daemon is not asked
    added = ["--label", f"{LABEL}=run1", "--pull", "never"]
    assert Tracking("run1", config, isolated=True).prepare(daemon, argv, parse_docker(argv)) == [
        "docker", "run", *added, "-d", "--name", "c", "busybox", "sleep", "1d"]
    assert Tracking("run1", config).prepare(daemon, argv, parse_docker(argv)) == [
        "docker", "run", *added, "--memory", config.memory_limit, "--pids-limit", str(config.pids_limit),
        "-d", "--name", "c", "busybox", "sleep", "1d"]
    own = ["docker", "create", "-m", "64m", "--pids-limit", "10", "busybox"]
    assert Tracking("run1", config).prepare(daemon, own, parse_docker(own)) == [
        "docker", "create", *added, "-m", "64m", "--pids-limit", "10", "busybox"], "a page's own limits win"
    inspect = [["docker", "inspect", "c"], ["grep", "-c", "Memory"]]
    for isolated, says in ((True, False), (False, True)):
        tracking = Tracking("run1", config, isolated=isolated)
        assert tracking.note(inspect) == "", "no container of the run has limits yet"
        tracking.prepare(daemon, argv, parse_docker(argv))
        assert ("--memory 256m --pids-limit 256" in tracking.note(inspect)) == says, "docker inspect shows them"
        assert tracking.note([["docker", "network", "inspect", "n"]]) == "", "only a container's inspect"


def test_in_a_lab_every_object_is_the_page_s(config: Settings) -> None:
    """A lab's daemon is the page's own, so an anonymous volume (which carries no label: Docker makes it for a
    container) may be removed by name there; on the shared daemon only what carries the run's label."""
    from docexec.hosts.daemon import Daemon
    from docexec.policy.check import parse_docker
    from docexec.run.tracking import Tracking

    class Foreign:
        def owns(self, kind: str, name: str, run_id: str) -> bool:
            return False

    argv = ["docker", "volume", "rm", "0123abcd"]
    daemon: Daemon = Foreign()  # type: ignore[assignment]
    assert Tracking("run1", config, isolated=True).prepare(daemon, argv, parse_docker(argv)) == argv
    with pytest.raises(Refused, match="was not created by this page"):
        Tracking("run1", config).prepare(daemon, argv, parse_docker(argv))


@pytest.mark.parametrize("argv", [
    ["jq", "-r", ".[0].IPAM.Config[0].Subnet"],
    ["jq", "-rc", "--indent", "2", "."],
    ["jq", "-e", "--sort-keys", "map(.Name)"],
])
def test_jq_reads_a_pipe(context: RunContext, argv: list[str]) -> None:
    """jq is in the lab userland (pinned in userland.lock): a page may pipe docker's JSON into it."""
    check_argv(argv, kind="docker", page="p", context=context, stage=1)


@pytest.mark.parametrize(("argv", "message"), [
    (["jq", "-f", "prog.jq"], "jq: option '-f' is not allowed"),
    (["jq", "--rawfile", "x", "f", "."], "option '--rawfile' is not allowed"),
    (["jq", "--slurpfile", "x", "f", "."], "option '--slurpfile' is not allowed"),
    (["jq", "-L", "/tmp", "."], "option '-L' is not allowed"),
    (["jq", ".", "/etc/passwd"], "give one filter and no file"),
    (["jq", "$ENV.HOME"], "'$ENV' reads files or the environment"),
    (["jq", 'include "m"; .'], "'include' reads files"),
])
def test_jq_after_a_pipe_has_an_option_table(context: RunContext, argv: list[str], message: str) -> None:
    """jq's options and filter are checked like grep's: it reads the pipe and nothing else (no file, no module,
    no environment)."""
    with pytest.raises(Refused, match=re.escape(message)):
        check_argv(argv, kind="docker", page="p", context=context, stage=1)


def test_every_filter_after_a_pipe_is_a_program_of_the_lab_userland() -> None:
    from docexec.policy.hostcmds import FILTERS
    from docexec.userland import tree as userland

    tree = userland.tree_for()
    if not (tree / userland.STAMP).is_file():
        pytest.skip("the lab userland is not unpacked here (docexec engines)")
    assert [name for name in FILTERS if not (tree / "usr/bin" / name).exists()] == []
