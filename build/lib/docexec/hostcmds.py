"""The host programs a page may run (exec="host" blocks, `nsenter`'s inner command) and the filters it may pipe
into, each with the options it may use: fail closed, like the docker options. An option a program's table does
not list is refused with the nearest one it does list.

Where a page runs decides the rest. In a lab every path is the lab's own and every change dies with it, so a
page may also change the lab's network (`ip route add`, `iptables -I DOCKER-USER`, `sysctl -w net.…`). On the
shared daemon (the fallback) the host is the maintainer's machine: there a page may only read, and only files
below its working folder, Docker's data, and the namespaces and network devices of /proc and /sys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

UNKNOWN = "\0"  # a word whose value is only known at run time (before $(...) and $NAME are expanded)


class HostRefused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Where:
    """What the checks need to know about where the command runs."""

    workdir: str
    isolated: bool  # in a lab


@dataclass(frozen=True)
class Program:
    """A program's options: name -> 1 if it takes a value, 0 if not. `words`: options are whole words (ip's -o,
    find's -name), never clusters of letters. `check`: the rest (positionals, values), given the options."""

    options: dict[str, int] = field(default_factory=dict)
    words: bool = False
    check: Callable[[list[str], list[tuple[str, str | None]], Where], str | None] | None = None
    stop_at_positional: bool = False  # nsenter: the first positional starts the inner command


