"""Expansion: how a line's words become the arguments of the programs it starts, as a POSIX shell makes them.

`expand` and `expand_value` are the shell's rules for one word (`$NAME`, `"$NAME"`, `$(...)`, split on the default
IFS, or not split in an assignment). `Expansion` is a page's variables, set by its `NAME=$(...)` lines, and
`Substitutions` runs one line's `$(...)` before the line's deadline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping

from docexec.page.shellast import Literal, ShellCommand, UnsetVariable, Var, Word
from docexec.policy.check import Refused
from docexec.run.pipeline import PipeResult

Prepare = Callable[[int, list[str]], list[str]]  # a pipeline stage's number and argv -> the argv to start (checked)
Run = Callable[[list[list[str]], float], PipeResult]  # argvs, timeout -> what the pipeline printed (stdout apart)

GLOB = re.compile(r"[*?\[]")  # what pathname expansion would act on in an unquoted expansion
IFS = re.compile(r"[ \t\n]+")  # the default IFS: only these split an expansion (not Python's wider whitespace)


def expand(
    word: Word, variables: Mapping[str, str], substitute: Callable[[ShellCommand], str],
) -> list[str]:
    """The arguments a POSIX shell would make of `word`: unquoted expansions are split on white space (the default
    IFS); one that holds a glob character is refused (sh would expand it to file names)."""
    fields: list[str] = []
    current: list[str] = []
    has_field = False  # a quoted empty string still makes an argument
    for part in word.parts:
        if isinstance(part, Literal):
            current.append(part.text)
            has_field = True
            continue
        if isinstance(part, Var):
            if part.name not in variables:
                raise UnsetVariable(part.name)
            value = variables[part.name]
        else:
            value = substitute(part.command).rstrip("\n")
        if part.quoted:
            current.append(value)
            has_field = True
            continue
        if glob := GLOB.search(value):
            shown = f"${part.name}" if isinstance(part, Var) else f"$({part.command.text})"
            raise Refused(f"{shown} gives «{value[:60]}»: unquoted, sh would expand its '{glob.group()}' as a glob "
                          f"(file names): quote it, \"{shown}\"")
        pieces = [p for p in IFS.split(value) if p]
        if not pieces:
            if value and has_field:  # white space alone still separates the words around it
                fields.append("".join(current))
                current, has_field = [], False
            continue
        if value[:1] in " \t\n" and has_field:
            fields.append("".join(current))
            current = []
        for n, piece in enumerate(pieces):
            if n:
                fields.append("".join(current))
                current = []
            current.append(piece)
            has_field = True
        if value[-1:] in " \t\n":
            fields.append("".join(current))
            current = []
            has_field = False
    if has_field or current:
        fields.append("".join(current))
    return fields


def expand_value(
    word: Word, variables: Mapping[str, str], substitute: Callable[[ShellCommand], str],
) -> str:
    """The value a POSIX shell gives `NAME=word`: expansions are not split into words, so `X=$(cmd)` is the
    command's output with its trailing newlines removed, inner newlines and spaces kept."""
    pieces: list[str] = []
    for part in word.parts:
        if isinstance(part, Literal):
            pieces.append(part.text)
        elif isinstance(part, Var):
            if part.name not in variables:
                raise UnsetVariable(part.name)
            pieces.append(variables[part.name])
        else:
            pieces.append(substitute(part.command).rstrip("\n"))
    return "".join(pieces)


class Expansion:
    """A page's variables (`$PWD`, then what its `NAME=$(...)` lines set) and its lines' argument vectors."""

    def __init__(self, workdir: str) -> None:
        self.variables: dict[str, str] = {"PWD": workdir}

    def argvs(self, shell: ShellCommand, substitute: Callable[[ShellCommand], str],
              prepare: Prepare) -> list[list[str]]:
        """Expand, check and prepare every stage of a pipeline."""
        return [prepare(n, [arg for word in stage for arg in expand(word, self.variables, substitute)])
                for n, stage in enumerate(shell.stages)]

    def assign(self, shell: ShellCommand, substitute: Callable[[ShellCommand], str]) -> None:
        assert shell.assign is not None
        self.variables[shell.assign] = expand_value(shell.stages[0][0], self.variables, substitute)


class SubstitutionTimedOut(Exception):
    def __init__(self, result: PipeResult) -> None:
        self.result = result


class Substitutions:
    """The `$(...)` of one line, run in turn before the line's deadline. What they print on stderr is kept for the
    transcript, as a shell shows it on the terminal, with the last one's exit status. With `strict` (a terminal
    session's command, whose transcript is the terminal), one that fails or times out is refused instead."""

    def __init__(self, expansion: Expansion, prepare: Prepare, run: Run, deadline: float, *,
                 strict: bool = False) -> None:
        self.expansion, self.prepare, self.run, self.deadline, self.strict = expansion, prepare, run, deadline, strict
        self.notes: list[str] = []
        self.status = 0

    def argvs(self, shell: ShellCommand) -> list[list[str]]:
        """The line's argv per pipeline stage, its `$(...)` run by this object."""
        return self.expansion.argvs(shell, self, self.prepare)

    def __call__(self, inner: ShellCommand) -> str:
        argvs = self.argvs(inner)
        res = self.run(argvs, max(0.1, self.deadline - time.monotonic()))
        if self.strict and (res.timed_out or res.returncode):
            raise Refused(f"$({inner.text}) failed (exit code {res.returncode}): {res.output.strip()[:200]}")
        if res.timed_out:
            raise SubstitutionTimedOut(res)
        self.notes.append(res.output)
        self.status = res.returncode
        return res.stdout

    @property
    def printed(self) -> str:
        return "".join(self.notes)
