"""The grammar of the host programs a page may run and the filters it may pipe into: each program's options with
their arities (a value or not), and how a command line splits into options and positionals. Fail closed: an
option a program's table does not list is refused with the nearest one it does list."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from docexec.policy.refusal import UNKNOWN, Refused


@dataclass(frozen=True)
class Where:
    """What the checks need to know about where the command runs."""

    workdir: str
    isolated: bool  # in a lab


@dataclass(frozen=True)
class Program:
    """A program's options: name -> 1 if it takes a value, 0 if not. `words`: options are whole words (ip's -o,
    find's -name), never clusters of letters. `check`: the rest (positionals, values), given the options."""

    options: dict[str, int] = field(default_factory=dict)
    words: bool = False
    check: Callable[[list[str], list[tuple[str, str | None]], Where], str | None] | None = None
    stop_at_positional: bool = False  # nsenter: the first positional starts the inner command


def parse(name: str, program: Program, args: Sequence[str],
          match: str | None = None) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The options and positionals of `name args`; Refused (naming `match`) at an option the program does not take."""
    options: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positionals.extend(args[i + 1:])
            break
        option = arg in program.options or (not _is_number(arg) and arg != UNKNOWN)
        if arg.startswith("-") and len(arg) > 1 and option:
            flag, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            if flag in program.options or program.words or flag.startswith("--"):
                if flag not in program.options:
                    raise Refused(_unknown(name, flag, program), match=match)
                if program.options[flag] and not eq:
                    value, i = (args[i + 1] if i + 1 < len(args) else ""), i + 1
                options.append((flag, value if program.options[flag] or eq else None))
            else:  # a cluster of short options: -ltn, -n5
                for k, letter in enumerate(arg[1:]):
                    short = f"-{letter}"
                    if short not in program.options:
                        raise Refused(_unknown(name, short, program), match=match)
                    if program.options[short]:
                        rest = arg[k + 2:]
                        if not rest:
                            rest, i = (args[i + 1] if i + 1 < len(args) else ""), i + 1
                        options.append((short, rest))
                        break
                    options.append((short, None))
        else:
            if program.stop_at_positional:
                positionals.extend(args[i:])
                break
            positionals.append(arg)
        i += 1
    return options, positionals


def _is_number(arg: str) -> bool:
    return re.fullmatch(r"-\d+", arg) is not None  # head -5, a negative value


def _unknown(name: str, flag: str, program: Program) -> str:
    close = difflib.get_close_matches(flag, list(program.options), n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    allowed = " ".join(sorted(program.options)) or "none"
    return f"{name}: option '{flag}' is not allowed{hint}; allowed: {allowed}"



def opts(spec: str) -> dict[str, int]:
    """'-n -c= --max-time=' -> {'-n': 0, '-c': 1, '--max-time': 1}: a trailing '=' means the option takes a value."""
    return {word.rstrip("="): int(word.endswith("=")) for word in spec.split()}
