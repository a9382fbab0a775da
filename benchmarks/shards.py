"""Benchmark of issue #27: the drift check in N shards run one after another against the whole check in one run
(`pytest docs -n 2 --dist loadgroup`, every variant), and the whole check against its floor, the sum of the
recorded durations of every command it runs (three variants: each engine, and 20.10 with the 28.5 CLI) divided by
the two workers. Used by bench.py (section `shards`); results on the 性能 page."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path

SHARDS = 4


def floor(root: Path, workers: int = 2) -> dict[str, float]:
    """The commands' own time per variant (from _page.json), and the whole check's floor on `workers` workers."""
    per_engine: dict[str, float] = {}
    for meta in root.glob("snippets/**/_page.json"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        engine = "28.5" if "_engines" in meta.parts else "20.10"
        per_engine[engine] = per_engine.get(engine, 0.0) + sum(c["duration"] for b in data["blocks"].values()
                                                               for c in b)
    commands = per_engine.get("20.10", 0.0) * 2 + per_engine.get("28.5", 0.0)  # 20.10 is checked with two CLIs
    return {**{f"commands_{k}": v for k, v in sorted(per_engine.items())}, "commands": commands,
            "floor": commands / workers}


def drift_shards(root: Path, timed: Callable[..., float], env: dict[str, str], python: str,
                 runs: int) -> dict[str, object]:
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "docs"]
    env = {**env, "CI": "true"}
    whole: list[float] = []
    sharded: list[list[float]] = []
    for _ in range(runs):  # interleaved, so a slower moment of the machine falls on both
        whole.append(timed(pytest, cwd=root, env=env))
        sharded.append([timed([*pytest, "--docexec-shard", f"{k}/{SHARDS}"], cwd=root, env=env)
                        for k in range(1, SHARDS + 1)])
    totals = [sum(s) for s in sharded]
    per_shard = [statistics.median(s[k] for s in sharded) for k in range(SHARDS)]
    mean = sum(per_shard) / SHARDS
    bottom = floor(root)

    def spread(values: list[float]) -> dict[str, float]:
        return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}

    return {"shards": SHARDS, "whole": spread(whole), "sharded": spread(totals), "per_shard": per_shard,
            "ratio": statistics.median(totals) / statistics.median(whole), "largest_to_mean": max(per_shard) / mean,
            **bottom, "floor_ratio": statistics.median(whole) / bottom["floor"]}
