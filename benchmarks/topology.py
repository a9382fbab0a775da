"""Benchmark of issue #25: what a measured topology picture costs a page's recording. Every page with an
exec="topology" block is recorded (`docexec record -j 1 --engine 20.10`, in its lab); the cost of its pictures is
their blocks' recorded durations (the capture in every host and namespace, and `dot` drawing the SVG in the lab),
against the wall time of recording the whole page (lab start and teardown included). Goal: at most 5%. Used by
bench.py (section `topology`); snippets/ is restored afterwards by the caller."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path

from docexec.book.project import Project
from docexec.core.config import load_config


def pages_with_pictures(root: Path) -> list[str]:
    project = Project(load_config(root), mode="offline")
    return sorted(p.name for p in project.pages() if any(b.kind == "topology" for b in p.executed))


def picture_seconds(root: Path, page: str) -> tuple[float, int]:
    """The recorded durations of the page's topology blocks (first engine), and how many there are."""
    meta = json.loads((root / "snippets" / page.removesuffix(".md") / "_page.json").read_text(encoding="utf-8"))
    found = [c["duration"] for block in meta["blocks"].values() for c in block if c["command"].startswith("topology")]
    return sum(found), len(found)


def topology_cost(root: Path, timed: Callable[..., float], docexec: str, env: dict[str, str], runs: int,
                  restore: Callable[[], None]) -> dict[str, object]:
    pages = pages_with_pictures(root)
    rows: dict[str, dict[str, float]] = {}
    for page in pages:
        walls, pictures = [], []
        count = 0
        for _ in range(runs):
            walls.append(timed([docexec, "record", "-j", "1", "--engine", "20.10", f"docs/{page}"], cwd=root, env=env))
            seconds, count = picture_seconds(root, page)
            pictures.append(seconds)
            restore()
        wall, picture = statistics.median(walls), statistics.median(pictures)
        rows[page] = {"pictures": count, "record": wall, "capture": picture, "share": picture / wall}
    total_wall = sum(r["record"] for r in rows.values())
    total_capture = sum(r["capture"] for r in rows.values())
    return {"pages": rows, "count": sum(int(r["pictures"]) for r in rows.values()), "record": total_wall,
            "capture": total_capture, "share": total_capture / total_wall if total_wall else 0.0,
            "largest_share": max((r["share"] for r in rows.values()), default=0.0), "runs": runs}
