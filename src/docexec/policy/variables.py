"""The variables a command may name: $PWD (the page's folder, where every command runs) and those the page assigns
with `NAME=$(...)`. Nothing else is set when a page runs, not even the environment's $HOME: a variable no line of
the page assigns would only fail at run time, so the lint names it, with what to write instead."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from docexec.page.shellast import ShellCommand, Var
from docexec.policy.refusal import Refused

# What a reader's shell has from its environment; a page's commands do not see it.
ENVIRONMENT = {"HOME", "USER", "LOGNAME", "SHELL", "HOSTNAME", "OLDPWD", "TMPDIR", "PATH", "UID", "TERM", "LANG"}


def check_variables(command: ShellCommand, assigned: Collection[str]) -> None:
    """Refused at the first variable of `command` that is neither $PWD nor assigned by a line of the page."""
    for name in _names(command):
        if name == "PWD" or name in assigned:
            continue
        if name in ENVIRONMENT:
            raise Refused(f"${name} is not set when a page runs: its commands see $PWD (the page's folder, where "
                          "they run) and the variables the page assigns, not the environment; write \"$PWD\" or a "
                          "path below it (\"$PWD\"/data), or a path inside a container")
        raise Refused(f"${name} is never assigned on this page: assign it first, on a line of its own, with "
                      f"{name}=$(command)")


def _names(command: ShellCommand) -> Iterator[str]:
    for word in command.words():
        for part in word.parts:
            if isinstance(part, Var):
                yield part.name
        for subst in word.substitutions():
            yield from _names(subst.command)
