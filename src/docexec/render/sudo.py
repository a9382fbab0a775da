"""What a reader's copy of a command needs: `sudo` in front of the host commands that need root.

A page's commands run as root in its lab, so the transcript shows them as they were run (`$ ip link`). A reader
runs them as an ordinary user: the copy button of an exec="host" block copies each command that needs root with
`sudo ` in front (docs/maintainers/writing.md, 复制按钮与 sudo). The rule, per command line:

- `docker …` never: a reader who may use Docker at all does so without sudo (docker group, or root);
- the network tools `ip`, `bridge`, `iptables`, `ip6tables`, `iptables-save`, `nsenter`, `tcpdump` and `sysctl`
  always, also when they only read (a rule a reader can remember; sudo costs nothing there), `mount` and `umount`
  always, and `ss` when it names processes (`-p`: without root it shows only the reader's own);
- any other program when an argument is a path in /var/lib/docker or in /proc/PID/ of another process
  (/proc/self is the reader's own), written out (`/proc/$PID/ns`, `/proc/$(docker inspect …)/root`) or held by a
  variable set from a `docker inspect` of `.GraphDriver` or `.Mountpoint` (paths in /var/lib/docker).

`sudo` goes in front of the line's command, or, in `NAME=…`, inside each `$(…)` of the value whose command needs
it (`NAME="dev $(sudo ip …)"`). Pipes' later stages (grep, cut, wc, …) are filters that never need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from docexec.page.model import Block, Command
from docexec.page.shellwords import Literal, ShellCommand, Subst, Var, Word, join_continuations, parse

_SUBSTITUTED = "\0"  # stands for a $(…) in a word's shape
NETWORK_TOOLS = frozenset({"ip", "bridge", "iptables", "ip6tables", "iptables-save", "nsenter", "tcpdump", "sysctl"})
MOUNT_TOOLS = frozenset({"mount", "umount"})
ROOT_PATH = re.compile(rf"(^|=)(/var/lib/docker(/|$)|/proc/(\d|\$|{_SUBSTITUTED}))")  # /proc/PID/, not /proc/self
ROOT_PATH_SOURCES = re.compile(r"\.GraphDriver|\.Mountpoint|/var/lib/docker")


def root_variables(blocks: Iterable[Block]) -> frozenset[str]:
    """Variables the page sets (NAME=$(…), in blocks that run) to paths only root may read."""
    names = set()
    for block in blocks:
        for command in block.commands if block.run else ():
            shell = command.shell
            if shell is not None and shell.assign and ROOT_PATH_SOURCES.search(shell.text):
                names.add(shell.assign)
    return frozenset(names)


def needs_root(shell: ShellCommand, root_vars: frozenset[str] = frozenset()) -> bool:
    """Whether the line's command (its first stage, or the command inside NAME=$(…)) needs root."""
    if shell.assign:
        inner = [p.command for p in shell.stages[0][0].parts if isinstance(p, Subst)]
        return any(needs_root(c, root_vars) for c in inner)
    words = shell.stages[0]
    program = words[0].plain if words[0].is_plain else ""
    if program == "docker":
        return False
    if program in NETWORK_TOOLS or program in MOUNT_TOOLS:
        return True
    if program == "ss" and any(_has_short_flag(w, "p") or (w.is_plain and w.plain == "--processes")
                               for w in words[1:]):
        return True
    return any(_root_path(w, root_vars) for w in words[1:])


def copy_line(command: Command, root_vars: frozenset[str] = frozenset()) -> str:
    """The command as the copy button copies it: as displayed, with `sudo ` where it needs root."""
    if command.shell is None or not needs_root(command.shell, root_vars):
        return command.display
    if command.shell.assign:
        copied = command.display
        for n, subst in enumerate(command.shell.stages[0][0].substitutions()):
            if needs_root(subst.command, root_vars):
                copied = _sudo_inside(copied, n)
        return copied
    return "sudo " + command.display


def _sudo_inside(display: str, n: int) -> str:
    """The assignment `display` with `sudo ` in front of the command of its value's n-th `$(…)`: after the `$(`
    (the first, in the line's order) where it parses as that, and only that, command with sudo in front (a `$(` in
    single quotes, escaped, or nested in another `$(…)` is not the one)."""
    def inner(line: str) -> list[tuple[tuple[Word, ...], ...]]:
        return [s.command.stages for s in parse(join_continuations(line)).stages[0][0].substitutions()]

    wanted = inner(display)
    first, *rest = wanted[n]
    wanted[n] = ((Word((Literal("sudo", False),)), *first), *rest)
    for m in re.finditer(r"\$\(", display):
        copied = display[:m.end()] + "sudo " + display[m.end():]
        if inner(copied) == wanted:
            return copied
    return display  # not reached: the n-th substitution's own `$(` is one


def _has_short_flag(word: Word, flag: str) -> bool:
    return word.is_plain and word.plain.startswith("-") and not word.plain.startswith("--") and flag in word.plain


def _root_path(word: Word, root_vars: frozenset[str]) -> bool:
    shape = ""
    for part in word.parts:
        if isinstance(part, Literal):
            shape += part.text
        elif isinstance(part, Var):
            if part.name in root_vars and not shape:
                return True
            shape += "$" + part.name
        else:
            shape += _SUBSTITUTED
    return bool(ROOT_PATH.search(shape))
