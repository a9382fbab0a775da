"""The lines of an exec block that holds commands: each `$ ` command (with its `\\` continuation lines) and, in a
terminal session, the `> ` lines typed into its program; every bad line is reported, with its page line."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from docexec.core.errors import PageError
from docexec.page import kinds
from docexec.page.shellwords import ShellCommand, ShellSyntaxError, join_continuations, parse
from docexec.term.keys import Typed, parse_typed


@dataclass(frozen=True)
class Command:
    line: int  # 1-based line of the `$ ` prompt in the page
    display: str  # as written after the prompt, continuation lines included
    shell: ShellCommand | None  # None in blocks that never run
    typed: tuple[Typed, ...] = ()  # exec="session": the `> ` lines typed into the program, in order

    @functools.cached_property
    def text(self) -> str:
        """The command on one line (continuations joined), as it is reported (asked for often: hashes, reports)."""
        return join_continuations(self.display)



def read_commands(page: str, fence_line: int, content: str, *, parse_shell: bool,
              typed_lines: bool = False) -> tuple[tuple[Command, ...], list[PageError]]:
    """The block's good commands and the problem of each bad line (every one, not only the first)."""
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    commands: list[Command] = []
    errors: list[PageError] = []
    i = 0
    while i < len(lines):
        end = _end_of_command(lines, i)
        if lines[i].strip():
            try:
                _read_line(page, fence_line + 1 + i, lines[i:end], commands, parse_shell=parse_shell,
                           typed_lines=typed_lines)
            except PageError as exc:
                errors.append(exc)
        i = end
    if not commands and not errors:
        raise PageError(page, fence_line, "the exec block is empty: add '$ ' commands or remove the block")
    return tuple(commands), errors


def _end_of_command(lines: list[str], i: int) -> int:
    """The index after line i and the lines a `\\` at the end of a `$ ` line continues it with."""
    if lines[i].startswith("$ "):
        while lines[i].endswith("\\") and i + 1 < len(lines):
            i += 1
    return i + 1


def _read_line(page: str, number: int, text: list[str], commands: list[Command], *, parse_shell: bool,
               typed_lines: bool) -> None:
    """One `$ ` command (with its continuation lines) or, in a session (a kind with typed lines), one `> ` line
    typed into the last one."""
    first = text[0]
    if typed_lines and (first.startswith("> ") or first == ">"):
        if not commands:
            raise PageError(page, number, "a '> ' line types into the program of the '$ ' command above it: "
                                          "start the session with a '$ ' command")
        try:
            typed = parse_typed(number, first[2:])
        except ValueError as exc:
            raise PageError(page, number, str(exc)) from None
        last = commands[-1]
        commands[-1] = Command(last.line, last.display, last.shell, (*last.typed, typed))
        return
    if not first.startswith("$ "):
        sessions = " or ".join(f'exec="{k.name}"' for k in kinds.registered() if k.typed_lines)
        hint = (f"; lines typed into a program ('> ') go in a terminal session block, {sessions}"
                if first.startswith(">") and sessions else "")
        raise PageError(page, number, "an exec block holds only commands, each starting with '$ ' "
                                      f"(found «{first.strip()[:60]}»); outputs are recorded for you{hint}")
    if text[-1].endswith("\\"):
        raise PageError(page, number, "the last line ends with '\\' but no line follows")
    joined = "\n".join([first[2:], *text[1:]])
    shell = None
    if parse_shell:
        try:
            shell = parse(join_continuations(joined))
        except ShellSyntaxError as exc:
            raise PageError(page, number, f"{exc.message} (in «{joined.strip()[:80]}»)") from None
        if typed_lines and (len(shell.stages) > 1 or shell.assign):
            raise PageError(page, number, "a session's command runs in the terminal on its own: no pipes and "
                                          "no NAME=$(...) (put those in an ordinary exec block)")
    commands.append(Command(line=number, display=joined, shell=shell))
