"""`pytest --docexec-shard K/N`: the drift check split into N shards for N CI runners, a page on one variant (one
lab, one xdist group) never split, the shards balanced by what each page took when it was recorded.

A group's weight is the sum of its commands' recorded durations (`_page.json`) plus LAB_COST, what a page costs
besides its commands (a lab started and removed, the items' own work). Groups go, heaviest first, to the shard with
the least weight so far (ties: the lower shard number), so every runner computes the same assignment from the same
checkout, and the shards together are the whole check, each group in exactly one (tests/test_shards.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from docexec.core.errors import DocexecError

LAB_COST = 1.5  # seconds a page costs beyond its commands' own time (measured: benchmarks/shards.py)
NOT_A_PAGE = "docexec:unused:"  # the unused-recordings items: cheap, all go to the first shard


def parse(text: str) -> tuple[int, int]:
    """"2/4" -> (2, 4)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise DocexecError(f"--docexec-shard {text!r}: write K/N with 1 <= K <= N, e.g. 2/4")
    return int(match.group(1)), int(match.group(2))


def assign(weights: Mapping[str, float], shards: int) -> dict[str, int]:
    """Each group's shard (1..shards): longest processing time first, deterministic."""
    load = [0.0] * shards
    chosen: dict[str, int] = {}
    for group in sorted(weights, key=lambda g: (-weights[g], g)):
        if group.startswith(NOT_A_PAGE):
            chosen[group] = 1
            continue
        target = min(range(shards), key=lambda n: (load[n], n))
        load[target] += weights[group]
        chosen[group] = target + 1
    return chosen


def weight(durations: Iterable[float]) -> float:
    return LAB_COST + sum(durations)


def loads(weights: Mapping[str, float], shards: int) -> list[float]:
    """Each shard's total weight under `assign` (for the report and the benchmark)."""
    totals = [0.0] * shards
    for group, shard in assign(weights, shards).items():
        totals[shard - 1] += weights[group]
    return totals
