"""What a page may run: docker verbs and flags, read-only host tools, filters after a pipe.

`check_argv` is called twice: on the words of a command when the page is parsed (words that hold `$(...)` or
`$NAME` are not known yet and stand as UNKNOWN), and on the real arguments just before they run.
Refused uses may be allowed for one page by `[[tool.docexec.allow]]` in pyproject.toml, with a reason.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from .config import Config
from .shellwords import Literal, ShellCommand, Word

UNKNOWN = "\0"  # a word whose value is only known at run time


class Refused(ValueError):
    """A command the page may not run; `match` is the text an allowance would have to name."""

    def __init__(self, message: str, match: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.match = match


@dataclass(frozen=True)
class DockerCall:
    """A docker command line, split into its verb and the parts the engine cares about."""

    verb: str  # canonical: "container run", "network create", "inspect", ...
    verb_index: int  # index in argv of the last verb word
    options_end: int  # index of the first positional argument after the verb's options
    positionals: tuple[str, ...]


def check_argv(argv: Sequence[str], *, kind: str, page: str, config: Config, stage: int = 0,
               line: str = "") -> DockerCall | None:
    """Raise Refused unless the page may run `argv` (stage > 0: it reads a pipe). `line` is the command as the
    page writes it: an allowance may name the whole line."""
    if not argv:
        raise Refused("empty command")
    _check_addresses(argv)
    program = argv[0]
    if stage > 0:
        _check_filter(argv)
        return None
    if program == "docker":
        call: DockerCall | None = _allowed(page, config, line, lambda: check_docker(argv, config))
        return call
    if program == UNKNOWN:
        raise Refused("the program name must be written out, not come from $(...) or a variable")
    if kind == "docker":
        raise Refused(f"'{program}' is not docker: put host commands in a block with exec=\"host\"")
    _allowed(page, config, line, lambda: _check_host(argv, config))
    return None


def _allowed(page: str, config: Config, line: str, check):  # type: ignore[no-untyped-def]
    try:
        return check()
    except Refused as exc:
        for a in config.allow:
            if a.page == page and (a.match == line or (exc.match is not None and a.match == exc.match)):
                return None
        raise


def _static_text(word: Word) -> str:
    """A word's text as far as it is known before running: `--net=$(...)` stays `--net=` + UNKNOWN."""
    if word.is_plain:
        return word.plain
    known = "".join(p.text if isinstance(p, Literal) else UNKNOWN for p in word.parts)
    return UNKNOWN if known.strip(UNKNOWN) == "" else known


def check_static(command: ShellCommand, *, kind: str, page: str, config: Config, line: str) -> None:
    """Check a parsed command before anything runs; words known only at run time stand as UNKNOWN."""
    for n, stage in enumerate(command.stages):
        if command.assign:
            break
        argv = [_static_text(w) for w in stage]
        check_argv(argv, kind=kind, page=page, config=config, stage=n, line=line)
    for word in command.words():
        for subst in word.substitutions():
            check_static(subst.command, kind="host" if kind == "host" else "docker", page=page, config=config,
                         line=line)


# --------------------------------------------------------------------------------------------------
# docker


