"""The small part of POSIX shell syntax that lesson commands may use, parsed without ever running a shell.

Supported: words with single quotes, double quotes and backslashes (split as `shlex.split` would), pipes
(`a | b`), `$(command)` substitution, variables (`$NAME`, `${NAME}`), and one assignment per line
(`NAME=$(docker run -d ...)`), which a reader can paste into any POSIX shell; a comment after the command (`# ...`,
kept in the text shown and recorded, never run); `$(pwd)` read as $PWD (shellrefusals); lines continued with a
final backslash are joined by the shell's rule (`join_continuations`). Everything else a shell would treat
specially (`;`, `&&`, redirections, backticks, globs, tilde expansion, `$'...'`, here-documents, ...) is refused
with a message; how the words are expanded is `expansion`'s job. tests/test_shell_differential.py compares all
this with /bin/sh.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from docexec.page.shellast import Literal, Part, ShellCommand, ShellSyntaxError, Subst, UnsetVariable, Var, Word
from docexec.page.shellrefusals import COMMENT_CONTINUED, PWD_BACKTICKS, PWD_SUBST, REFUSED, TILDE, refusal

__all__ = ["Literal", "Part", "ShellCommand", "ShellSyntaxError", "Subst", "UnsetVariable", "Var", "Word",
           "join_continuations", "parse"]

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SPECIAL_PARAMETERS = set("$?#!-*@0123456789")  # $$, $?, $1, ...: expanded even inside double quotes
ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")


# --------------------------------------------------------------------------------------------------
# Parsing


def join_continuations(display: str) -> str:
    """A command written over several lines (each but the last ending in `\\`) as the one line a shell reads.

    The shell's rule: a backslash-newline is removed, except inside single quotes (where it stays, literally) and
    when the backslash is itself escaped (`\\\\` then a newline: the newline stays, and the parser refuses it).
    Outside quotes the next line's indentation only separates words, so it is written canonically: dropped after a
    blank (`docker run -d \\` + newline + `    --name x` is `docker run -d --name x`), one space otherwise. Inside
    double quotes it is part of the word and kept. So the text is word for word what runs."""
    out: list[str] = []
    stack: list[str] = []  # open quotes and $( ... ) around position i
    i, n = 0, len(display)
    while i < n:
        c = display[i]
        top = stack[-1] if stack else ""
        if top == "'":
            if c == "'":
                stack.pop()
            out.append(c)
            i += 1
            continue
        if c == "#" and not stack and (not out or out[-1] in (" ", "\t", "|")):
            out.append(display[i:])  # a comment: to the end of the line, a final '\\' included (parse refuses it)
            break
        if c == "\\" and display.startswith("\n", i + 1):
            i += 2
            if top != '"':
                end = i
                while end < n and display[end] in " \t":
                    end += 1
                if end > i and out and out[-1] not in " \t":
                    out.append(" ")
                i = end
            continue
        if c == "\\":
            out.append(display[i:i + 2])
            i += 2
            continue
        if c == '"':
            if top == '"':
                stack.pop()
            else:
                stack.append('"')
        elif c == "'" and top != '"':
            stack.append("'")
        elif c == "(" and (top != '"' or display[i - 1:i] == "$"):
            stack.append("(")
        elif c == ")" and top == "(":
            stack.pop()
        out.append(c)
        i += 1
    return "".join(out)


def parse(text: str) -> ShellCommand:
    """Parse one command line (continuation lines already joined)."""
    command, end = _Parser(text).command(0, nested=False)
    assert end == len(text)
    return command


class _Parser:
    """Command lines: a pipeline of simple commands, or one `NAME=value` assignment; `$(...)` nests one."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.words = _Words(text, self.command)

    def command(self, i: int, *, nested: bool) -> tuple[ShellCommand, int]:
        start, comment = i, None
        stages: list[tuple[Word, ...]] = []
        words: list[Word] = []
        s = self.s
        while True:
            while i < len(s) and s[i] in " \t":
                i += 1
            if i < len(s) and s[i] == "\n":
                raise ShellSyntaxError("a line break outside quotes ends the command in a shell (after an escaped "
                                       "backslash '\\\\', a line's last '\\' does not continue it)", i)
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
            if c == "#":  # at a word's start: a comment, to the end of the line (shown, never run)
                if nested:
                    raise ShellSyntaxError("a comment inside $(...) is not supported: put it after the command", i)
                if "\n" in s[i:]:
                    raise ShellSyntaxError(COMMENT_CONTINUED, i)
                comment, i = i, len(s)
                break
            if c in REFUSED and not PWD_BACKTICKS.match(s, i):
                raise ShellSyntaxError(refusal(s, i), i)
            word, i = self.words.word(i, nested=nested)
            words.append(word)
        if words:
            stages.append(tuple(words))
        elif stages:
            raise ShellSyntaxError("a pipe '|' needs a command on its right", i)
        text = s[start:i if comment is None else comment].strip()  # without its comment
        if not stages:
            raise ShellSyntaxError("empty command", start)
        stages, assign = _assignment(stages)
        return ShellCommand(text=text, stages=tuple(stages), assign=assign), i


