"""Orphans and gaps: every recording belongs to a block of a page, and every executed block has one (a terminal
session's replay included), on every engine the page runs on. The orphan check is the drift check's own
(RecordingStore.unused), which a run over the whole docs folder also reports."""

from __future__ import annotations

from docexec import EngineSettings, Project, Settings


def test_no_orphan_recordings(config: Settings) -> None:
    orphans = []
    for spec in config.engines:
        project = Project(config, EngineSettings.of(spec), mode="offline")
        orphans += project.store.unused([p for p in project.pages() if project.runs_here(p)])
    assert not orphans, "recordings that no block of any page uses (delete them): " + ", ".join(
        str(p.relative_to(config.root)) for p in orphans)


def test_every_executed_block_has_a_current_recording(config: Settings) -> None:
    problems = []
    for spec in config.engines:
        project = Project(config, EngineSettings.of(spec), mode="offline")
        problems += [f"{page.where} [{spec.name}]: {project.status(page)}" for page in project.pages()
                     if page.executed and project.runs_here(page) and project.status(page) != "current"]
    assert not problems, "pages to record again with `nox -s record -- PAGE`: " + "; ".join(problems)
