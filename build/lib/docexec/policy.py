"""What a page may run: docker verbs and flags, read-only host tools, filters after a pipe.

`check_argv` is called twice: on the words of a command when the page is parsed (words that hold `$(...)` or
`$NAME` are not known yet and stand as UNKNOWN), and on the real arguments just before they run.
Refused uses may be allowed for one page by `[[tool.docexec.allow]]` in pyproject.toml, with a reason.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from .config import Config
from .docker_flags import OPTIONS
from .hostcmds import UNKNOWN as UNKNOWN  # re-exported: the runner and tests name it by policy
from .hostcmds import HostRefused, Where, check_filter, check_host
from .shellwords import Literal, ShellCommand, Word


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
    _check_addresses(argv, lan=config.isolated)
    program = argv[0]
    if stage > 0:
        _check_filter(argv)
        return None
    if program == "docker":
        terminal = kind == "session"
        call: DockerCall | None = _allowed(page, config, line, lambda: check_docker(argv, config, terminal=terminal))
        return call
    if program == UNKNOWN:
        raise Refused("the program name must be written out, not come from $(...) or a variable")
    if kind == "session":
        raise Refused(f"'{program}' is not docker: a terminal session runs docker commands (docker run -it, docker "
                      "exec -it, docker attach)")
    if kind == "docker":
        raise Refused(f"'{program}' is not docker: put host commands in a block with exec=\"host\"")
    _allowed(page, config, line, lambda: _check_host(argv, config))
    return None


def check_typed(text: str, config: Config) -> None:
    """A line typed into a session's program (a container's shell, say): it names no address outside the lab,
    as a command in `sh -c '...'` would not. What runs inside a container is the container's business."""
    _check_addresses([text], lan=config.isolated)


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
    """Split a docker command line into its verb, options and positional arguments. Fail closed: an option that
    the verb's table (docker_flags.OPTIONS, the CLIs' own --help) does not list is refused, with the nearest
    spelling it does list, so no option is ever mistaken for a value or let through unread."""
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
    if verb in REFUSED_VERBS:
        raise Refused(f"'docker {verb}' is refused: {REFUSED_VERBS[verb]}")
    if verb not in OPTIONS:
        raise Refused(f"'docker {verb}' is not supported by the lesson engine; supported: "
                      + ", ".join(sorted(v for v in OPTIONS if v not in REFUSED_VERBS)))
    _, positionals, options_end = _walk(argv, verb, i + 1)
    return DockerCall(verb=verb, verb_index=i, options_end=options_end, positionals=tuple(positionals))


def iter_options(argv: Sequence[str], call: DockerCall) -> list[tuple[str, str | None]]:
    """The verb's options as (long name, value) pairs, whichever spelling the page used: `-dit` gives --detach,
    --interactive, --tty; `-p8080:80` and `--publish=8080:80` both give ("--publish", "8080:80")."""
    options, _, _ = _walk(argv, call.verb, call.verb_index + 1)
    return [(long, value) for long, value, _ in options]


Option = tuple[str, str | None, str]  # long name, value, the spelling the page used


def _walk(argv: Sequence[str], verb: str, j: int) -> tuple[list[Option], list[str], int]:
    table = OPTIONS[verb]
    shorts = {short: long for long, (short, _, since) in sorted(table.items(), key=lambda kv: kv[1][2] == "20.10")
              if short}  # where a long name changed (--time, --timeout: -t), the one both CLIs have wins
    options: list[Option] = []
    positionals: list[str] = []
    while j < len(argv):
        arg = argv[j]
        if arg == "--":
            positionals.extend(argv[j + 1:])
            return options, positionals, j + 1
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg.partition("=")
            if name not in table:
                raise Refused(_unknown_option(verb, name, table, shorts))
            if table[name][1] and not eq:
                value, j = (argv[j + 1] if j + 1 < len(argv) else ""), j + 1
            options.append((name, value if table[name][1] else None, name))
        elif arg.startswith("-") and len(arg) > 1 and arg != UNKNOWN:
            for k, letter in enumerate(arg[1:]):
                long = shorts.get(f"-{letter}")
                if long is None:
                    raise Refused(_unknown_option(verb, f"-{letter}", table, shorts))
                if table[long][1]:  # takes a value: the rest of the cluster, or the next word
                    rest = arg[k + 2:].removeprefix("=")
                    if not rest:
                        rest, j = (argv[j + 1] if j + 1 < len(argv) else ""), j + 1
                    options.append((long, rest, f"-{letter}"))
                    break
                options.append((long, None, f"-{letter}"))
        elif verb in STOP_AT_FIRST_POSITIONAL:
            positionals.extend(argv[j:])
            return options, positionals, j
        else:
            positionals.append(arg)
        j += 1
    return options, positionals, len(argv)


