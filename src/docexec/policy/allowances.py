"""Allowances: refused uses that the project allows for one page, each with its reason (`[[tool.docexec.allow]]`
in pyproject.toml). An allowance names the page and either the whole command line as the page writes it or the
text the refusal names (a docker option with its value, a host command line)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from docexec.core.config import Allowance
from docexec.policy.refusal import Refusals, Refused, problems

T = TypeVar("T")


class Allowances:
    """The allowances of one page."""

    def __init__(self, allow: tuple[Allowance, ...], page: str) -> None:
        self.entries: tuple[Allowance, ...] = tuple(a for a in allow if a.page == page)

    def allows(self, line: str, refusal: Refused) -> bool:
        return any(a.match == line or (refusal.match is not None and a.match == refusal.match) for a in self.entries)

    def check(self, line: str, check: Callable[[], T]) -> T | None:
        """Run a check of the command `line`: its result, or None where it refuses what an allowance names."""
        try:
            return check()
        except Refused as exc:
            if self.allows(line, exc):
                return None
            left = [p for p in problems(exc) if not self.allows(line, p)]  # of several, those none allows
            if not left:
                return None
            if len(left) == len(problems(exc)):
                raise
            raise left[0] if len(left) == 1 else Refusals(left) from exc
