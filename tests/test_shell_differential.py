"""The shell subset against the real thing: generated command lines (quotes, escapes, blanks, continuation lines,
variables, `$(...)`) are split by the parser and by /bin/sh; wherever the parser accepts a line, sh must make the
same words of it. Lines the subset refuses are counted, and most must be accepted."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from docexec import Refused
from docexec.page import shellwords
from docexec.page.shellwords import ShellCommand, ShellSyntaxError, UnsetVariable, parse
from docexec.run.expansion import expand, expand_value

SH = shutil.which("sh")
pytestmark = pytest.mark.skipif(SH is None, reason="no /bin/sh on this machine")

PLAIN = "abcxyzABC0129-_=:/.,@%+^!~中文\u00a0\u3000é"  # no unquoted blank, quote, glob or operator
ANY = PLAIN + " \t|;&<>()*?[]{}#$'\"\\`"  # what may appear escaped or inside quotes
VALUE = PLAIN + " \t\n"  # what a variable may hold
BLANKS = [" ", "  ", "\t", " \\\n    ", " \\\n\t", "\\\n  "]


class Generator:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def text(self, alphabet: str, most: int = 5) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(self.r.randint(0, most)))

    def double_quoted(self) -> str:
        pieces = []
        for _ in range(self.r.randint(0, 4)):
            kind = self.r.randrange(7)
            if kind == 0:
                pieces.append("\\" + self.r.choice('$`"\\abc \'n'))
            elif kind == 1:
                pieces.append(self.r.choice(["$V", "${V}", "$W", "$"]))
            elif kind == 2:
                pieces.append("\\\n" + self.r.choice(["", "  "]))
            elif kind == 3:
                pieces.append(self.substitution())
            else:
                pieces.append(self.text(ANY.replace('"', "").replace("`", "").replace("\\", "").replace("$", "")))
        return '"' + "".join(pieces) + '"'

    def substitution(self) -> str:
        return "$(printf " + self.r.choice(["'%s\\n'", "'%s %s\\n\\n'", "'[%s]'"]) + " " + self.word(nested=True) + ")"

    def fragment(self, nested: bool) -> str:
        kind = self.r.randrange(16)
        if kind <= 3:
            return self.text(PLAIN) or "x"
        if kind == 4:
            return "'" + self.text(ANY.replace("'", "") + "\n") .replace("\n", "\\\n") + "'"
        if kind == 5:
            return self.double_quoted()
        if kind == 6:
            return "\\" + self.r.choice(ANY + "\n")
        if kind == 7:
            return self.r.choice(["$V", "${V}", "$W", '"$V"', '"$W"', "$V$W"])
        if kind == 8 and not nested:
            return self.substitution()
        if kind == 9 and self.r.random() < 0.5:
            return self.r.choice(["\\\n", "\\\\\n", "#", "~", "$'a'", '$"a"', "$"])  # several are refused
        return self.text(PLAIN, 2)

    def word(self, nested: bool = False) -> str:
        return "".join(self.fragment(nested) for _ in range(self.r.randint(1, 3)))

    def line(self) -> str:
        out = []
        for _ in range(self.r.randint(1, 5)):
            out.append(self.r.choice(BLANKS))
            out.append(self.word())
        return "".join(out)

    def value(self) -> str:
        if self.r.random() < 0.05:
            return self.r.choice(["*", "a?", "[ab]"])  # a glob: the subset refuses it unquoted, as sh would expand it
        return self.r.choice(["", " ", "a b", "\n x \t y\n"]) if self.r.random() < 0.3 else self.text(VALUE, 8)


def run_argv(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def parser_words(line: str, variables: dict[str, str]) -> list[str] | None:
    """The words the subset makes of `printf '%s\\0' START<line>` (after START), or None when it refuses it."""
    try:
        command = parse(shellwords.join_continuations("printf '%s\\0' START" + line))
    except ShellSyntaxError:
        return None

    def substitute(inner: ShellCommand) -> str:
        return run_argv([a for w in inner.stages[0] for a in expand(w, variables, substitute)])

    assert len(command.stages) == 1 and command.assign is None
    try:
        return [a for w in command.stages[0] for a in expand(w, variables, substitute)][3:]
    except (UnsetVariable, Refused):  # `$Wabc` (sh expands an unset variable to nothing), `$V` holding a `*`
        return None


def sh_words(script: str, variables: dict[str, str], cwd: Path) -> list[str]:
    assert SH is not None
    done = subprocess.run([SH, "-c", script], capture_output=True, cwd=cwd, check=True,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", **variables})
    return done.stdout.decode().split("\0")[1:-1]  # after START; the last \0 ends the last word


def test_generated_command_lines_split_as_sh_splits_them(tmp_path: Path) -> None:
    gen = Generator(1515)
    accepted = refused = 0
    for _ in range(500):
        line = gen.line()
        variables = {"V": gen.value(), "W": gen.value()}
        words = parser_words(line, variables)
        if words is None:
            refused += 1
            continue
        accepted += 1
        assert sh_words("printf '%s\\0' START" + line, variables, tmp_path) == words, repr(line)
    assert accepted >= 0.6 * (accepted + refused), f"only {accepted} of {accepted + refused} lines were accepted"


@pytest.mark.parametrize("value", ["'a b\\nc\\n'", "'  a  b  \\n\\n\\n'", "'\\n'", "''", "'x\\ty\\n z'",
                                   "'中\u3000文\\n'"])
@pytest.mark.parametrize("shape", ["X=$(printf {v})", 'X="$(printf {v})"', "X=pre-$(printf {v})-post",
                                   "X=$(printf {v})$(printf {v})", "X=$(printf {v} | cat)"])
def test_an_assignment_then_its_expansions_are_what_sh_makes(tmp_path: Path, shape: str, value: str) -> None:
    line = shape.format(v=value)
    command = parse(line)
    assert command.assign == "X"

    def substitute(inner: ShellCommand) -> str:
        output = ""
        for stage in inner.stages:  # `| cat` passes it through
            argv = [a for w in stage for a in expand(w, {}, substitute)]
            output = subprocess.run(argv, input=output, capture_output=True, text=True, check=True).stdout
        return output

    x = expand_value(command.stages[0][0], {}, substitute)
    split = [a for w in parse("printf $X").stages[0][1:] for a in expand(w, {"X": x}, substitute)]
    expected = sh_words(f"{line}\nprintf '%s\\0' START $X\nprintf '%s\\0' START \"$X\"", {}, tmp_path)
    assert expected == [*split, "START", x]


@pytest.mark.parametrize("line", [" $(pwd) \"$(pwd)\"/x `pwd`:y \"a `pwd`\"  # $(pwd) a comment",
                                  " a#b '#' \\# # c \"d"])
def test_pwd_and_comments_are_what_sh_makes(tmp_path: Path, line: str) -> None:
    """`$(pwd)` is $PWD when sh runs in the page's folder (as every command of a page does); a comment is dropped."""
    words = parser_words(line, {"PWD": str(tmp_path)})
    assert words is not None
    assert sh_words("printf '%s\\0' START" + line, {}, tmp_path) == words
