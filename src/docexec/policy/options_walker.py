"""One getopt-style walk over a command line's words, for any program its `Grammar` describes: long options
(`--name`, `--name=value`, `--name value`), short ones alone or bundled (`-d`, `-dit`, `-p8080:80`, `-n 5`),
whole-word options (ip's `-brief`, find's `-name`), `--`, and the positionals between and after them.

docker_grammar describes each docker verb with one (the docker CLI's pflag rules), host_grammar each host
program and filter (getopt's rules, as GNU tools read their options). Fail closed: an option the grammar does not
list is refused, never taken for a value or a positional."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from docexec.policy.refusal import Refused

Option = tuple[str, str | None, str]  # the option's name, its value (None: it takes none), the spelling used
_NUMBER = re.compile(r"-\d+")


@dataclass(frozen=True)
class Grammar:
    """How a program reads its options."""

    names: Mapping[str, tuple[str, bool]]  # every spelling ("-d", "--detach") -> (the option's name, takes a value)
    words: bool = False  # every single-dash option is a whole word (ip's -brief, find's -name), never a bundle
    stop_at_positional: bool = False  # the first positional starts another command (docker run IMAGE CMD, nsenter)
    equals_in_bundle: bool = False  # pflag: `-p=80` gives the value 80 (getopt: `=80`)
    optional_values: bool = False  # getopt's optional arguments: `--net=FILE` keeps FILE on an option that needs none
    numbers_are_words: bool = False  # `-5` that is no option is a positional (head -5, a negative number)


def walk(args: Sequence[str], grammar: Grammar, refuse: Callable[[str], Refused],
         start: int = 0, spans: list[tuple[int, int]] | None = None) -> tuple[list[Option], list[str], int]:
    """The options of args[start:], the positionals and the index of the first positional after the options
    (len(args) when there is none). `refuse`: the refusal for a spelling the grammar does not list. `spans`, if
    given, gets for each option the first and last index of the words it was read from (`--dns=X`: one word,
    `--dns X`: two; the options of a bundle share its words)."""
    names = grammar.names
    options: list[Option] = []
    positionals: list[str] = []
    j = start
    while j < len(args):
        arg = args[j]
        begin, count = j, len(options)
        if arg == "--":
            positionals.extend(args[j + 1:])
            return options, positionals, j + 1
        number = grammar.numbers_are_words and _NUMBER.fullmatch(arg) is not None and arg not in names
        if arg.startswith("-") and len(arg) > 1 and not number:
            if arg.startswith("--") or arg in names or grammar.words:
                spelled, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
                if spelled not in names:
                    raise refuse(spelled)
                name, takes_value = names[spelled]
                if takes_value and not eq:
                    value, j = (args[j + 1] if j + 1 < len(args) else ""), j + 1
                options.append((name, value if takes_value or (eq and grammar.optional_values) else None, spelled))
            else:  # a bundle of short options: -dit, -ltn, -n5
                for k, letter in enumerate(arg[1:]):
                    spelled = f"-{letter}"
                    if spelled not in names:
                        raise refuse(spelled)
                    name, takes_value = names[spelled]
                    if takes_value:  # the rest of the bundle, or the next word
                        rest = arg[k + 2:].removeprefix("=") if grammar.equals_in_bundle else arg[k + 2:]
                        if not rest:
                            rest, j = (args[j + 1] if j + 1 < len(args) else ""), j + 1
                        options.append((name, rest, spelled))
                        break
                    options.append((name, None, spelled))
        elif grammar.stop_at_positional:
            positionals.extend(args[j:])
            return options, positionals, j
        else:
            positionals.append(arg)
        if spans is not None:
            spans.extend((begin, j) for _ in range(len(options) - count))
        j += 1
    return options, positionals, len(args)