def parse(name: str, program: Program, args: Sequence[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    options: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positionals.extend(args[i + 1:])
            break
        option = arg in program.options or (not _is_number(arg) and arg != UNKNOWN)
        if arg.startswith("-") and len(arg) > 1 and option:
            flag, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            if flag in program.options or program.words or flag.startswith("--"):
                if flag not in program.options:
                    raise HostRefused(_unknown(name, flag, program))
                if program.options[flag] and not eq:
                    value, i = (args[i + 1] if i + 1 < len(args) else ""), i + 1
                options.append((flag, value if program.options[flag] or eq else None))
            else:  # a cluster of short options: -ltn, -n5
                for k, letter in enumerate(arg[1:]):
                    short = f"-{letter}"
                    if short not in program.options:
                        raise HostRefused(_unknown(name, short, program))
                    if program.options[short]:
                        rest = arg[k + 2:]
                        if not rest:
                            rest, i = (args[i + 1] if i + 1 < len(args) else ""), i + 1
                        options.append((short, rest))
                        break
                    options.append((short, None))
        else:
            if program.stop_at_positional:
                positionals.extend(args[i:])
                break
            positionals.append(arg)
        i += 1
    return options, positionals


def _is_number(arg: str) -> bool:
    return re.fullmatch(r"-\d+", arg) is not None  # head -5, a negative value


def _unknown(name: str, flag: str, program: Program) -> str:
    close = difflib.get_close_matches(flag, list(program.options), n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    allowed = " ".join(sorted(program.options)) or "none"
    return f"{name}: option '{flag}' is not allowed{hint}; allowed: {allowed}"


def check_host(argv: Sequence[str], where: Where) -> None:
    name, args = argv[0], list(argv[1:])
    program = HOST.get(name)
    if program is None:
        raise HostRefused(f"'{name}' is not an allowed host command; allowed: {', '.join(sorted(HOST))}")
    options, positionals = parse(name, program, args)
    if program.check:
        problem = program.check(positionals, options, where)
        if problem:
            raise HostRefused(f"{name}: {problem}")


def check_filter(argv: Sequence[str]) -> None:
    """A program after `|`: it reads the pipe and writes the terminal, nothing else."""
    name = argv[0]
    program = FILTERS.get(name)
    if program is None:
        raise HostRefused(f"'{name}' cannot read a pipe here; allowed after '|': {', '.join(sorted(FILTERS))}")
    options, positionals = parse(name, program, argv[1:])
    if program.check:
        problem = program.check(positionals, options, Where("", isolated=True))
        if problem:
            raise HostRefused(f"{name} after '|': {problem}")


# --------------------------------------------------------------------------------------------------
# checks of positionals


READABLE_ON_THE_MACHINE = (re.compile(r"/var/lib/docker(/.*)?"), re.compile(r"/proc/(self|\d+|\0)/ns(/.*)?"),
                           re.compile(r"/sys/class/net(/.*)?"))


def _readable(path: str, where: Where) -> str | None:
    """On the shared daemon, a page reads files below its working folder, Docker's data, namespaces and network
    devices; in a lab, anything (all of it is the lab's)."""
    if where.isolated or path == UNKNOWN or not path.startswith("/"):
        return None
    pure = PurePosixPath(path)
    if ".." in pure.parts:
        return f"'{path}': '..' is not allowed"
    if pure == PurePosixPath(where.workdir) or PurePosixPath(where.workdir) in pure.parents:
        return None
    if any(p.fullmatch(path) for p in READABLE_ON_THE_MACHINE):
        return None
    return (f"'{path}' is a file of the machine: on the shared daemon a page reads only its working folder, "
            "/var/lib/docker, /proc/PID/ns and /sys/class/net (in a lab, the whole lab is the page's)")


def _paths(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    for path in positionals:
        problem = _readable(path, where)
        if problem:
            return problem
    return None


def _no_arguments(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    return "only reading is allowed (no arguments)" if positionals else None


def _mkdir(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    for path in positionals:
        if path == UNKNOWN:
            continue
        pure = PurePosixPath(path)
        inside = not pure.is_absolute() or PurePosixPath(where.workdir) in pure.parents
        if ".." in pure.parts or not inside:
            return "mkdir only makes folders below the page's working directory (use a relative path)"
    return None


_CHANGES = {"add", "del", "delete", "set", "change", "replace", "flush", "append", "prepend", "attach", "detach",
            "exec"}
IP_OBJECTS = {"a", "addr", "address", "l", "link", "r", "route", "n", "neigh", "neighbor", "neighbour", "netns",
              "ru", "rule", "maddr", "ma", "mroute", "nexthop", "tunnel"}


def _ip(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    if not positionals:
        return None
    obj = positionals[0]
    if obj not in IP_OBJECTS:
        return f"'ip {obj}' is not allowed; allowed objects: {', '.join(sorted(IP_OBJECTS))}"
    action = positionals[1] if len(positionals) > 1 else "show"
    if obj == "netns" and action == "exec":
        return "'ip netns exec' runs any program: use nsenter with an allowed command"
    if action in _CHANGES and not where.isolated:
        return f"'ip {obj} {action}' changes the host; only a lab may be changed (on the shared daemon: show)"
    return None


def _bridge(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    if positionals and positionals[0] not in ("link", "fdb", "vlan", "mdb"):
        return f"'bridge {positionals[0]}' is not allowed"
    if len(positionals) > 1 and positionals[1] in _CHANGES and not where.isolated:
        return f"'bridge {positionals[0]} {positionals[1]}' changes the host; only show is allowed here"
    return None


_IPTABLES_LISTING = {"-S", "--list-rules", "-L", "--list", "-V", "--version"}


def _iptables(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    flags = {flag for flag, _ in options}
    if not flags & _IPTABLES_LISTING and not where.isolated:
        return "only listing (-S, -L) is allowed on the shared daemon's host"
    return None


def _sysctl(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    writes = [p for p in positionals if "=" in p] or [v for f, v in options if f == "-w" and v]
    for setting in writes:
        key = setting.split("=", 1)[0].replace("/", ".")
        if not where.isolated:
            return "only reading is allowed on the shared daemon's host"
        if not key.startswith("net."):
            return f"'{key}' is a setting of the machine's kernel: a lab may change only its own net.* settings"
    return None


def _nsenter(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    if not positionals:
        return "nsenter needs a command to run"
    inner = positionals[0]
    if inner not in NSENTER_INNER:
        return f"'{inner}' is not allowed inside nsenter ({', '.join(sorted(NSENTER_INNER))})"
    for flag, value in options:
        if flag in ("--mount", "-m", "--root", "-r", "--wd", "-w") and not where.isolated:
            return f"option '{flag}' is not allowed on the shared daemon's host"
        if flag in ("--net", "--uts", "--mount", "--pid", "--ipc") and value and value != UNKNOWN:
            problem = _readable(value, where)
            if problem:
                return problem
    try:
        check_host(positionals, where)
    except HostRefused as exc:
        return exc.message
    return None


def _curl(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    if not any("://" in p for p in positionals):
        return "curl needs an http:// URL of this lab or machine"
    return None


def _tcpdump(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    if not where.isolated:
        return "capturing is only allowed in a lab (on the shared daemon it would show the machine's traffic)"
    if not any(flag == "-c" for flag, _ in options):
        return "give -c N: a capture must end by itself"
    return None


FIND_PRIMARIES = {"-name": 1, "-iname": 1, "-path": 1, "-type": 1, "-maxdepth": 1, "-mindepth": 1, "-size": 1,
                  "-newer": 1, "-user": 1, "-group": 1, "-perm": 1, "-links": 1, "-inum": 1, "-empty": 0,
                  "-print": 0, "-print0": 0, "-ls": 0, "-xdev": 0, "-mount": 0, "-o": 0, "-a": 0, "-not": 0,
                  "-and": 0, "-or": 0, "-L": 0, "-H": 0, "-P": 0}


def _find(positionals: list[str], options: list[tuple[str, str | None]], where: Where) -> str | None:
    for word in positionals:
        if word in ("(", ")", "!"):
            continue
        if not word.startswith("-"):
            problem = _readable(word, where) if word.startswith("/") else None
            if problem:
                return problem
    return None


# --------------------------------------------------------------------------------------------------
# the tables


def _opts(spec: str) -> dict[str, int]:
    """'-n -c= --max-time=' -> {'-n': 0, '-c': 1, '--max-time': 1}: a trailing '=' means the option takes a value."""
    return {word.rstrip("="): int(word.endswith("=")) for word in spec.split()}


_READERS = _opts("-n -A -v -E -T")
HOST: dict[str, Program] = {
    "ip": Program(_opts("-4 -6 -o -oneline -d -details -s -stats -br -brief -c= -color= -j -json -p -pretty"),
                  words=True, check=_ip),
    "bridge": Program(_opts("-d -details -s -stats -j -json -p -pretty -c= -color="), words=True, check=_bridge),
    "iptables": Program(_opts("-S --list-rules -L --list -t= --table= -n --numeric -v --verbose -x --exact "
                              "--line-numbers -w --wait -I= --insert= -A= --append= -D= --delete= -j= --jump= "
                              "-p= --protocol= -s= --source= -d= --destination= -i= --in-interface= -o= "
                              "--out-interface= -m= --match= --dport= --sport= --ctstate= --state= --to-destination= "
                              "--to-source= --comment= -Z --zero -V --version"), check=_iptables),
    "iptables-save": Program(_opts("-t= --table= -c --counters")),
    "nsenter": Program(_opts("-t= --target= -n --net -u --uts -i --ipc -p --pid -m --mount"),
                       words=True, check=_nsenter, stop_at_positional=True),
    "cat": Program(_READERS, check=_paths),
    "ls": Program(_opts("-l -d -a -A -1 -h -i -n -R -F --full-time"), check=_paths),
    "stat": Program(_opts("-c= --format= -L -f -t"), check=_paths),
    "readlink": Program(_opts("-f -e -m -n"), check=_paths),
    "realpath": Program(_opts("-e -m -s"), check=_paths),
    "head": Program(_opts("-n= -c= -q"), check=_paths),
    "tail": Program(_opts("-n= -c= -q"), check=_paths),
    "grep": Program(_opts("-v -E -F -i -c -o -w -x -n -q -l -h -e= -m= -A= -B= -C="), check=_paths),
    "wc": Program(_opts("-l -c -w -m"), check=_paths),
    "du": Program(_opts("-s -h -k -a -x -b --apparent-size -d="), check=_paths),
    "find": Program(FIND_PRIMARIES, words=True, check=_find),
    "hostname": Program(check=_no_arguments),
    "uname": Program(_opts("-a -r -s -n -m -v -o")),
    "id": Program(_opts("-u -g -G -n")),
    "echo": Program(_opts("-n")),
    "ss": Program(_opts("-l -t -u -n -p -a -4 -6 -x -H -e -o -i -m")),
    "sysctl": Program(_opts("-n -e -N -w -q"), check=_sysctl),
    "mkdir": Program(_opts("-p -v"), check=_mkdir),
    # Debian's tcpdump, on a lab host's own interfaces; it never writes or reads capture files (-w, -r).
    "tcpdump": Program(_opts("-i= -n -nn -c= -e -l -q -t -tt -v -vv -p -Q= --direction= -s= -A -X"),
                       check=_tcpdump),
    "curl": Program(_opts("-s --silent -S --show-error -i --include -I --head -f --fail -m= --max-time= "
                          "--connect-timeout= -4 -6 -H= --header="), check=_curl),
}
HOST["ip6tables"] = HOST["iptables"]
NSENTER_INNER = {"ip", "cat", "ls", "hostname", "readlink", "ss", "bridge", "iptables", "iptables-save", "uname"}
FILTERS: dict[str, Program] = {
    "grep": Program(_opts("-v -E -F -i -c -o -w -x -n -q -e= -m= -A= -B= -C=")),
    "head": Program(_opts("-n= -c=")),
    "tail": Program(_opts("-n= -c=")),
    "sort": Program(_opts("-n -r -u -k= -t= -V -h -b -f -s")),
    "uniq": Program(_opts("-c -d -u -i")),
    "wc": Program(_opts("-l -c -w -m")),
    "cut": Program(_opts("-d= -f= -c= -b= -s")),
    "tr": Program(_opts("-d -s -c")),
    "column": Program(_opts("-t -s=")),
}
