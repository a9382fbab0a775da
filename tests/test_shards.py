"""`--docexec-shard K/N` (drift.shards): the shards together are the whole drift check, each item in exactly one
shard, a page on one variant never split, and the shards balanced by the recorded durations."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from docexec.core.errors import DocexecError
from docexec.drift import shards

ROOT = Path(__file__).resolve().parents[1]


def test_parse() -> None:
    assert shards.parse("2/4") == (2, 4)
    assert shards.parse(" 1 / 1 ") == (1, 1)
    for bad in ("0/4", "5/4", "4", "a/b", "-1/2", "1/0"):
        with pytest.raises(DocexecError, match="K/N"):
            shards.parse(bad)


def test_assign_is_a_partition_balanced_and_deterministic() -> None:
    weights = {f"docexec:p{n}.md:20.10": float((n * 37) % 23 + 1) for n in range(40)}
    weights["docexec:unused:20.10"] = 0.0
    chosen = shards.assign(weights, 4)
    assert set(chosen) == set(weights) and set(chosen.values()) == {1, 2, 3, 4}
    assert chosen["docexec:unused:20.10"] == 1
    assert shards.assign(dict(reversed(list(weights.items()))), 4) == chosen  # order of the input does not matter
    loads = shards.loads(weights, 4)
    assert sum(loads) == pytest.approx(sum(weights.values()))
    # Longest-processing-time-first: no shard exceeds the mean by more than the heaviest group.
    assert max(loads) <= sum(loads) / 4 + max(weights.values())


def test_one_group_heavier_than_the_rest_gets_a_shard_of_its_own() -> None:
    chosen = shards.assign({"a": 100.0, "b": 1.0, "c": 1.0, "d": 1.0}, 2)
    assert chosen["a"] != chosen["b"] == chosen["c"] == chosen["d"]


def _collect(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "docs/", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def _page_variant(nodeid: str) -> str:
    """docs/a.md::20.10::block-L3 -> docs/a.md::20.10 (a page's items on one variant share one lab)."""
    parts = nodeid.split("::")
    return "::".join(parts[:2]) if len(parts) > 2 else parts[0]


def test_the_shards_of_the_book_are_its_whole_drift_check() -> None:
    whole = _collect()
    assert len(whole) > 500
    parts = [_collect("--docexec-shard", f"{k}/4") for k in range(1, 5)]
    counts = Counter(nodeid for part in parts for nodeid in part)
    assert set(counts) == set(whole), "the shards miss or add items"
    assert set(counts.values()) == {1}, [n for n, c in counts.items() if c > 1][:5]
    owner: dict[str, int] = {}
    for k, part in enumerate(parts, 1):
        for nodeid in part:
            assert owner.setdefault(_page_variant(nodeid), k) == k, f"{nodeid} split across shards"


def test_the_shards_are_balanced_by_recorded_durations() -> None:
    """Predicted from the recordings (the benchmark measures the real run): the largest shard at most 1.25x the
    mean shard."""
    weights: dict[str, float] = {}
    for meta in ROOT.glob("snippets/**/_page.json"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        engine = "28.5" if "_engines" in meta.parts else "20.10"
        durations = [c["duration"] for block in data["blocks"].values() for c in block]
        weights[f"{data['page']}:{engine}"] = shards.weight(durations)
        if engine == "20.10":  # the extra-CLI variant checks the same commands
            weights[f"{data['page']}:20.10+cli"] = shards.weight(durations)
    loads = shards.loads(weights, 4)
    assert max(loads) <= 1.25 * (sum(loads) / 4), loads


def test_a_bad_shard_is_a_usage_error() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "docs/", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "--docexec-shard", "3/2"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode != 0 and re.search(r"--docexec-shard '3/2': write K/N", done.stderr), done.stderr
