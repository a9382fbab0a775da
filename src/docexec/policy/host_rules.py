"""The lint rules for host programs: what each may be given beyond its options (paths, ip objects, settings).
Where a page runs decides: in a lab every path is the lab's own and every change dies with it; on the shared
daemon a page may only read, and only files below its working folder, Docker's data, and the namespaces and
network devices of /proc and /sys."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from docexec.core.config import RunContext
from docexec.policy.refusal import UNKNOWN

READABLE_ON_THE_MACHINE = (re.compile(r"/var/lib/docker(/.*)?"), re.compile(r"/proc/(self|\d+|\0)/ns(/.*)?"),
                           re.compile(r"/sys/class/net(/.*)?"))


def readable(path: str, context: RunContext) -> str | None:
    """On the shared daemon, a page reads files below its working folder, Docker's data, namespaces and network
    devices; in a lab, anything (all of it is the lab's)."""
    if context.isolated or path == UNKNOWN or not path.startswith("/"):
        return None
    pure = PurePosixPath(path)
    if ".." in pure.parts:
        return f"'{path}': '..' is not allowed"
    if pure == PurePosixPath(context.workdir) or PurePosixPath(context.workdir) in pure.parents:
        return None
    if any(p.fullmatch(path) for p in READABLE_ON_THE_MACHINE):
        return None
    return (f"'{path}' is a file of the machine: on the shared daemon a page reads only its working folder, "
            "/var/lib/docker, /proc/PID/ns and /sys/class/net (in a lab, the whole lab is the page's)")


def paths(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    for path in positionals:
        problem = readable(path, context)
        if problem:
            return problem
    return None


def no_arguments(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    return "only reading is allowed (no arguments)" if positionals else None


def mkdir(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    for path in positionals:
        if path == UNKNOWN:
            continue
        pure = PurePosixPath(path)
        inside = not pure.is_absolute() or PurePosixPath(context.workdir) in pure.parents
        if ".." in pure.parts or not inside:
            return "mkdir only makes folders below the page's working directory (use a relative path)"
    return None


_CHANGES = {"add", "del", "delete", "set", "change", "replace", "flush", "append", "prepend", "attach", "detach",
            "exec"}
IP_OBJECTS = {"a", "addr", "address", "l", "link", "r", "route", "n", "neigh", "neighbor", "neighbour", "netns",
              "ru", "rule", "maddr", "ma", "mroute", "nexthop", "tunnel"}


def ip(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    if not positionals:
        return None
    obj = positionals[0]
    if obj not in IP_OBJECTS:
        return f"'ip {obj}' is not allowed; allowed objects: {', '.join(sorted(IP_OBJECTS))}"
    action = positionals[1] if len(positionals) > 1 else "show"
    if obj == "netns" and action == "exec":
        return "'ip netns exec' runs any program: use nsenter with an allowed command"
    if action in _CHANGES and not context.isolated:
        return f"'ip {obj} {action}' changes the host; only a lab may be changed (on the shared daemon: show)"
    return None


def bridge(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    if positionals and positionals[0] not in ("link", "fdb", "vlan", "mdb"):
        return f"'bridge {positionals[0]}' is not allowed"
    if len(positionals) > 1 and positionals[1] in _CHANGES and not context.isolated:
        return f"'bridge {positionals[0]} {positionals[1]}' changes the host; only show is allowed here"
    return None


_IPTABLES_LISTING = {"-S", "--list-rules", "-L", "--list", "-V", "--version"}


def iptables(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    flags = {flag for flag, _ in options}
    if not flags & _IPTABLES_LISTING and not context.isolated:
        return "only listing (-S, -L) is allowed on the shared daemon's host"
    return None


def sysctl(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    writes = [p for p in positionals if "=" in p] or [v for f, v in options if f == "-w" and v]
    for setting in writes:
        key = setting.split("=", 1)[0].replace("/", ".")
        if not context.isolated:
            return "only reading is allowed on the shared daemon's host"
        if not key.startswith("net."):
            return f"'{key}' is a setting of the machine's kernel: a lab may change only its own net.* settings"
    return None


def curl(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    if not any("://" in p for p in positionals):
        return "curl needs an http:// URL of this lab or machine"
    return None


_JQ_READS = re.compile(r"(?<![\w$.])(import|include|input_filename|env)\b|\$ENV\b|\$__loc__")


def jq(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    """One filter, which reads the pipe: no file arguments, no modules or environment read."""
    if len(positionals) > 1:
        return "give one filter and no file: jq reads the pipe"
    if positionals and (found := _JQ_READS.search(positionals[0])):
        return f"'{found.group(0)}' reads files or the environment; a filter here reads only the pipe"
    return None


def tcpdump(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    if not context.isolated:
        return "capturing is only allowed in a lab (on the shared daemon it would show the machine's traffic)"
    if not any(flag == "-c" for flag, _ in options):
        return "give -c N: a capture must end by itself"
    return None


FIND_PRIMARIES = {"-name": 1, "-iname": 1, "-path": 1, "-type": 1, "-maxdepth": 1, "-mindepth": 1, "-size": 1,
                  "-newer": 1, "-user": 1, "-group": 1, "-perm": 1, "-links": 1, "-inum": 1, "-empty": 0,
                  "-print": 0, "-print0": 0, "-ls": 0, "-xdev": 0, "-mount": 0, "-o": 0, "-a": 0, "-not": 0,
                  "-and": 0, "-or": 0, "-L": 0, "-H": 0, "-P": 0}


def find(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    for word in positionals:
        if word in ("(", ")", "!"):
            continue
        if not word.startswith("-"):
            problem = readable(word, context) if word.startswith("/") else None
            if problem:
                return problem
    return None



_PROPAGATION = {"--make-shared", "--make-rshared", "--make-slave", "--make-rslave", "--make-private",
                "--make-rprivate"}
_MOUNT_ONLY_LAB = ("changes the mounts of the host; only a lab's, whose mount namespace is its own and goes with "
                   "it, may be changed")


def _below_workdir(path: str, context: RunContext) -> bool:
    if path == UNKNOWN:
        return True  # checked again with the real value
    pure = PurePosixPath(path)
    inside = not pure.is_absolute() or PurePosixPath(context.workdir) in pure.parents
    return inside and ".." not in pure.parts and str(pure) != "."


def mount(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    """In a lab, and only on folders below the page's working folder: `mount --bind DIR DIR` (a folder made a
    mount point of its own), `mount --make-shared DIR` (and the other propagation types), `mount -t tmpfs tmpfs
    DIR`, nothing else."""
    if not context.isolated:
        return _MOUNT_ONLY_LAB
    flags = {flag for flag, _ in options}
    kinds = flags & (_PROPAGATION | {"--bind", "-t"})
    expected = 2 if kinds & {"--bind", "-t"} else 1
    folders = positionals[1:] if "-t" in flags else positionals
    if len(kinds) != 1 or len(positionals) != expected:
        return ("allowed: mount --bind DIR DIR, mount --make-shared DIR (or another --make-… type), mount -t tmpfs "
                "tmpfs DIR")
    if "-t" in flags and ([v for f, v in options if f == "-t"] != ["tmpfs"] or positionals[0] != "tmpfs"):
        return "only tmpfs may be mounted (mount -t tmpfs tmpfs DIR)"
    if "--bind" in flags and positionals[0] != positionals[1]:
        return "mount --bind binds a folder onto itself only (mount --bind DIR DIR)"
    if any(not re.fullmatch(r"(size|mode)=[0-9a-zA-Z]+", v or "") for f, v in options if f == "-o"):
        return "mount -o takes only size=… or mode=…"
    if not all(_below_workdir(p, context) for p in folders):
        return "mount only folders below the page's working directory (use a relative path)"
    return None


def umount(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    if not context.isolated:
        return _MOUNT_ONLY_LAB
    if len(positionals) != 1 or not _below_workdir(positionals[0], context):
        return "umount one folder below the page's working directory (use a relative path)"
    return None