def parse_docker(argv: Sequence[str]) -> DockerCall:
    i = 1
    if i < len(argv) and argv[i].startswith("-"):
        raise Refused(f"global docker option '{argv[i]}' is not supported: the engine chooses the daemon "
                      "(set DOCKER_HOST for the whole build instead)")
    if i >= len(argv):
        raise Refused("'docker' alone prints help: give it a command")
    word = argv[i]
    if word in GROUPS:
        if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
            raise Refused(f"'docker {word}' needs a subcommand")
        sub = ALIASES.get(argv[i + 1], argv[i + 1])
        verb, i = f"{word} {sub}", i + 1
    else:
        verb = SHORTHANDS.get(word, word)
    bools, values = FLAGS.get(verb, (set(), set()))
    j = i + 1
    positionals: list[str] = []
    options_end = len(argv)
    while j < len(argv):
        arg = argv[j]
        if arg == "--":
            options_end = j + 1
            positionals.extend(argv[j + 1:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name = arg.split("=", 1)[0]
            if "=" not in arg and name not in bools and verb in FLAGS:
                j += 1  # the flag's value
        elif arg.startswith("-") and len(arg) > 1 and arg != UNKNOWN:
            for k, letter in enumerate(arg[1:]):
                if f"-{letter}" in values:
                    if k == len(arg) - 2:
                        j += 1
                    break
        else:
            if verb in STOP_AT_FIRST_POSITIONAL:
                options_end = j
                positionals.extend(argv[j:])
                break
            positionals.append(arg)
        j += 1
    return DockerCall(verb=verb, verb_index=i, options_end=min(options_end, len(argv)),
                      positionals=tuple(positionals))


def iter_options(argv: Sequence[str], call: DockerCall) -> list[tuple[str, str | None]]:
    """The verb's options as (flag, value) pairs; short clusters like -dit become -d, -i, -t."""
    bools, values = FLAGS.get(call.verb, (set(), set()))
    out: list[tuple[str, str | None]] = []
    j = call.verb_index + 1
    while j < call.options_end:
        arg = argv[j]
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg.partition("=")
            if eq:
                out.append((name, value))
            elif name in bools:
                out.append((name, None))
            else:
                out.append((name, argv[j + 1] if j + 1 < len(argv) else None))
                j += 1
        elif arg.startswith("-") and len(arg) > 1 and arg != UNKNOWN:
            for k, letter in enumerate(arg[1:]):
                flag = f"-{letter}"
                if flag in values:
                    rest = arg[k + 2:]
                    if rest:
                        out.append((flag, rest.removeprefix("=")))
                    else:
                        out.append((flag, argv[j + 1] if j + 1 < len(argv) else None))
                        j += 1
                    break
                out.append((flag, None))
        j += 1
    return out


def check_docker(argv: Sequence[str], config: Config) -> DockerCall:
    call = parse_docker(argv)
    verb = call.verb
    if verb in REFUSED_VERBS:
        raise Refused(f"'docker {verb}' is refused: {REFUSED_VERBS[verb]}")
    if verb not in FLAGS and verb not in SIMPLE_VERBS:
        raise Refused(f"'docker {verb}' is not supported by the lesson engine; supported: "
                      + ", ".join(sorted({v.split()[-1] for v in (*FLAGS, *SIMPLE_VERBS)})))
    options = iter_options(argv, call)
    for flag, value in options:
        wants_tty = flag in ("-t", "--tty") and verb in ("container run", "container create", "container exec")
        if wants_tty or (flag == "--interactive" and verb == "container start"):
            raise Refused(f"'{flag}' needs a terminal, which a recorded page does not have: start the container with "
                          "-d and run commands in it with `docker exec NAME COMMAND`")
        if flag == "--net":
            raise Refused("write --network: --net is the old spelling")
        if flag == "--pull" and verb in ("container run", "container create") and value != "never":
            raise Refused("--pull would contact a registry: lesson images are built from this repository")
        danger = _dangerous(flag, value, config)
        if danger:
            raise Refused(danger, match=f"{flag} {value}" if value is not None else flag)
    if verb == "container cp":
        _check_cp(call.positionals, config)
    return call


def _dangerous(flag: str, value: str | None, config: Config) -> str | None:
    if flag == "--privileged":
        return "--privileged gives the container the whole host"
    if flag in ("--pid", "--ipc", "--userns", "--uts", "--cgroupns") and value == "host":
        return f"{flag}=host shares the host's {flag[2:]} namespace with the container"
    if flag in ("--cap-add",):
        return f"--cap-add {value} widens what the container may do to the host"
    if flag in ("--device", "--device-cgroup-rule"):
        return f"{flag} gives the container a host device"
    if flag == "--security-opt" and value is not None and not value.startswith("no-new-privileges"):
        return f"--security-opt {value} weakens the container's confinement"
    if flag in ("-v", "--volume") and value is not None and ":" in value:  # without ':' it is anonymous
        source = value.split(":", 1)[0]
        if source.startswith("/") or source.startswith("."):
            return _bind_source(source, config)
    if flag == "--mount" and value is not None:
        fields = dict(f.partition("=")[::2] for f in value.split(","))
        source = fields.get("source") or fields.get("src") or ""
        if fields.get("type") == "bind" and source:
            return _bind_source(source, config)
    return None


def _bind_source(source: str, config: Config) -> str | None:
    if source == UNKNOWN or UNKNOWN in source:
        return None  # checked again with the real value
    path = PurePosixPath(source)
    if not path.is_absolute():
        return None  # docker itself refuses relative -v sources; --mount resolves them against the cwd
    if ".." in path.parts:
        return f"bind mount source {source}: '..' is not allowed"
    if path == PurePosixPath(config.workdir) or PurePosixPath(config.workdir) in path.parents:
        return None
    return (f"bind mount of {source}: pages may only bind-mount folders below their working directory "
            "(write \"$PWD\"/NAME)")


def _check_cp(positionals: Sequence[str], config: Config) -> None:
    if len(positionals) != 2:
        return
    for arg in positionals:
        if arg == "-":
            raise Refused("docker cp with '-' streams a tar archive: copy to a file and show it with cat")
        if ":" not in arg and arg != UNKNOWN and arg.startswith("/"):
            refusal = _bind_source(arg, config)
            if refusal:
                raise Refused("docker cp: host paths must be relative, or below the page's working directory")


# --------------------------------------------------------------------------------------------------
# host commands and filters


def _check_host(argv: Sequence[str], config: Config) -> None:
    program, args = argv[0], list(argv[1:])
    rule = HOST.get(program)
    if rule is None:
        raise Refused(f"'{program}' is not an allowed host command; allowed: {', '.join(sorted(HOST))}",
                      match=" ".join(argv))
    problem = rule(args, config)
    if problem:
        raise Refused(f"{program}: {problem}", match=" ".join(argv))


def _ip(args: list[str], config: Config) -> str | None:
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return None
    obj = words[0]
    if obj not in IP_OBJECTS:
        return f"'ip {obj}' is not allowed; allowed objects: {', '.join(sorted(IP_OBJECTS))}"
    action = words[1] if len(words) > 1 else "show"
    if action not in ("show", "list", "ls", "get", "dev"):
        return f"'ip {obj} {action}' changes the host; only show/list are allowed"
    return None



def _bridge(args: list[str], config: Config) -> str | None:
    words = [a for a in args if not a.startswith("-")]
    if words and words[0] not in ("link", "fdb", "vlan", "mdb"):
        return f"'bridge {words[0]}' is not allowed"
    if len(words) > 1 and words[1] not in ("show", "list", "dev"):
        return f"'bridge {words[0]} {words[1]}' changes the host; only show is allowed"
    return None


def _iptables(args: list[str], config: Config) -> str | None:
    listing = {"-S", "-L", "--list", "--list-rules"}
    if not listing & set(args):
        return "only listing (-S, -L) is allowed"
    allowed = listing | {"-t", "--table", "-n", "--numeric", "-v", "--verbose", "--line-numbers", "-w", "-x"}
    for a in args:
        if a.startswith("-") and a not in allowed:
            return f"option '{a}' is not allowed"
    return None


def _iptables_save(args: list[str], config: Config) -> str | None:
    bad = [a for a in args if a not in ("-t", "-c") and a.startswith("-")]
    return f"option '{bad[0]}' is not allowed" if bad else None


def _nsenter(args: list[str], config: Config) -> str | None:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] in ("-t", "--target"):
            i += 1
        elif args[i] not in ("-n", "--net", "-u", "--uts", "-i", "--ipc", "-p", "--pid") and not \
                args[i].startswith("--net=") and not args[i].startswith("--uts="):
            return f"option '{args[i]}' is not allowed (only -t PID, -n/--net, -u, -i, -p)"
        i += 1
    inner = args[i:]
    if not inner:
        return "nsenter needs a command to run"
    if inner[0] not in ("ip", "cat", "ls", "hostname", "readlink", "ss"):
        return f"'{inner[0]}' is not allowed inside nsenter (ip, cat, ls, hostname, readlink, ss)"
    problem: str | None = HOST[inner[0]](inner[1:], config)
    return problem


def _reads_only(*refused: str):  # type: ignore[no-untyped-def]
    def rule(args: list[str], config: Config) -> str | None:
        for a in args:
            if a in refused or any(a.startswith(r + "=") for r in refused if r.startswith("--")):
                return f"option '{a}' is not allowed"
        return None
    return rule


def _mkdir(args: list[str], config: Config) -> str | None:
    for a in args:
        if a.startswith("-") and a not in ("-p", "-v"):
            return f"option '{a}' is not allowed"
        outside = a.startswith("/") or ".." in a.split("/")
        if not a.startswith("-") and a != UNKNOWN and outside and not a.startswith(str(config.workdir) + "/"):
            return "mkdir only makes folders below the page's working directory (use a relative path)"
    return None


def _sysctl(args: list[str], config: Config) -> str | None:
    if any("=" in a or a in ("-w", "--write", "-p", "--load", "--system") for a in args):
        return "only reading is allowed"
    return None


def _curl(args: list[str], config: Config) -> str | None:
    allowed = {"-s", "-S", "-sS", "-i", "-I", "--max-time", "-m", "--silent", "--show-error", "--head",
               "--include", "--connect-timeout"}
    for a in args:
        if a.startswith("-") and a not in allowed:
            return f"option '{a}' is not allowed"
    urls = [a for a in args if "://" in a]
    if not urls:
        return "curl needs an http:// URL of this machine"
    return None


def _check_filter(argv: Sequence[str]) -> None:
    program = argv[0]
    if program not in FILTERS:
        raise Refused(f"'{program}' cannot read a pipe here; allowed after '|': {', '.join(sorted(FILTERS))}")
    bad = FILTERS[program] & set(argv[1:])
    if bad:
        raise Refused(f"'{program} {sorted(bad)[0]}' is not allowed after a pipe")


# --------------------------------------------------------------------------------------------------
# the network rule: nothing outside this machine


_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
_URL = re.compile(r"\b(?:https?|ftp)://([^/\s:'\"]+)")
# Loopback, Docker's networks, and a lab's LAN (192.0.2.0/24, a range reserved for documentation).
_LOCAL_NETS = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "172.16.0.0/12", "0.0.0.0/32", "192.0.2.0/24")]
_MASKS = re.compile(r"255\.\d+\.\d+\.\d+")


