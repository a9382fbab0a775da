"""The docker CLI's grammar: verbs (groups, shorthands, aliases) and each verb's options with their arities, as
both supported CLIs' own --help lists them (docker_flags), read by the one option walker (options_walker). Fail
closed: an option the verb's table does not list is refused, with the nearest spelling it does list, so no option
is ever mistaken for a value or let through unread."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from docexec.policy import options_walker
from docexec.policy.docker_flags import OPTIONS
from docexec.policy.options_walker import Grammar, Option
from docexec.policy.refusal import Refused


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
# After the first positional come another command's words (docker run IMAGE CMD), or the subcommand of `compose`.
STOP_AT_FIRST_POSITIONAL = {"container run", "container create", "container exec", "compose", "compose exec",
                            "compose run", "service create"}
SHORTS_OF_OLD = {verb: {s for s, _, since in table.values() if s and since != "28"} for verb, table in OPTIONS.items()}
SHORTS_OF_NEW = {verb: {s for s, _, since in table.values() if s and since != "20.10-only"}
                 for verb, table in OPTIONS.items()}
OLD_SPELLINGS = {"--net": "--network", "--net-alias": "--network-alias"}  # hidden aliases both CLIs still take
HELP_REFUSED = "help texts change between CLI versions: quote the part that matters in prose"


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
    if word == "compose":
        return _compose_verb(argv, i)
    if word in GROUPS:
        if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
            raise Refused(f"'docker {word}' needs a subcommand")
        sub = ALIASES.get(argv[i + 1], argv[i + 1])
        return f"{word} {sub}", i + 1
    return SHORTHANDS.get(word, word), i


def _compose_verb(argv: Sequence[str], i: int) -> tuple[str, int]:
    """`docker compose [options of compose itself: -f, -p, ...] SUBCOMMAND ...`: "compose SUBCOMMAND" and the
    index of the subcommand (no aliases: `compose ps` lists containers, `compose ls` projects)."""
    _, positionals, end = walk(argv, "compose", i + 1)
    if not positionals:
        raise Refused("'docker compose' needs a subcommand")
    return f"compose {argv[end]}", end


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


def walk(argv: Sequence[str], verb: str, j: int,
         spans: list[tuple[int, int]] | None = None) -> tuple[list[Option], list[str], int]:
    """The options (from index j on), the positionals and the index of the first positional after the options
    (`spans`: see options_walker.walk)."""
    return options_walker.walk(argv, _grammar(verb), lambda name: Refused(_unknown_option(verb, name)), j, spans)


def _shorts(verb: str) -> dict[str, str]:
    """The verb's short options and their long names: where a long name changed (--time, --timeout: -t), the one
    both CLIs have wins."""
    table = OPTIONS[verb]
    return {short: long for long, (short, _, since) in sorted(table.items(), key=lambda kv: kv[1][2] == "20.10")
            if short}


def _grammar(verb: str) -> Grammar:
    """The verb's options as the docker CLI (pflag) reads them: `-p=80` is -p 80, and the value given to an option
    that takes none (`--rm=true`) is not kept."""
    table = OPTIONS[verb]
    names = {long: (long, flag.value) for long, flag in table.items()}
    names.update((short, (long, table[long].value)) for short, long in _shorts(verb).items())
    return Grammar(names, stop_at_positional=verb in STOP_AT_FIRST_POSITIONAL, equals_in_bundle=True)


def _unknown_option(verb: str, name: str) -> str:
    table, shorts = OPTIONS[verb], _shorts(verb)
    if name in ("--help", "-h") and name not in shorts:
        return f"'{name}': {HELP_REFUSED}"
    spellings = [*table, *shorts]
    close = [OLD_SPELLINGS[name]] if name in OLD_SPELLINGS else \
        difflib.get_close_matches(name, spellings, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"'docker {verb}' has no option '{name}'{hint}"