def _unknown_option(verb: str, name: str, table: dict[str, tuple[str, bool, str]], shorts: dict[str, str]) -> str:
    if name in ("--help", "-h") and name not in shorts:
        return f"'{name}': {REFUSED_OPTIONS['--help']}"
    spellings = [*table, *shorts]
    close = [OLD_SPELLINGS[name]] if name in OLD_SPELLINGS else \
        difflib.get_close_matches(name, spellings, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"'docker {verb}' has no option '{name}'{hint}"


def check_docker(argv: Sequence[str], config: Config, *, terminal: bool = False) -> DockerCall:
    """`terminal`: the command runs in a terminal session (exec="session"), where -i, -t and `docker attach` have
    a terminal to use."""
    call = parse_docker(argv)
    verb = call.verb
    if verb == "container attach" and not terminal:
        raise Refused(f"'docker attach' {_TERMINAL}")
    options, _, _ = _walk(argv, verb, call.verb_index + 1)
    for flag, value, spelled in options:
        short, _, since = OPTIONS[verb][flag]
        if spelled == short and short in _SHORTS_OF_OLD.get(verb, ()) and short in _SHORTS_OF_NEW.get(verb, ()):
            since = "20.10"  # a short option both CLIs have (-t of docker stop: --time there, --timeout here)
        if since == "28":
            hint = f": write {short}, which both have" if short and short in _SHORTS_OF_OLD.get(verb, ()) else ""
            raise Refused(f"'{flag}' exists only in docker CLI 28 and later; Debian's docker.io (CLI 20.10) stops "
                          f"with 'unknown flag'{hint}")
        if since == "20.10-only":
            hint = f": write {short}" if short else ""
            raise Refused(f"'{flag}' is deprecated: newer docker CLIs print a warning{hint}")
        if flag in ("--tty", "--interactive"):
            if terminal and verb in ("container run", "container exec"):
                continue
            if terminal:
                raise Refused(f"'{flag}' of 'docker {verb}': in a terminal session, use docker run -it, "
                              "docker exec -it or docker attach")
            raise Refused(f"'{flag}' {_TERMINAL}")
        reason = REFUSED_OPTIONS.get(flag)
        if reason:
            raise Refused(f"'{flag}' is refused: {reason}", match=f"{flag} {value}" if value is not None else flag)
        if flag == "--pull" and value != "never":
            raise Refused("--pull would contact a registry: lesson images are built from this repository")
        danger = _dangerous(flag, value, config)
        if danger:
            raise Refused(danger, match=f"{flag} {value}" if value is not None else flag)
    if verb == "container cp":
        _check_cp(call.positionals, config)
    return call


def _dangerous(flag: str, value: str | None, config: Config) -> str | None:
    """Refusals that depend on an option's value (its long name; UNKNOWN parts are checked again at run time)."""
    if value is None or value == UNKNOWN:
        return None
    if flag in ("--pid", "--ipc", "--userns", "--uts", "--cgroupns") and value == "host":
        return f"{flag}=host shares the machine's {flag[2:]} namespace with the container"
    if flag == "--security-opt" and not value.startswith("no-new-privileges"):
        return f"--security-opt {value} weakens the container's confinement"
    if flag == "--volume" and ":" in value:  # without ':' it is an anonymous volume
        source = value.split(":", 1)[0]
        if source.startswith("/") or source.startswith("."):
            return _bind_source(source, config)
    if flag == "--mount":
        fields = dict(f.partition("=")[::2] for f in value.split(","))
        if any(k.startswith("volume-opt") for k in fields) or "volume-driver" in fields:
            return "--mount with volume-opt/volume-driver can mount any folder of the machine as a volume"
        source = fields.get("source") or fields.get("src") or ""
        if fields.get("type") == "bind" and source:
            return _bind_source(source, config)
    if flag == "--opt" and (value.startswith("device=") or "bind" in value):
        return f"--opt {value}: volume options can mount any folder of the machine"
    if flag == "--log-driver" and value not in ("json-file", "local", "none"):
        return f"--log-driver {value} would send the container's output elsewhere: use json-file or local"
    if flag == "--log-opt" and value.partition("=")[0] not in ("max-size", "max-file", "compress", "mode",
                                                                 "max-buffer-size", "labels", "env", "tag"):
        return f"--log-opt {value}: only max-size, max-file, compress, mode, max-buffer-size, labels, env, tag"
    if flag in ("--env-file", "--label-file", "--cidfile"):
        return _page_file(flag, value, config)
    return None


def _page_file(flag: str, value: str, config: Config) -> str | None:
    if UNKNOWN in value:
        return None
    path = PurePosixPath(value)
    outside = path.is_absolute() and PurePosixPath(config.workdir) not in path.parents and not config.isolated
    if ".." in path.parts or outside:
        return f"{flag} {value}: files of the page must be below its working directory (use a relative path)"
    return None


def _bind_source(source: str, config: Config) -> str | None:
    if source == UNKNOWN or UNKNOWN in source:
        return None  # checked again with the real value
    path = PurePosixPath(source)
    if not path.is_absolute():
        return None  # docker itself refuses relative -v sources; --mount resolves them against the cwd
    if ".." in path.parts:
        return f"bind mount source {source}: '..' is not allowed"
    if path.parts[1:2] and path.parts[1] in ("proc", "sys", "dev"):
        return f"bind mount of {source}: /proc, /sys and /dev are the kernel's, not files of a host"
    if config.isolated or path == PurePosixPath(config.workdir) or PurePosixPath(config.workdir) in path.parents:
        return None  # in a lab, every folder is the lab's own
    return (f"bind mount of {source}: on the shared daemon pages may only bind-mount folders below their working "
            "directory (write \"$PWD\"/NAME); in a lab any folder of the lab")


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
    try:
        check_host(argv, Where(str(config.workdir), config.isolated))
    except HostRefused as exc:
        raise Refused(exc.message, match=" ".join(argv)) from None


def _check_filter(argv: Sequence[str]) -> None:
    try:
        check_filter(argv)
    except HostRefused as exc:
        raise Refused(exc.message) from None


# --------------------------------------------------------------------------------------------------
# the network rule: nothing outside this machine


_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
_URL = re.compile(r"\b(?:https?|ftp)://([^/\s:'\"]+)")
# Loopback, Docker's networks, and a lab's LAN (192.0.2.0/24, a range reserved for documentation).
_LOCAL_NETS = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "172.16.0.0/12", "0.0.0.0/32", "192.0.2.0/24")]
_MASKS = re.compile(r"255\.\d+\.\d+\.\d+")
_LAB_LAN = ipaddress.ip_network("192.0.2.0/24")
_LOCAL_NETS6 = [ipaddress.ip_network(n) for n in ("::1/128", "::/128", "fe80::/10", "fc00::/7", "2001:db8::/32")]
NETWORK_TOOLS = {"ping", "ping6", "wget", "curl", "nc", "netcat", "nslookup", "host", "dig", "telnet",
                 "traceroute", "traceroute6", "arping", "ssh", "ftpget", "ftpput", "tftp", "ntpd", "whois", "rdate"}
