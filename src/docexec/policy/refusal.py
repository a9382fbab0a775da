"""What the lint rules say when they refuse a command, and the word that stands for a value not known yet.

Refused is the one type every rule raises (docker verbs and options, host programs and filters, addresses), and
what the layers above catch; a command line the shell parser cannot read is not a refusal but a page error
(page.shellast.ShellSyntaxError, reported with its page and line where the page is read)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

UNKNOWN = "\0"  # a word whose value is only known at run time (before $(...) and $NAME are expanded)


class Refused(ValueError):
    """A command the page may not run; `match` is the text an allowance would have to name."""

    def __init__(self, message: str, match: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.match = match


class Refusals(Refused):
    """Every problem of one command, when it has more than one (`problems`, each a Refused of its own): the lint
    reports each, so that fixing one does not merely reveal the next."""

    def __init__(self, problems: list[Refused]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def problems(refusal: Refused) -> list[Refused]:
    """The problems a refusal stands for: itself, or each of a Refusals."""
    return refusal.problems if isinstance(refusal, Refusals) else [refusal]


class Collect:
    """Runs the checks of one command and keeps going after a refusal: `done()` raises what they refused, the one
    Refused itself (as it would have been raised alone) or, for several, a Refusals."""

    def __init__(self) -> None:
        self.problems: list[Refused] = []

    def run(self, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except Refused as exc:
            self.problems += [p for p in problems(exc) if p.message not in {q.message for q in self.problems}]
            return None

    def done(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise Refusals(self.problems)
