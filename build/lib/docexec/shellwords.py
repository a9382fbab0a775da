"""The small part of POSIX shell syntax that lesson commands may use, parsed without ever running a shell.

Supported: words with single quotes, double quotes and backslashes (split as `shlex.split` would), pipes
(`a | b`), `$(command)` substitution, variables (`$NAME`, `${NAME}`), and one assignment per line
(`NAME=$(docker run -d ...)`), which a reader can paste into any POSIX shell. Everything else a shell would
treat specially (`;`, `&&`, redirections, backticks, globs, here-documents, ...) is refused with a message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
REFUSED = {
    ";": "';' runs two commands: put each command on its own '$ ' line",
    "&": "'&' and '&&' are not supported: put each command on its own '$ ' line (use -d to run in the background)",
    "<": "redirections ('<', '<<') are not supported: page text is never handed to a shell",
    ">": "redirections ('>', '2>&1') are not supported: a command's output is recorded for you "
         "(stdout and stderr together); write files inside a container with `docker exec NAME sh -c '...'`",
    "`": "backticks are not supported: use $(...)",
    "(": "subshells are not supported",
    ")": "unbalanced ')'",
    "*": "unquoted '*' would be expanded by the shell (glob): quote it",
    "?": "unquoted '?' would be expanded by the shell (glob): quote it",
    "[": "unquoted '[' would be expanded by the shell (glob): quote it",
    "{": "unquoted '{' may be expanded by the shell (brace expansion): quote it",
    "}": "unquoted '}' may be expanded by the shell (brace expansion): quote it",
}


class ShellSyntaxError(ValueError):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Literal:
    text: str
    quoted: bool


@dataclass(frozen=True)
class Var:
    name: str
    quoted: bool


@dataclass(frozen=True)
class Subst:
    command: ShellCommand
    quoted: bool


Part = Literal | Var | Subst


@dataclass(frozen=True)
class Word:
    parts: tuple[Part, ...]

    @property
    def is_plain(self) -> bool:
        return all(isinstance(p, Literal) for p in self.parts)

    @property
    def plain(self) -> str:
        """The word's text when it has no expansions (check `is_plain` first)."""
        return "".join(p.text for p in self.parts if isinstance(p, Literal))

    def substitutions(self) -> list[Subst]:
        return [p for p in self.parts if isinstance(p, Subst)]


@dataclass(frozen=True)
class ShellCommand:
    """One line of a lesson: an optional `NAME=` assignment, or a pipeline of simple commands."""

    text: str
    stages: tuple[tuple[Word, ...], ...]
    assign: str | None = None  # NAME when the line is `NAME=value`; the value is stages[0][0]

    def words(self) -> list[Word]:
        return [w for stage in self.stages for w in stage]


# --------------------------------------------------------------------------------------------------
# Parsing


