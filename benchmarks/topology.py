"""Benchmark of issue #25: what a measured topology picture costs a page's recording. Every page with an
exec="topology" block is run as `docexec record` runs it (a session on the first engine, in its lab), nothing saved;
the cost of its pictures is what their blocks took (the capture in every host and namespace, and `dot` drawing the
SVG in the lab), against the wall time of the whole page (lab start and teardown included). Goal: at most 5%.
Used by bench.py (section `topology`)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from docexec.book.project import Project
from docexec.core.config import load_config
from docexec.page.model import Page


def pages_with_pictures(project: Project) -> list[Page]:
    return [p for p in project.pages() if any(b.kind == "topology" for b in p.executed)]


def run_once(project: Project, page: Page) -> tuple[float, float, int]:
    """The page's wall time, its pictures' time, and how many pictures it has."""
    start, pictures, count = time.perf_counter(), 0.0, 0
    with project.session(project.here(page)) as session:
        for block in session.page.executed:
            for command in block.commands:
                result = session.run(block, command)
                if block.kind == "topology":
                    pictures += result.duration
                    count += 1
    return time.perf_counter() - start, pictures, count


def topology_cost(root: Path, runs: int) -> dict[str, object]:
    project = Project(load_config(root), mode="force", notify=lambda m: None)
    rows: dict[str, dict[str, float]] = {}
    for page in pages_with_pictures(project):
        measured = [run_once(project, page) for _ in range(runs)]
        wall, picture = statistics.median(m[0] for m in measured), statistics.median(m[1] for m in measured)
        rows[page.name] = {"pictures": measured[0][2], "record": wall, "capture": picture, "share": picture / wall}
    total_wall = sum(r["record"] for r in rows.values())
    total_capture = sum(r["capture"] for r in rows.values())
    return {"pages": rows, "count": sum(int(r["pictures"]) for r in rows.values()), "record": total_wall,
            "capture": total_capture, "share": total_capture / total_wall if total_wall else 0.0,
            "largest_share": max((r["share"] for r in rows.values()), default=0.0), "runs": runs}
