"""The note under a page's title: one short line (its outputs are real, on which engines, when), the full
provenance of each engine (version, API, client, storage driver) in a <details> the reader opens on demand, and,
when a recording is stale or was edited by hand, what is wrong, always shown.

The note sits between two HTML comments (NOTE_START, NOTE_END), whatever its markup: a site that describes a page
by its opening text (the book's overrides/main.html) cuts it out there. It is also left out of the search index
(`data-search-exclude`, Material's search): it is the same on every page."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from docexec.render.wording import ENGLISH, Labels
from docexec.store.recording import PageRecording

NOTE_START = "<!-- docexec-page-note -->"
NOTE_END = "<!-- /docexec-page-note -->"


@dataclass(frozen=True)
class EngineNote:
    """One engine's recording of the page, as its note tells it: `warning` is what is wrong with it ("" if
    nothing)."""

    stored: PageRecording
    stale: bool = False
    warning: str = ""


def engine_warning(stored: PageRecording, *, stale: bool, whole: bool = True, shown: int = 0,
                   labels: Labels = ENGLISH) -> str:
    """What a stale or hand-edited recording says: the whole page changed (its images or hosts), `shown` blocks
    changed (marked where they are), or only what the reader does not see (setup blocks, blocks removed)."""
    parts = []
    if stored.edited:
        parts.append(labels.page_edited.format(count=len(stored.edited)).strip())
    if stale and whole:
        parts.append(labels.page_stale.strip())
    elif stale and shown:
        parts.append(labels.page_stale_blocks.format(count=shown).strip())
    elif stale:
        parts.append(labels.page_stale_hidden.strip())
    return " ".join(parts)


def page_note(engines: Sequence[EngineNote], labels: Labels = ENGLISH) -> str:
    """The note for a page recorded on `engines` (newest first; at least one)."""
    dates = [e.stored.recorded[:10] for e in engines]
    line = labels.page_note.format(engines=labels.engines_joiner.join(_minor(e.stored) for e in engines),
                                   date=max(dates))
    details = "".join(f"<li>{_dated(_engine_line(e.stored, labels))}</li>" for e in engines)
    warned = [e for e in engines if e.warning]
    same = len(warned) == len(engines) and len({e.warning for e in warned}) == 1
    warnings = [e.warning if same or len(engines) == 1
                else labels.page_on_engine.format(engine=short_version(e.stored), text=e.warning) for e in warned]
    if same:
        warnings = warnings[:1]
    stale = " docexec-stale" if any(e.stale for e in engines) else ""
    parts = [NOTE_START, f'<div class="docexec-page-source{stale}" data-search-exclude>',
             f"<details><summary>{_dated(line)}</summary>",
             f'<div class="docexec-page-setup">{html.escape(labels.page_setup)}</div><ul>{details}</ul></details>',
             *(f'<p class="docexec-page-warning">{html.escape(w)}</p>' for w in warnings),
             "</div>", NOTE_END]
    return "\n".join(parts)


def _engine_line(stored: PageRecording, labels: Labels) -> str:
    engine = stored.engine
    return labels.page_engine.format(date=stored.recorded[:10], engine=engine.get("engine", "?"),
                                     api=engine.get("api", "?"), client=engine.get("client", "?"),
                                     storage_driver=engine.get("storage_driver", "?"))


def _dated(text: str) -> str:
    """Escaped, each date kept on one line."""
    return re.sub(r"\d{4}-\d{2}-\d{2}", r'<span class="docexec-date">\g<0></span>', html.escape(text))


def short_version(stored: PageRecording) -> str:
    """The engine's version without Debian's suffix: 28.5.2+dfsg4 -> 28.5.2."""
    return stored.engine.get("engine", "?").split("+")[0]


def _minor(stored: PageRecording) -> str:
    """The engine's major and minor version, as the book names its engines: 28.5.2+dfsg4 -> 28.5."""
    return ".".join(short_version(stored).split(".")[:2])
