"""The grammar of the host programs a page may run and the filters it may pipe into: each program's options with
their arities (a value or not), and how a command line splits into options and positionals (the one option walker,
options_walker, with getopt's rules). Fail closed: an option a program's table does not list is refused with the
nearest one it does list."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from docexec.core.config import RunContext
from docexec.policy.options_walker import Grammar, walk
from docexec.policy.refusal import Refused


@dataclass(frozen=True)
class Program:
    """A program's options: name -> 1 if it takes a value, 0 if not. `words`: options are whole words (ip's -o,
    find's -name), never clusters of letters. `check`: the rest (positionals, values), given the options."""

    options: dict[str, int] = field(default_factory=dict)
    words: bool = False
    check: Callable[[list[str], list[tuple[str, str | None]], RunContext], str | None] | None = None
    stop_at_positional: bool = False  # nsenter: the first positional starts the inner command

    @functools.cached_property
    def grammar(self) -> Grammar:
        """The options as getopt reads them: `-n5` and `-n 5`, `-5` a positional (head -5), and an optional value
        kept (nsenter --net=FILE)."""
        return Grammar({flag: (flag, bool(value)) for flag, value in self.options.items()}, words=self.words,
                       stop_at_positional=self.stop_at_positional, optional_values=True, numbers_are_words=True)


def parse(name: str, program: Program, args: Sequence[str],
          match: str | None = None) -> tuple[list[tuple[str, str | None]], list[str]]:
    """The options and positionals of `name args`; Refused (naming `match`) at an option the program does not take."""
    def refuse(flag: str) -> Refused:
        return Refused(_unknown(name, flag, program), match=match)

    options, positionals, _ = walk(args, program.grammar, refuse)
    return [(flag, value) for flag, value, _ in options], positionals


def _unknown(name: str, flag: str, program: Program) -> str:
    close = difflib.get_close_matches(flag, list(program.options), n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    allowed = " ".join(sorted(program.options)) or "none"
    return f"{name}: option '{flag}' is not allowed{hint}; allowed: {allowed}"



def opts(spec: str) -> dict[str, int]:
    """'-n -c= --max-time=' -> {'-n': 0, '-c': 1, '--max-time': 1}: a trailing '=' means the option takes a value."""
    return {word.rstrip("="): int(word.endswith("=")) for word in spec.split()}
