"""The host programs a page may run (exec="host" blocks, `nsenter`'s inner command) and the filters it may pipe
into, each with the options it may use: fail closed, like the docker options. An option a program's table does
not list is refused with the nearest one it does list.

Where a page runs decides the rest. In a lab every path is the lab's own and every change dies with it, so a
page may also change the lab's network (`ip route add`, `iptables -I DOCKER-USER`, `sysctl -w net.…`) and, below
its working folder, the lab's mounts (`mount --bind`, `mount --make-shared`, `mount -t tmpfs`, `umount`). On the
shared daemon (the fallback) the host is the maintainer's machine: there a page may only read, and only files
below its working folder, Docker's data, and the namespaces and network devices of /proc and /sys.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from docexec.core.config import RunContext
from docexec.policy import host_rules as rules
from docexec.policy.host_grammar import Program, opts, parse
from docexec.policy.refusal import UNKNOWN, Refused

__all__ = ["FILTERS", "HOST", "NSENTER_INNER", "UNKNOWN", "Program", "check_filter", "check_host", "parse"]


def check_host(argv: Sequence[str], context: RunContext) -> None:
    """Refused unless a page may run `argv` on the host; the refusal names the command line (what an allowance
    names)."""
    name, args, line = argv[0], list(argv[1:]), " ".join(argv)
    program = HOST.get(name)
    if program is None:
        raise Refused(f"'{name}' is not an allowed host command; allowed: {', '.join(sorted(HOST))}", match=line)
    options, positionals = parse(name, program, args, match=line)
    if program.check:
        problem = program.check(positionals, options, context)
        if problem:
            raise Refused(f"{name}: {problem}", match=line)


def check_filter(argv: Sequence[str]) -> None:
    """A program after `|`: it reads the pipe and writes the terminal, nothing else."""
    name = argv[0]
    program = FILTERS.get(name)
    if program is None:
        raise Refused(f"'{name}' cannot read a pipe here; allowed after '|': {', '.join(sorted(FILTERS))}")
    options, positionals = parse(name, program, argv[1:])
    if program.check:
        problem = program.check(positionals, options, RunContext(Path(), isolated=True))
        if problem:
            raise Refused(f"{name} after '|': {problem}")


def _nsenter(positionals: list[str], options: list[tuple[str, str | None]], context: RunContext) -> str | None:
    if not positionals:
        return "nsenter needs a command to run"
    inner = positionals[0]
    if inner not in NSENTER_INNER:
        return f"'{inner}' is not allowed inside nsenter ({', '.join(sorted(NSENTER_INNER))})"
    for flag, value in options:
        if flag in ("--mount", "-m", "--root", "-r", "--wd", "-w") and not context.isolated:
            return f"option '{flag}' is not allowed on the shared daemon's host"
        if flag in ("--net", "--uts", "--mount", "--pid", "--ipc") and value and value != UNKNOWN:
            problem = rules.readable(value, context)
            if problem:
                return problem
    try:
        check_host(positionals, context)
    except Refused as exc:
        return exc.message
    return None

_READERS = opts("-n -A -v -E -T")
HOST: dict[str, Program] = {
    "ip": Program(opts("-4 -6 -o -oneline -d -details -s -stats -br -brief -c= -color= -j -json -p -pretty"),
                  words=True, check=rules.ip),
    "bridge": Program(opts("-d -details -s -stats -j -json -p -pretty -c= -color="), words=True, check=rules.bridge),
    "iptables": Program(opts("-S --list-rules -L --list -t= --table= -n --numeric -v --verbose -x --exact "
                              "--line-numbers -w --wait -I= --insert= -A= --append= -D= --delete= -j= --jump= "
                              "-p= --protocol= -s= --source= -d= --destination= -i= --in-interface= -o= "
                              "--out-interface= -m= --match= --dport= --sport= --ctstate= --state= --ctorigdstport= "
                              "--ctdir= --to-destination= --to-source= --comment= -Z --zero -V --version"),
                     check=rules.iptables),
    "iptables-save": Program(opts("-t= --table= -c --counters")),
    "nsenter": Program(opts("-t= --target= -n --net -u --uts -i --ipc -p --pid -m --mount"),
                       words=True, check=_nsenter, stop_at_positional=True),
    "cat": Program(_READERS, check=rules.paths),
    "ls": Program(opts("-l -d -a -A -1 -h -i -n -R -F --full-time"), check=rules.paths),
    "stat": Program(opts("-c= --format= -L -f -t"), check=rules.paths),
    "readlink": Program(opts("-f -e -m -n"), check=rules.paths),
    "realpath": Program(opts("-e -m -s"), check=rules.paths),
    "head": Program(opts("-n= -c= -q"), check=rules.paths),
    "tail": Program(opts("-n= -c= -q"), check=rules.paths),
    "grep": Program(opts("-v -E -F -i -c -o -w -x -n -q -l -h -e= -m= -A= -B= -C="), check=rules.paths),
    "wc": Program(opts("-l -c -w -m"), check=rules.paths),
    "du": Program(opts("-s -h -k -a -x -b --apparent-size -d="), check=rules.paths),
    "find": Program(rules.FIND_PRIMARIES, words=True, check=rules.find),
    "hostname": Program(check=rules.no_arguments),
    "uname": Program(opts("-a -r -s -n -m -v -o")),
    "id": Program(opts("-u -g -G -n")),
    "echo": Program(opts("-n")),
    "ss": Program(opts("-l -t -u -n -p -a -4 -6 -x -H -e -o -i -m")),
    "sysctl": Program(opts("-n -e -N -w -q"), check=rules.sysctl),
    "mkdir": Program(opts("-p -v"), check=rules.mkdir),
    # A lab's own mounts, below the page's folder (bind propagation): never on the shared daemon.
    "mount": Program(opts("-t= -o= --bind --make-shared --make-rshared --make-slave --make-rslave --make-private "
                          "--make-rprivate"), check=rules.mount),
    "umount": Program(check=rules.umount),
    # Debian's tcpdump, on a lab host's own interfaces; it never writes or reads capture files (-w, -r).
    "tcpdump": Program(opts("-i= -n -nn -c= -e -l -q -t -tt -v -vv -p -Q= --direction= -s= -A -X"),
                       check=rules.tcpdump),
    "curl": Program(opts("-s --silent -S --show-error -i --include -I --head -f --fail -m= --max-time= "
                          "--connect-timeout= -4 -6 -H= --header="), check=rules.curl),
}
HOST["ip6tables"] = HOST["iptables"]
NSENTER_INNER = {"ip", "cat", "ls", "hostname", "readlink", "ss", "bridge", "iptables", "iptables-save", "uname"}
FILTERS: dict[str, Program] = {
    "grep": Program(opts("-v -E -F -i -c -o -w -x -n -q -e= -m= -A= -B= -C=")),
    "head": Program(opts("-n= -c=")),
    "tail": Program(opts("-n= -c=")),
    "sort": Program(opts("-n -r -u -k= -t= -V -h -b -f -s")),
    "uniq": Program(opts("-c -d -u -i")),
    "wc": Program(opts("-l -c -w -m")),
    "cut": Program(opts("-d= -f= -c= -b= -s")),
    "tr": Program(opts("-d -s -c")),
    "column": Program(opts("-t -s=")),
    # jq reads the pipe only: no file arguments (one filter, checked by rules.jq), no -f/--rawfile/--slurpfile/-L.
    "jq": Program(opts("-r --raw-output -j --join-output -c --compact-output -e --exit-status -s --slurp -S "
                       "--sort-keys -M --monochrome-output -a --ascii-output --tab --indent= -n --null-input "
                       "--seq"), check=rules.jq),
}
