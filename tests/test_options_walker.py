"""The one option walker (policy.options_walker) that reads docker's options (pflag's rules) and the host
programs' (getopt's), each described by a Grammar."""

from __future__ import annotations

import pytest

from docexec import Refused
from docexec.policy.options_walker import Grammar, Option, walk

NAMES = {"-d": ("--detach", False), "--detach": ("--detach", False), "-i": ("--interactive", False),
         "--interactive": ("--interactive", False), "-p": ("--publish", True), "--publish": ("--publish", True),
         "--net": ("--net", False)}
PFLAG = Grammar(NAMES, equals_in_bundle=True)
GETOPT = Grammar(NAMES, optional_values=True, numbers_are_words=True)


def refuse(spelled: str) -> Refused:
    return Refused(f"no option {spelled}", match="m")


def run(line: str, grammar: Grammar = PFLAG, start: int = 0) -> tuple[list[Option], list[str], int]:
    return walk(line.split(" ") if line else [], grammar, refuse, start)


@pytest.mark.parametrize(("line", "options", "positionals"), [
    ("", [], []),
    ("-d x", [("--detach", None, "-d")], ["x"]),
    ("-di x", [("--detach", None, "-d"), ("--interactive", None, "-i")], ["x"]),
    ("-dp 80 x", [("--detach", None, "-d"), ("--publish", "80", "-p")], ["x"]),
    ("-dp80 x", [("--detach", None, "-d"), ("--publish", "80", "-p")], ["x"]),
    ("-p=80", [("--publish", "80", "-p")], []),  # pflag
    ("--publish 80 --publish=81", [("--publish", "80", "--publish"), ("--publish", "81", "--publish")], []),
    ("--publish", [("--publish", "", "--publish")], []),  # a missing value is empty
    ("--detach=true", [("--detach", None, "--detach")], []),  # pflag: no value kept on a boolean
    ("x -d y", [("--detach", None, "-d")], ["x", "y"]),
    ("-d -- -i x", [("--detach", None, "-d")], ["-i", "x"]),
    ("- x", [], ["-", "x"]),
])
def test_pflag(line: str, options: list[Option], positionals: list[str]) -> None:
    assert run(line)[:2] == (options, positionals)


@pytest.mark.parametrize(("line", "options", "positionals"), [
    ("-p=80", [("--publish", "=80", "-p")], []),  # getopt keeps the '='
    ("--net=/proc/1/ns/net x", [("--net", "/proc/1/ns/net", "--net")], ["x"]),  # an optional value
    ("--net x", [("--net", None, "--net")], ["x"]),
    ("-5 -d", [("--detach", None, "-d")], ["-5"]),  # head -5
])
def test_getopt(line: str, options: list[Option], positionals: list[str]) -> None:
    assert run(line, GETOPT)[:2] == (options, positionals)


def test_whole_words_and_numbers() -> None:
    words = Grammar({"-name": ("-name", True), "-o": ("-o", False)}, words=True)
    assert run(". -name x -o", words)[:2] == ([("-name", "x", "-name"), ("-o", None, "-o")], ["."])
    with pytest.raises(Refused, match=r"no option -nam$"):
        run("-nam x", words)
    with pytest.raises(Refused, match="no option -5"):
        run("-5", PFLAG)  # a number is an option's spelling to pflag


def test_where_the_options_end() -> None:
    stop = Grammar(NAMES, stop_at_positional=True)
    assert run("run -d busybox -i sh", stop, start=1) == ([("--detach", None, "-d")], ["busybox", "-i", "sh"], 2)
    assert run("run -d -- -i", stop, start=1) == ([("--detach", None, "-d")], ["-i"], 3)
    assert run("run -d", stop, start=1)[2] == 2
    assert run("x -d y -i")[2] == 4  # without stopping: after the last word


@pytest.mark.parametrize(("line", "spelled"), [("--bogus", "--bogus"), ("--bogus=1", "--bogus"), ("-dx", "-x"),
                                               ("-x=1", "-x")])
def test_an_unknown_option_is_refused_by_the_callers_refusal(line: str, spelled: str) -> None:
    with pytest.raises(Refused) as refused:
        run(line)
    assert (refused.value.message, refused.value.match) == (f"no option {spelled}", "m")
