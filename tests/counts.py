"""Counts read from a program's messages as numbers: a test that looks for the text "0 page(s) run" also passes
on "20 page(s) run"."""

from __future__ import annotations

import re


def counts(text: str, what: str) -> list[int]:
    """Every number written just before `what` in the text, in order: counts("docexec: 20 page(s) run and
    recorded", "page(s) run") == [20]."""
    return [int(n) for n in re.findall(rf"(?<![\d.,])(\d+) {re.escape(what)}", text)]