_NAME = re.compile(r"(?=.*[a-zA-Z])[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\.?")  # example.org, www.example.org.
_FILE = re.compile(r"\.(html?|txt|conf|json|log|sh|tar|gz|md)$")


def _check_addresses(argv: Sequence[str], *, lan: bool = True) -> None:
    """Every address a command names is one of this lab or machine: IPv4 in any notation inet_aton takes
    (8.8.8.8, 134744072, 0x08080808, 8.8.2056, 010.010.010.010), IPv6, URLs, and the names that network tools
    (ping, wget, nc, nslookup, ...) are given, also inside `sh -c '...'`. In a lab nothing outside is reachable
    anyway; this keeps pages honest where they run on a shared daemon, and their outputs free of timeouts."""
    tokens = [token for word in argv for token in re.split(r"[\s;|&()<>'\"`]+", word) if token]
    after_tool = False
    for token in tokens:
        for part in (token.split(":") if token.count(":") == 1 else [token]):  # db:203.0.113.5, 8.8.8.8:53
            _check_token(part, any_notation=after_tool, lan=lan)
        for m in re.finditer(r"://\[([0-9a-fA-F:.%]+)\]", token):  # http://[2001:db8::1]/
            _check_token(m.group(1), any_notation=True, lan=lan)
        for m in _URL.finditer(token):
            host = m.group(1)
            if "." in host and not _IPV4.fullmatch(host):
                raise Refused(f"{host} is outside this machine: lessons only talk between containers and this host")
        if after_tool and _NAME.fullmatch(token) and not _FILE.search(token):
            raise Refused(f"'{token}' is a name outside this lab: lessons only name their own containers, networks "
                          "and hosts (names without dots)")
        after_tool = after_tool or token.rsplit("/", 1)[-1] in NETWORK_TOOLS


