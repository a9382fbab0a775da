"""Warm builds as the book grows (issue #15): the book's pages copied to N times the book, every recording current.

Three sites are built from the same copies, in a folder of their own:
- `plugin`: the site as it is, docexec showing each exec block's recorded transcript;
- `static`: the baseline a hand-written book with the same content costs: docexec removed, and every exec block
  replaced in the Markdown by its transcript as an ordinary console fence (content tabs where the engines' outputs
  differ, the page's note under its title), which is what the page shows;
- `bare`: docexec removed and the exec blocks left as they are (the earlier baseline, which lacks the outputs).

The ratio that counts is plugin / static; the per-page cost is (plugin - static) / pages.
"""

from __future__ import annotations

import re
import shutil
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from docexec.book.project import Project
from docexec.core.config import EngineSettings, load_config
from docexec.page.model import Block, Page
from docexec.render.html import Rendered
from docexec.store import recording
from docexec.store.recording import PageRecording

KEEP = ("docs", "snippets", "overrides", "images", "hooks", "mkdocs.yml", "pyproject.toml", "benchmarks")


def _copy_book(root: Path, into: Path, times: int) -> None:
    """The repository's site, with docs/ (and each engine's recordings) copied `times - 1` more times below
    copyN/ folders: the copies' recordings are current, since a page's hash does not depend on its path."""
    for name in KEEP:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / name)
    (into / ".cache").mkdir()
    engines = root / ".cache" / "engines"
    if engines.is_dir():
        (into / ".cache" / "engines").symlink_to(engines)
    config = load_config(into)
    lessons = [p for p in (into / "docs").iterdir() if p.name != "assets"]
    folders = [spec.snippets_dir for spec in config.engines]
    for n in range(2, times + 1):
        for lesson in lessons:
            target = into / "docs" / f"copy{n}" / lesson.name
            if lesson.is_dir():
                shutil.copytree(lesson, target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(lesson, target)
        for folder in folders:
            for item in [p for p in folder.iterdir() if p.name != "_engines" and not p.name.startswith("copy")]:
                dest = folder / f"copy{n}" / item.name
                if item.is_dir():
                    shutil.copytree(item, dest)
                else:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(item, dest)


def _without_docexec(mkdocs_yml: str) -> str:
    """mkdocs.yml with the docexec plugin taken out (with or without options)."""
    text = re.sub(r"^  - docexec:\n(    .*\n)*", "", mkdocs_yml, flags=re.M)
    text = re.sub(r"^  - docexec\s*\n", "", text, flags=re.M)
    if text == mkdocs_yml:
        raise SystemExit("mkdocs.yml: found no docexec plugin to remove")
    return text


def _fence(text: str, indent: str) -> list[str]:
    body = text.rstrip("\n").split("\n")
    return [f"{indent}```console", *(f"{indent}{line}" if line else "" for line in body), f"{indent}```"]


def _static_block(block: Block, indent: str, engines: list[tuple[str, PageRecording | None]]) -> list[str]:
    """A block as a hand-written page would show it: its transcript, or a tab per engine where they differ."""
    transcripts: list[tuple[str, str]] = []
    for label, stored in engines:
        records = stored.blocks.get(block.id) if stored is not None else None
        if records:
            transcripts.append((label, recording.transcript(block, records)))
    if not transcripts:
        return _fence("".join(f"$ {c.display}\n" for c in block.commands), indent)
    if len({text for _, text in transcripts}) == 1:
        return _fence(transcripts[0][1], indent)
    lines: list[str] = []
    for label, text in transcripts:
        lines += [f'{indent}=== "{label}"', "", *_fence(text, indent + "    "), ""]
    return lines


def _static_page(source: str, page: Page, engines: list[tuple[str, PageRecording | None]]) -> str:
    lines = source.split("\n")
    for block in sorted(page.blocks, key=lambda b: b.line, reverse=True):
        opening = lines[block.line - 1]
        indent = opening[:len(opening) - len(opening.lstrip())]
        lines[block.line - 1:block.end_line] = _static_block(block, indent, engines) if block.show else []
    stored = next((s for _, s in engines if s is not None), None)
    note = f"本页所有命令输出均为真实运行结果：录制于 {stored.recorded[:10]}。" if stored is not None else ""
    return Rendered(note=note).with_note("\n".join(lines))  # where the plugin puts its note


def _make_static(into: Path) -> None:
    config = load_config(into)
    projects = [Project(config, EngineSettings.of(spec), mode="offline", notify=lambda m: None)
                for spec in config.engines]
    try:
        for path in sorted((into / "docs").rglob("*.md")):
            name = config.page_name(path)
            page = projects[0].load_page(name)
            if not page.blocks:
                continue
            engines = [(p.engine.spec.label, recording.load(p.engine.snippets_dir, page))
                       for p in projects if p.runs_here(page)]
            path.write_text(_static_page(path.read_text(encoding="utf-8"), page, engines), encoding="utf-8")
    finally:
        for project in projects:
            project.close()


def scaled_build(root: Path, runs: int, timed: Callable[..., float], env: dict[str, str], mkdocs: str,
                 sizes: tuple[int, ...] = (1, 5)) -> dict[str, object]:
    results: dict[str, object] = {}
    for times in sizes:
        base = Path(tempfile.mkdtemp(prefix=f"docexec-scale{times}-"))
        try:
            sites: dict[str, Path] = {}
            for variant in ("plugin", "static", "bare"):
                folder = base / variant
                folder.mkdir()
                _copy_book(root, folder, times)
                if variant != "plugin":
                    yml = folder / "mkdocs.yml"
                    yml.write_text(_without_docexec(yml.read_text(encoding="utf-8")), encoding="utf-8")
                if variant == "static":
                    _make_static(folder)
                sites[variant] = folder
            pages = sum(1 for _ in (sites["plugin"] / "docs").rglob("*.md")) - \
                sum(1 for _ in (sites["plugin"] / "docs").rglob("assets/**/*.md"))
            env = {**env, "DOCEXEC_MODE": "offline"}  # never run a page: every recording is current anyway
            for folder in sites.values():  # warm caches: bytecode, jieba's dictionary, docexec's page cache
                timed([mkdocs, "build", "-q", "-d", str(base / "warm")], cwd=folder, env=env)
            took: dict[str, list[float]] = {name: [] for name in sites}
            for _ in range(runs):
                for name, folder in sites.items():
                    took[name].append(timed([mkdocs, "build", "-q", "-d", str(base / f"out-{name}")], cwd=folder,
                                            env=env))
            median = {name: statistics.median(values) for name, values in took.items()}
            results[f"x{times}"] = {
                "pages": pages, **{name: _spread(values) for name, values in took.items()},
                "ratio_static": median["plugin"] / median["static"],
                "ratio_bare": median["plugin"] / median["bare"],
                "ms_per_page": 1000 * (median["plugin"] - median["static"]) / pages,
            }
        finally:
            shutil.rmtree(base, ignore_errors=True)
    results["target"] = 1.05
    return results


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}