def _assignment(stages: list[tuple[Word, ...]]) -> tuple[list[tuple[Word, ...]], str | None]:
    """`NAME=value` alone on its line: the value as the only word, and NAME."""
    first = stages[0][0].parts[0]
    if not (isinstance(first, Literal) and not first.quoted and (m := ASSIGNMENT.match(first.text))):
        return stages, None
    if len(stages) > 1 or len(stages[0]) > 1:
        raise ShellSyntaxError(f"'{m.group(1)}=' before a command sets an environment variable: not supported; "
                               f"write '{m.group(1)}=$(command)' on a line of its own", 0)
    rest = first.text[m.end():]
    value_parts = ((Literal(rest, False),) if rest else ()) + stages[0][0].parts[1:]
    return [(Word(value_parts or (Literal("", True),)),)], m.group(1)


class _Words:
    """Words: quotes, backslashes and `$` (variables; `$(...)` is parsed by `command`, the caller's grammar)."""

    def __init__(self, text: str, command: Callable[..., tuple[ShellCommand, int]]) -> None:
        self.s = text
        self.command = command

    def word(self, i: int, *, nested: bool) -> tuple[Word, int]:
        s = self.s
        start = i
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
            if c == "~" and _expands_tilde(s[start:i]):
                raise ShellSyntaxError(TILDE, i)
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
            elif c == "`" and (m := PWD_BACKTICKS.match(s, i)):
                flush(False)
                parts.append(Var("PWD", False))
                i = m.end()
            elif c in REFUSED:
                raise ShellSyntaxError(refusal(s, i), i)
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
            elif c == "`" and (m := PWD_BACKTICKS.match(s, i)):
                if buf:
                    parts.append(Literal("".join(buf), True))
                    buf = []
                parts.append(Var("PWD", True))
                i = m.end()
            elif c == "`":
                raise ShellSyntaxError(REFUSED["`"], i)
            elif c == "$" and s[i + 1:i + 2] in SPECIAL_PARAMETERS:
                raise ShellSyntaxError(f"'${s[i + 1]}' is not supported: only $NAME, ${{NAME}} and $(...)", i)
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
        if m := PWD_SUBST.match(s, i):  # the working folder: the page's, as $PWD is
            return Var("PWD", quoted), m.end()
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
        if not quoted and s.startswith(("$'", '$"'), i):
            raise ShellSyntaxError(f"'{s[i:i + 2]}...' quoting (bash's escapes, locale translation) is not "
                                   "supported: use plain '...' or \"...\"", i)
        if i + 1 < len(s) and s[i + 1] not in " \t\n\"'":
            raise ShellSyntaxError(f"'${s[i + 1]}' is not supported: only $NAME, ${{NAME}} and $(...)", i)
        return Literal("$", quoted), i + 1


def _expands_tilde(before: str) -> bool:
    """Whether an unquoted `~` after `before` (the word's source text so far) is expanded: at the start of a word,
    or after `NAME=` or a later ':' (where shells expand it in assignments; bash also in arguments like them)."""
    m = ASSIGNMENT.match(before)
    return not before or (m is not None and (m.end() == len(before) or before.endswith(":")))