def _check_addresses(argv: Sequence[str]) -> None:
    for word in argv:
        for m in _IPV4.finditer(word):
            text = m.group(1)
            try:
                address = ipaddress.ip_address(text)
            except ValueError:
                continue
            if _MASKS.fullmatch(text) or any(address in net for net in _LOCAL_NETS):
                continue
            raise Refused(f"{text} is outside this machine: lessons only talk between containers and this host "
                          "(loopback, Docker's 172.16.0.0/12 networks, and the lab LAN 192.0.2.0/24)")
        for m in _URL.finditer(word):
            host = m.group(1)
            if "." in host and not _IPV4.fullmatch(host):
                raise Refused(f"{host} is outside this machine: lessons only talk between containers and this host")


# --------------------------------------------------------------------------------------------------
# Data

GROUPS = {"container", "network", "volume", "image", "system", "builder", "compose", "swarm", "service",
          "stack", "node", "secret", "config", "plugin", "context", "buildx", "trust", "manifest", "checkpoint"}
ALIASES = {"ps": "ls", "list": "ls", "remove": "rm"}
SHORTHANDS = {
    "run": "container run", "create": "container create", "start": "container start", "stop": "container stop",
    "restart": "container restart", "kill": "container kill", "rm": "container rm", "ps": "container ls",
    "exec": "container exec", "cp": "container cp", "diff": "container diff", "logs": "container logs",
    "top": "container top", "port": "container port", "pause": "container pause",
    "unpause": "container unpause", "rename": "container rename", "wait": "container wait",
    "stats": "container stats", "attach": "container attach", "images": "image ls", "pull": "image pull",
    "push": "image push", "build": "image build", "commit": "container commit", "tag": "image tag",
    "rmi": "image rm", "save": "image save", "load": "image load", "import": "image import",
    "export": "container export", "history": "image history", "update": "container update",
}
STOP_AT_FIRST_POSITIONAL = {"container run", "container create", "container exec"}
_RUN_BOOLS = {"--detach", "--interactive", "--tty", "--rm", "--privileged", "--init", "--read-only",
              "--publish-all", "--no-healthcheck", "--oom-kill-disable", "--disable-content-trust",
              "--sig-proxy", "--help", "--quiet", "--use-api-socket"}
