"""The docker CLI's grammar: verbs (groups, shorthands, aliases) and each verb's options with their arities, as
both supported CLIs' own --help lists them (docker_flags). Fail closed: an option the verb's table does not list
is refused, with the nearest spelling it does list, so no option is ever mistaken for a value or let through
unread."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from docexec.policy.docker_flags import OPTIONS, Flag
from docexec.policy.refusal import UNKNOWN, Refused


@dataclass(frozen=True)
class DockerCall:
    """A docker command line, split into its verb and the parts the engine cares about."""

    verb: str  # canonical: "container run", "network create", "inspect", ...
    verb_index: int  # index in argv of the last verb word
    options_end: int  # index of the first positional argument after the verb's options
    positionals: tuple[str, ...]


GROUPS = {"container", "network", "volume", "image", "system", "builder", "compose", "swarm", "service",
          "stack", "node", "secret", "config", "plugin", "context", "buildx", "trust", "manifest", "checkpoint"}
ALIASES = {"ps": "ls", "list": "ls", "remove": "rm"}
SHORTHANDS = {
    "run": "container run", "create": "container create", "start": "container start", "stop": "container stop",
    "restart": "container restart", "kill": "container kill", "rm": "container rm", "ps": "container ls",
    "exec": "container exec", "cp": "container cp", "diff": "container diff", "logs": "container logs",
    "top": "container top", "port": "container port", "pause": "container pause",
    "unpause": "container unpause", "rename": "container rename", "wait": "container wait",
    "stats": "container stats", "attach": "container attach", "images": "image ls", "pull": "image pull",
    "push": "image push", "build": "image build", "commit": "container commit", "tag": "image tag",
    "rmi": "image rm", "save": "image save", "load": "image load", "import": "image import",
    "export": "container export", "history": "image history", "update": "container update",
}
STOP_AT_FIRST_POSITIONAL = {"container run", "container create", "container exec"}
SHORTS_OF_OLD = {verb: {s for s, _, since in table.values() if s and since != "28"} for verb, table in OPTIONS.items()}
SHORTS_OF_NEW = {verb: {s for s, _, since in table.values() if s and since != "20.10-only"}
                 for verb, table in OPTIONS.items()}
OLD_SPELLINGS = {"--net": "--network", "--net-alias": "--network-alias"}  # hidden aliases both CLIs still take
HELP_REFUSED = "help texts change between CLI versions: quote the part that matters in prose"
Option = tuple[str, str | None, str]  # long name, value, the spelling the page used


def resolve_verb(argv: Sequence[str]) -> tuple[str, int]:
    """The canonical verb of a docker command line ("container run" for `docker run`) and the index in argv of
    its last word."""
    i = 1
    if i < len(argv) and argv[i].startswith("-"):
        raise Refused(f"global docker option '{argv[i]}' is not supported: the engine chooses the daemon "
                      "(set DOCKER_HOST for the whole build instead)")
    if i >= len(argv):
        raise Refused("'docker' alone prints help: give it a command")
    word = argv[i]
    if word in GROUPS:
        if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
            raise Refused(f"'docker {word}' needs a subcommand")
        sub = ALIASES.get(argv[i + 1], argv[i + 1])
        return f"{word} {sub}", i + 1
    return SHORTHANDS.get(word, word), i


def split_call(argv: Sequence[str], verb: str, i: int) -> DockerCall:
    """Split the command line of a known verb (its last word at index i) into options and positionals."""
    if verb not in OPTIONS:
        raise Refused(f"'docker {verb}' is not supported by the lesson engine; supported: "
                      + ", ".join(sorted(OPTIONS)))
    _, positionals, options_end = walk(argv, verb, i + 1)
    return DockerCall(verb=verb, verb_index=i, options_end=options_end, positionals=tuple(positionals))


def iter_options(argv: Sequence[str], call: DockerCall) -> list[tuple[str, str | None]]:
    """The verb's options as (long name, value) pairs, whichever spelling the page used: `-dit` gives --detach,
    --interactive, --tty; `-p8080:80` and `--publish=8080:80` both give ("--publish", "8080:80")."""
    options, _, _ = walk(argv, call.verb, call.verb_index + 1)
    return [(long, value) for long, value, _ in options]


def walk(argv: Sequence[str], verb: str, j: int) -> tuple[list[Option], list[str], int]:
    """The options (from index j on), the positionals and the index of the first positional after the options."""
    table = OPTIONS[verb]
    shorts = {short: long for long, (short, _, since) in sorted(table.items(), key=lambda kv: kv[1][2] == "20.10")
              if short}  # where a long name changed (--time, --timeout: -t), the one both CLIs have wins
    options: list[Option] = []
    positionals: list[str] = []
    while j < len(argv):
        arg = argv[j]
        if arg == "--":
            positionals.extend(argv[j + 1:])
            return options, positionals, j + 1
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg.partition("=")
            if name not in table:
                raise Refused(_unknown_option(verb, name, table, shorts))
            if table[name][1] and not eq:
                value, j = (argv[j + 1] if j + 1 < len(argv) else ""), j + 1
            options.append((name, value if table[name][1] else None, name))
        elif arg.startswith("-") and len(arg) > 1 and arg != UNKNOWN:
            for k, letter in enumerate(arg[1:]):
                long = shorts.get(f"-{letter}")
                if long is None:
                    raise Refused(_unknown_option(verb, f"-{letter}", table, shorts))
                if table[long][1]:  # takes a value: the rest of the cluster, or the next word
                    rest = arg[k + 2:].removeprefix("=")
                    if not rest:
                        rest, j = (argv[j + 1] if j + 1 < len(argv) else ""), j + 1
                    options.append((long, rest, f"-{letter}"))
                    break
                options.append((long, None, f"-{letter}"))
        elif verb in STOP_AT_FIRST_POSITIONAL:
            positionals.extend(argv[j:])
            return options, positionals, j
        else:
            positionals.append(arg)
        j += 1
    return options, positionals, len(argv)


def _unknown_option(verb: str, name: str, table: dict[str, Flag], shorts: dict[str, str]) -> str:
    if name in ("--help", "-h") and name not in shorts:
        return f"'{name}': {HELP_REFUSED}"
    spellings = [*table, *shorts]
    close = [OLD_SPELLINGS[name]] if name in OLD_SPELLINGS else \
        difflib.get_close_matches(name, spellings, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"'docker {verb}' has no option '{name}'{hint}"