def parse(text: str) -> ShellCommand:
    """Parse one command line (continuation lines already joined)."""
    command, end = _Parser(text).command(0, nested=False)
    assert end == len(text)
    return command


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text

    def command(self, i: int, *, nested: bool) -> tuple[ShellCommand, int]:
        start = i
        stages: list[tuple[Word, ...]] = []
        words: list[Word] = []
        s = self.s
        while True:
            while i < len(s) and s[i] in " \t\n":
                i += 1
            if i >= len(s):
                if nested:
                    raise ShellSyntaxError("'$(' is never closed", start - 2)
                break
            c = s[i]
            if nested and c == ")":
                break
            if c == "|":
                if s.startswith("||", i):
                    raise ShellSyntaxError("'||' is not supported: put each command on its own '$ ' line", i)
                if not words:
                    raise ShellSyntaxError("a pipe '|' needs a command on its left", i)
                stages.append(tuple(words))
                words = []
                i += 1
                continue
            if c == "#":
                raise ShellSyntaxError("comments are not allowed in a command: write prose outside the block", i)
            if c in REFUSED:
                raise ShellSyntaxError(REFUSED[c], i)
            if c == "~" and (i + 1 == len(s) or s[i + 1] in "/ \t"):
                raise ShellSyntaxError("'~' would expand to the reader's home: write the path out, or use $PWD", i)
            word, i = self.word(i, nested=nested)
            words.append(word)
        if words:
            stages.append(tuple(words))
        elif stages:
            raise ShellSyntaxError("a pipe '|' needs a command on its right", i)
        text = s[start:i].strip()
        if not stages:
            raise ShellSyntaxError("empty command", start)
        assign = None
        first = stages[0][0].parts[0]
        if isinstance(first, Literal) and not first.quoted and (m := ASSIGNMENT.match(first.text)):
            if len(stages) > 1 or len(stages[0]) > 1:
                raise ShellSyntaxError(
                    f"'{m.group(1)}=' before a command sets an environment variable: not supported; "
                    f"write '{m.group(1)}=$(command)' on a line of its own", 0)
            assign = m.group(1)
            rest = first.text[m.end():]
            value_parts = ((Literal(rest, False),) if rest else ()) + stages[0][0].parts[1:]
            stages = [(Word(value_parts or (Literal("", True),)),)]
        return ShellCommand(text=text, stages=tuple(stages), assign=assign), i

    def word(self, i: int, *, nested: bool) -> tuple[Word, int]:
        s = self.s
        parts: list[Part] = []
        buf: list[str] = []

        def flush(quoted: bool) -> None:
            if buf:
                parts.append(Literal("".join(buf), quoted))
                buf.clear()

        while i < len(s):
            c = s[i]
            if c in " \t\n|" or (nested and c == ")"):
                break
            if c == "'":
                end = s.find("'", i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote", i)
                flush(False)
                parts.append(Literal(s[i + 1:end], True))
                i = end + 1
            elif c == '"':
                flush(False)
                i = self.double_quoted(i + 1, parts)
            elif c == "\\":
                if i + 1 >= len(s):
                    raise ShellSyntaxError("a backslash at the end of the command", i)
                flush(False)
                parts.append(Literal(s[i + 1], True))
                i += 2
            elif c == "$":
                flush(False)
                part, i = self.dollar(i, quoted=False)
                parts.append(part)
            elif c in REFUSED or (c == "#" and not buf and not parts):
                raise ShellSyntaxError(REFUSED.get(c, "comments are not allowed in a command"), i)
            else:
                buf.append(c)
                i += 1
        flush(False)
        return Word(tuple(parts)), i

    def double_quoted(self, i: int, parts: list[Part]) -> int:
        s = self.s
        buf: list[str] = []
        start, before = i - 1, len(parts)
        while True:
            if i >= len(s):
                raise ShellSyntaxError("unterminated double quote", start)
            c = s[i]
            if c == '"':
                break
            if c == "\\" and i + 1 < len(s) and s[i + 1] in '$`"\\':
                buf.append(s[i + 1])
                i += 2
            elif c == "`":
                raise ShellSyntaxError(REFUSED["`"], i)
            elif c == "$" and i + 1 < len(s) and (s[i + 1] in "({" or NAME.match(s, i + 1)):
                if buf:
                    parts.append(Literal("".join(buf), True))
                    buf = []
                part, i = self.dollar(i, quoted=True)
                parts.append(part)
            else:
                buf.append(c)
                i += 1
        if buf or len(parts) == before:  # an empty "" still makes a word
            parts.append(Literal("".join(buf), True))
        return i + 1

    def dollar(self, i: int, *, quoted: bool) -> tuple[Part, int]:
        s = self.s
        if s.startswith("$((", i):
            raise ShellSyntaxError("arithmetic $((...)) is not supported", i)
        if s.startswith("$(", i):
            inner, end = self.command(i + 2, nested=True)
            if inner.assign:
                raise ShellSyntaxError("an assignment inside $(...) is not supported", i)
            return Subst(inner, quoted), end + 1
        if s.startswith("${", i):
            end = s.find("}", i)
            name = s[i + 2:end] if end > 0 else ""
            if not NAME.fullmatch(name):
                raise ShellSyntaxError("only ${NAME} is supported inside braces", i)
            return Var(name, quoted), end + 1
        m = NAME.match(s, i + 1)
        if m:
            return Var(m.group(0), quoted), m.end()
        if i + 1 < len(s) and s[i + 1] not in " \t\n\"'":
            raise ShellSyntaxError(f"'${s[i + 1]}' is not supported: only $NAME, ${{NAME}} and $(...)", i)
        return Literal("$", quoted), i + 1


# --------------------------------------------------------------------------------------------------
# Expansion


def expand(
    word: Word, variables: Mapping[str, str], substitute: Callable[[ShellCommand], str],
) -> list[str]:
    """The arguments a POSIX shell would make of `word`: unquoted expansions are split on white space."""
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
                raise KeyError(part.name)
            value = variables[part.name]
        else:
            value = substitute(part.command).rstrip("\n")
        if part.quoted:
            current.append(value)
            has_field = True
            continue
        pieces = value.split()
        if not pieces:
            continue
        if value[:1].isspace() and has_field:
            fields.append("".join(current))
            current = []
        for n, piece in enumerate(pieces):
            if n:
                fields.append("".join(current))
                current = []
            current.append(piece)
            has_field = True
        if value[-1:].isspace():
            fields.append("".join(current))
            current = []
            has_field = False
    if has_field or current:
        fields.append("".join(current))
    return fields
