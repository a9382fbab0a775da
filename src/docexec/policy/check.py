"""What a page may run: docker verbs and flags, read-only host tools, filters after a pipe.

`check_argv` is called twice: on the words of a command when the page is parsed (words that hold `$(...)` or
`$NAME` are not known yet and stand as UNKNOWN), and on the real arguments just before they run.
Refused uses may be allowed for one page by `[[tool.docexec.allow]]` in pyproject.toml, with a reason.

The rules live by job: the docker CLI's grammar (docker_grammar), what docker commands are refused and why
(docker_rules), the host programs and filters (hostcmds), the network rule (addresses), and the allowances
(allowances); this module puts them together. Which rules a block's command is checked with is its exec kind's
choice (`Checks`, what the policy asks of a kind: page.kinds), from the `Rules` it is handed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import ClassVar

from docexec.core.config import RunContext, Settings
from docexec.page import kinds
from docexec.page.kinds import ExecKind
from docexec.page.shellwords import Literal, ShellCommand, Word
from docexec.policy.addresses import check_addresses
from docexec.policy.allowances import Allowances
from docexec.policy.configured import unconfigured
from docexec.policy.docker_grammar import STOP_AT_FIRST_POSITIONAL, DockerCall, iter_options, resolve_verb, split_call
from docexec.policy.docker_rules import REFUSED_OPTIONS, REFUSED_VERBS, check_docker, parse_docker
from docexec.policy.hostcmds import check_filter, check_host
from docexec.policy.refusal import UNKNOWN, Collect, Refusals, Refused, problems

__all__ = ["REFUSED_OPTIONS", "REFUSED_VERBS", "STOP_AT_FIRST_POSITIONAL", "UNKNOWN", "Checks", "DockerCall",
           "Refusals", "Refused", "Rules", "block_context", "check_argv", "check_docker", "check_static",
           "check_typed", "iter_options", "parse_docker", "problems"]


class Rules:
    """The rules a kind's `check` may apply to a command's words, each with the page's allowances (`line`: the
    command as the page writes it, which an allowance may name whole)."""

    def __init__(self, argv: Sequence[str], context: RunContext, page: str, line: str) -> None:
        self.argv, self.context, self.line = argv, context, line
        self.allowances = Allowances(context.allow, page)

    def docker(self, *, terminal: bool = False) -> DockerCall | None:
        """The docker CLI's rules; `terminal`: the command runs in a terminal, where -i, -t and `docker attach`
        have one. Returns the call, for the tracking: a command an allowance lets through is tracked like any
        other (what it creates carries the run's label and is the page's to remove), as far as the grammar reads
        it (None: it cannot)."""
        call = self.allowances.check(self.line, lambda: check_docker(self.argv, self.context, terminal=terminal))
        if call is not None:
            return call
        try:
            return split_call(self.argv, *resolve_verb(self.argv))
        except Refused:
            return None

    def host(self) -> None:
        """The rules of the read-only host programs (hostcmds)."""
        self.allowances.check(self.line, lambda: _check_host(self.argv, self.context))


class Checks(ExecKind):
    """What the policy asks of an exec kind: which rules its commands are checked with."""

    # The kind whose rules check a command inside `$(...)`: it runs as a pipeline, whatever block it is written in.
    substitutions: ClassVar[str] = "docker"

    def check(self, program: str, rules: Rules) -> DockerCall | None:
        """Raise Refused unless a block of this kind may run `program` (the command's first word, written out):
        apply the `rules` that hold for it, and return what they return. A kind that does not say runs nothing."""
        raise Refused(f"'{program}' does not run in an exec=\"{self.name}\" block")


def check_argv(argv: Sequence[str], *, kind: str, page: str, context: RunContext, stage: int = 0,
               line: str = "") -> DockerCall | None:
    """Raise Refused unless the page may run `argv` in a block of `kind` (stage > 0: it reads a pipe). `line` is
    the command as the page writes it: an allowance may name the whole line."""
    if not argv:
        raise Refused("empty command")
    collect = Collect()  # the address rule's problems and the program's, all of them
    collect.run(lambda: check_addresses(unconfigured(argv) if context.isolated else argv, lan=context.isolated))
    call = collect.run(lambda: _check_program(argv, kind=kind, page=page, context=context, stage=stage, line=line))
    collect.done()
    return call


def _check_program(argv: Sequence[str], *, kind: str, page: str, context: RunContext, stage: int,
                   line: str) -> DockerCall | None:
    program = argv[0]
    if stage > 0:
        check_filter(argv)
        return None
    if program == UNKNOWN:
        raise Refused("the program name must be written out, not come from $(...) or a variable")
    return kinds.get(kind, Checks).check(program, Rules(argv, context, page, line))


def check_typed(text: str, context: RunContext) -> None:
    """A line typed into a session's program (a container's shell, say): it names no address outside the lab,
    as a command in `sh -c '...'` would not. What runs inside a container is the container's business."""
    check_addresses([text], lan=context.isolated)


def static_text(word: Word) -> str:
    """A word's text as far as it is known before running: `--net=$(...)` stays `--net=` + UNKNOWN."""
    if word.is_plain:
        return word.plain
    known = "".join(p.text if isinstance(p, Literal) else UNKNOWN for p in word.parts)
    return UNKNOWN if known.strip(UNKNOWN) == "" else known


def check_static(command: ShellCommand, *, kind: str, page: str, context: RunContext, line: str) -> None:
    """Check a parsed command before anything runs; words known only at run time stand as UNKNOWN."""
    collect = Collect()  # every problem of the command: of each stage of its pipeline and each $(...)
    for n, stage in enumerate(command.stages):
        if command.assign:
            break
        argv = [static_text(w) for w in stage]
        collect.run(partial(check_argv, argv, kind=kind, page=page, context=context, stage=n, line=line))
    for word in command.words():
        for subst in word.substitutions():
            collect.run(partial(check_static, subst.command, kind=kinds.get(kind, Checks).substitutions, page=page,
                                context=context, line=line))
    collect.done()


def _check_host(argv: Sequence[str], context: RunContext) -> None:
    check_host(argv, context)


def block_context(settings: Settings, context: RunContext, engines: tuple[str, ...] | None,
                  returncode: int) -> RunContext:
    """What the checks of a block's commands see: `context`, and of a block limited to some engines (`engines`)
    the versions of the CLIs that record on them ('' for one that does not say) and the exit code the block
    expects (docker_rules lets through what those CLIs have, or stop on on purpose)."""
    if engines is None:
        return context
    return replace(context, clis=tuple(spec.cli_version for spec in settings.engines if spec.name in engines),
                   returncode=returncode)
