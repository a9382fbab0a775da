"""Orphans and gaps: every recording belongs to a block of a page, and every executed block has one (a terminal
session's replay included), on every engine the page runs on."""

from __future__ import annotations

from docexec import recording
from docexec.config import Config
from docexec.project import Project


def test_no_orphan_recordings(config: Config) -> None:
    expected = set()
    for spec in config.engines:
        engine = config.for_engine(spec)
        project = Project(engine, mode="offline")
        for page in filter(project.runs_here, project.pages()):
            folder = recording.page_folder(engine.snippets_dir, page.name)
            if page.executed:
                expected.add(folder / recording.META)
            expected.update(folder / f"{b.id}.txt" for b in page.executed)
            expected.update(recording.cast_path(engine.snippets_dir, page.name, b.id) for b in page.executed
                            if b.kind == "session")
    present = {p for p in config.snippets_dir.rglob("*") if p.is_file()}
    orphans = sorted(str(p.relative_to(config.root)) for p in present - expected)
    assert not orphans, "recordings that no block of any page uses (delete them): " + ", ".join(orphans)


def test_every_executed_block_has_a_current_recording(config: Config) -> None:
    problems = []
    for spec in config.engines:
        project = Project(config.for_engine(spec), mode="offline")
        problems += [f"{page.where} [{spec.name}]: {project.status(page)}" for page in project.pages()
                     if page.executed and project.runs_here(page) and project.status(page) != "current"]
    assert not problems, "pages to record again with `nox -s record -- PAGE`: " + "; ".join(problems)