def _check_token(token: str, *, any_notation: bool, lan: bool) -> None:
    """Dotted quads and IPv6 anywhere; other IPv4 notations (172.17 is 172.0.0.17 to inet_aton, 134744072 is
    8.8.8.8) only where a network tool reads them, since elsewhere they are ordinary patterns and numbers."""
    candidate = token.split("/", 1)[0] if "/" in token and not token.startswith("/") else token  # 8.8.8.8/32
    dotted_quad = re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", candidate) is not None
    address = (_ipv4_any_notation(candidate) if any_notation or dotted_quad else None) or _ipv6(candidate)
    if address is None or _MASKS.fullmatch(candidate):
        return
    local = _LOCAL_NETS if isinstance(address, ipaddress.IPv4Address) else _LOCAL_NETS6
    if any(address in net for net in local) and (lan or address not in _LAB_LAN):
        return  # the lab LAN only where there is a lab: elsewhere 192.0.2.0/24 may be anybody's network
    shown = f"{candidate} ({address})" if str(address) != candidate else candidate
    raise Refused(f"{shown} is outside this machine: lessons only talk between containers and this host "
                  "(loopback, Docker's 172.16.0.0/12 networks, and the lab LAN 192.0.2.0/24)")


def _ipv4_any_notation(text: str) -> ipaddress.IPv4Address | None:
    """What inet_aton (and so ping or wget) makes of `text`: dotted quads, fewer parts, hex and octal. Plain
    numbers below 16777216 (1.0.0.0) are taken as numbers (sleep 3600, head -c 300000)."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(re.fullmatch(r"0[xX][0-9a-fA-F]+|\d+", p) for p in parts):
        return None
    try:
        values = [int(p, 16) if p[:2].lower() == "0x" else int(p, 8) if len(p) > 1 and p[0] == "0" else int(p)
                  for p in parts]
    except ValueError:
        return None
    if len(parts) == 1 and values[0] < 1 << 24 and not text.lower().startswith("0x"):
        return None
    limits = {1: [32], 2: [8, 24], 3: [8, 8, 16], 4: [8, 8, 8, 8]}[len(parts)]
    number = 0
    for value, bits in zip(values, limits, strict=True):
        if value >= 1 << bits:
            return None
        number = (number << bits) | value
    return ipaddress.IPv4Address(number)


def _ipv6(text: str) -> ipaddress.IPv6Address | None:
    text = text.strip("[]").split("%", 1)[0]
    if text.count(":") < 2:
        return None
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


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
_SHORTS_OF_OLD = {verb: {s for s, _, since in table.values() if s and since != "28"} for verb, table in OPTIONS.items()}
_SHORTS_OF_NEW = {verb: {s for s, _, since in table.values() if s and since != "20.10-only"}
                  for verb, table in OPTIONS.items()}
_TERMINAL = ("needs a terminal, which only a terminal session block has (exec=\"session\", with the lines typed "
             "into it as `> ` lines); elsewhere, start the container with -d and run commands in it with "
             "`docker exec NAME COMMAND`")
_DEVICE = "it gives the container a host device"
# Options refused whatever their value: they reach past the container (devices, the kernel, the Docker socket),
# need a terminal, depend on the machine, or print what differs between CLI versions.
REFUSED_OPTIONS = {
    "--privileged": "it gives the container the whole host: every device and capability of the machine",
    "--cap-add": "it widens what the container may do to the machine",
    "--device": _DEVICE, "--device-cgroup-rule": _DEVICE, "--gpus": _DEVICE,
    "--device-read-bps": _DEVICE, "--device-read-iops": _DEVICE, "--device-write-bps": _DEVICE,
    "--device-write-iops": _DEVICE, "--blkio-weight-device": _DEVICE,
    "--cgroup-parent": "it places the container in cgroups outside Docker's own",
    "--runtime": "another container runtime makes outputs depend on the machine",
    "--storage-opt": "storage driver options depend on the machine",
    "--volume-driver": "volume plugins are not installed in labs",
    "--use-api-socket": "it gives the container the Docker socket, and with it the whole host",
    "--detach-keys": "the lessons teach Docker's own detach keys, Ctrl+P Ctrl+Q",
    "--help": "help texts change between CLI versions: quote the part that matters in prose",
    "--kubeconfig": "Kubernetes is not part of these lessons",
    "--checkpoint": "checkpoints are experimental", "--checkpoint-dir": "checkpoints are experimental",
    "--isolation": "isolation modes exist only on Windows",
    "--platform": "another platform's image would have to be pulled",
    "--disable-content-trust": "content trust concerns registries, which lessons never contact",
    "--follow": "it never ends, and a page's command must (show what was logged so far, without -f)",
}
OLD_SPELLINGS = {"--net": "--network", "--net-alias": "--network-alias"}  # hidden aliases both CLIs still take
REFUSED_VERBS = {
    "image pull": "it needs a registry, and lessons never contact the internet",
    "image push": "it needs a registry, and lessons never contact the internet",
    "login": "it needs a registry, and lessons never contact the internet",
    "logout": "it needs a registry, and lessons never contact the internet",
    "search": "it needs a registry, and lessons never contact the internet",
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
