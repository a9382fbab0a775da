"""Recordings that no page uses: a page folder whose page is gone, a transcript whose block is gone. The drift
check reports them after a run over the whole docs folder, and the test suite checks the book has none."""

from __future__ import annotations

from pathlib import Path

from docexec.core.config import EngineSpec, Settings
from docexec.page.model import Page
from docexec.store import recording

OBTAINED = ".obtained"  # the drift check's obtained outputs, for review (ignored by git): never recordings


def used(snippets_dir: Path, pages: list[Page]) -> set[Path]:
    """Every file the executed blocks of `pages` are recorded in."""
    files: set[Path] = set()
    for page in pages:
        if not page.executed:
            continue
        folder = recording.page_folder(snippets_dir, page.name)
        files.add(folder / recording.META)
        files.update(folder / f"{b.id}.txt" for b in page.executed)
        files.update(recording.cast_path(snippets_dir, page.name, b.id) for b in page.executed if b.kind == "session")
    return files


def unused(settings: Settings, spec: EngineSpec, pages: list[Page]) -> list[Path]:
    """The files under the engine's snippets folder that no page of `pages` (those that run on it) uses; a page
    folder none of whose files is used is given as the folder. Other engines' folders inside it are theirs."""
    root = spec.snippets_dir
    others = [e.snippets_dir for e in settings.engines if e.snippets_dir != root and root in e.snippets_dir.parents]
    wanted = used(root, pages)
    folders = {p.parent for p in wanted}
    found: set[Path] = set()
    for path in sorted(root.rglob("*")) if root.is_dir() else ():
        if not path.is_file() or path in wanted or path.name.endswith(OBTAINED):
            continue
        if any(other == path or other in path.parents for other in others):
            continue
        folder = path.parent
        whole = folder != root and not any(f == folder or folder in f.parents for f in folders)
        found.add(folder if whole else path)
    return sorted(p for p in found if not any(q in p.parents for q in found))