_RUN_SHORT_VALUES = {"-a", "-c", "-e", "-h", "-l", "-m", "-p", "-u", "-v", "-w"}
FLAGS: dict[str, tuple[set[str], set[str]]] = {
    "container run": (_RUN_BOOLS, _RUN_SHORT_VALUES),
    "container create": (_RUN_BOOLS, _RUN_SHORT_VALUES),
    "container exec": ({"--detach", "--interactive", "--tty", "--privileged", "--help"}, {"-e", "-u", "-w"}),
    "container start": ({"--attach", "--interactive", "--help"}, set()),
    "container stop": (set(), {"-t", "-s"}),
    "container restart": (set(), {"-t", "-s"}),
    "container kill": (set(), {"-s"}),
    "container rm": ({"--force", "--volumes", "--link"}, set()),
    "container ls": ({"--all", "--latest", "--no-trunc", "--quiet", "--size"}, {"-f", "-n"}),
    "container cp": ({"--archive", "--follow-link", "--quiet"}, set()),
    "container diff": (set(), set()),
    "container logs": ({"--details", "--follow", "--timestamps"}, {"-n"}),
    "container top": (set(), set()),
    "container port": (set(), set()),
    "container inspect": ({"--size"}, {"-f"}),
    "container pause": (set(), set()),
    "container unpause": (set(), set()),
    "container rename": (set(), set()),
    "container wait": (set(), set()),
    "container stats": ({"--all", "--no-stream", "--no-trunc"}, set()),
    "network create": ({"--attachable", "--internal", "--ingress", "--ipv6", "--config-only"}, {"-d", "-o"}),
    "network ls": ({"--no-trunc", "--quiet"}, {"-f"}),
    "network inspect": ({"--verbose"}, {"-f"}),
    "network connect": (set(), set()),
    "network disconnect": ({"--force"}, {"-f"}),
    "network rm": ({"--force"}, set()),
    "volume create": (set(), {"-d", "-o"}),
    "volume ls": ({"--quiet", "--cluster"}, {"-f"}),
    "volume inspect": (set(), {"-f"}),
    "volume rm": ({"--force"}, set()),
    "image ls": ({"--all", "--digests", "--no-trunc", "--quiet", "--tree"}, {"-f"}),
    "image inspect": (set(), {"-f"}),
    "image history": ({"--human", "--no-trunc", "--quiet"}, {"-H"}),
    "inspect": ({"--size"}, {"-f"}),
}
SIMPLE_VERBS = {"version", "info", "system info", "system df"}
REFUSED_VERBS = {
    "image pull": "it needs a registry, and lessons never contact the internet",
    "image push": "it needs a registry, and lessons never contact the internet",
    "login": "it needs a registry, and lessons never contact the internet",
    "logout": "it needs a registry, and lessons never contact the internet",
    "search": "it needs a registry, and lessons never contact the internet",
    "container attach": "it needs a terminal (and Ctrl+C would stop the container): use `docker exec NAME COMMAND`, "
                        "or `docker logs NAME`",
    "image build": "lesson images are built by the engine from images/ (add a folder there)",
    "container commit": "pages must not change the images that other pages share",
    "image tag": "pages must not change the images that other pages share",
    "image rm": "pages must not change the images that other pages share",
    "image save": "it writes a tar archive; pages must not change the images other pages share",
    "image load": "pages must not change the images that other pages share",
    "image import": "pages must not change the images that other pages share",
    "container export": "it writes a tar archive of a container; use docker cp for single files",
    "container prune": "it removes objects the page did not create",
    "network prune": "it removes objects the page did not create",
    "volume prune": "it removes objects the page did not create",
    "image prune": "it removes objects the page did not create",
    "system prune": "it removes objects the page did not create",
    "container update": "not needed by the lessons",
    "container stats": "its output changes every second",
}
IP_OBJECTS = {"a", "addr", "address", "l", "link", "r", "route", "n", "neigh", "neighbor", "neighbour",
              "netns"}
HOST = {
    "ip": _ip,
    "bridge": _bridge,
    "iptables": _iptables,
    "ip6tables": _iptables,
    "iptables-save": _iptables_save,
    "nsenter": _nsenter,
    "cat": _reads_only(),
    "ls": _reads_only(),
    "stat": _reads_only(),
    "readlink": _reads_only(),
    "realpath": _reads_only(),
    "head": _reads_only(),
    "tail": _reads_only("-f", "--follow", "-F"),
    "grep": _reads_only(),
    "wc": _reads_only(),
    "hostname": lambda args, config: "only reading the name is allowed" if args else None,
    "uname": _reads_only(),
    "id": _reads_only(),
    "echo": _reads_only(),
    "ss": _reads_only("-K", "--kill"),
    "sysctl": _sysctl,
    "mkdir": _mkdir,
    "curl": _curl,
    "du": _reads_only(),
    "find": _reads_only("-delete", "-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprintf", "-fls"),
}
FILTERS: dict[str, set[str]] = {
    "grep": set(), "head": set(), "tail": {"-f", "--follow", "-F"}, "sort": {"-o", "--output"},
    "uniq": set(), "wc": set(), "cut": set(), "tr": set(), "column": set(),
}
