"""Recordings that no page uses: a page folder whose page is gone, a transcript whose block is gone. The drift
check reports them (RecordingStore.unused) after a run over the whole docs folder, and the test suite checks the
book has none."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from docexec.page.model import Page
from docexec.store import blockfiles, recording

OBTAINED = ".obtained"  # the drift check's obtained outputs, for review (ignored by git): never recordings


def used(snippets_dir: Path, pages: list[Page]) -> set[Path]:
    """Every file the executed blocks of `pages` are recorded in."""
    files: set[Path] = set()
    for page in pages:
        if not page.executed:
            continue
        folder = recording.page_folder(snippets_dir, page.name)
        files.add(folder / recording.META)
        files.update(path for b in page.executed for path in blockfiles.files(folder, b))
    return files


def unused(root: Path, others: Iterable[Path], pages: list[Page]) -> list[Path]:
    """The files under the snippets folder `root` that no page of `pages` (those that run on its engine) uses; a
    page folder none of whose files is used is given as the folder. `others`: other engines' folders inside it,
    which are theirs."""
    others = tuple(others)
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
