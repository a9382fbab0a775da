"""A book's recordings on one engine, as one object: the RecordingStore. What every other layer asks of snippets/
goes through it, once per page: a recording to render or check (`load`), whether it is current (`status`,
`changed_blocks`, `edited_files`), a new one to keep (`save`), the drift check's obtained transcripts (`obtained`,
`keep_obtained`, `drop_obtained`) and the recordings no page uses (`unused`).

Like a snapshot library's extension, it is four parts: the file format (recording.py: transcripts, metadata and
their checksums), the comparator (`comparable` and `same_outputs` below: what may move between two runs without
the recording changing), the storage (this class: where each file is, written only when its content changes) and
the report (`Saved`: what a save changed, the text before and after; unused.py: what no page uses).

The rule of `save`: a page recorded again whose new outputs normalise to the stored ones (only volatile fields
moved), on an engine of the same kind, keeps its reviewed files byte for byte, the engine facts they were recorded
with included; only the page hash is refreshed if the page changed. Where only some blocks changed (one added, say),
the others keep their files byte for byte all the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from docexec.core.config import EngineSettings, Settings
from docexec.core.errors import RecordingError
from docexec.page.model import Block, Page
from docexec.store import recording, unused
from docexec.store.blockfiles import record_path
from docexec.store.normalize import normalize
from docexec.store.recording import CommandRecord, PageRecording, Status

TEXTS = (".txt", ".cast", ".json")  # a page folder's files that are shown in a report of what changed


@dataclass(frozen=True)
class NewRecording:
    """A page's outputs as a run just obtained them, to save: its hashes (page and shared context), each block's
    records, and the facts of the engine that ran it."""

    digest: str
    context: str
    blocks: dict[str, list[CommandRecord]]
    engine: dict[str, str]


@dataclass(frozen=True)
class Change:
    """A transcript or replay a save changed: its name in the page folder, its text before and after ("": none)."""

    name: str
    before: str
    after: str


@dataclass(frozen=True)
class Saved:
    """What a save did: whether the stored outputs were kept (only volatile fields moved), the files it wrote or
    removed, the transcripts and replays among them with their text before and after, and the recording now."""

    kept: bool
    changed: tuple[Path, ...]
    changes: tuple[Change, ...]
    stored: PageRecording | None

    @property
    def outcome(self) -> Literal["written", "kept", "unchanged"]:
        """unchanged: no file changed; kept: the old outputs stayed, their metadata changed; written: new outputs."""
        return "unchanged" if not self.changed else "kept" if self.kept else "written"


class RecordingStore:
    """The recordings under one engine's snippets folder. `nested`: other engines' snippets folders inside it,
    which are theirs (never reported as unused here)."""

    def __init__(self, snippets_dir: Path, nested: Iterable[Path] = ()) -> None:
        self.root = snippets_dir
        self.nested = tuple(nested)

    @classmethod
    def for_engine(cls, settings: Settings, engine: EngineSettings) -> RecordingStore:
        """The store of `engine`'s recordings, beside the book's other engines (whose folders may sit inside it)."""
        root = engine.snippets_dir
        return cls(root, [e.snippets_dir for e in settings.engines if e.snippets_dir != root
                          and root in e.snippets_dir.parents])

    def folder(self, page: str) -> Path:
        return recording.page_folder(self.root, page)

    def cast_path(self, page: str, block_id: str) -> Path:
        """A session block's replay (asciicast)."""
        return recording.cast_path(self.root, page, block_id)

    def meta(self, page: str) -> dict[str, object] | None:
        """The page's metadata as written (None: never recorded); RecordingError when it is unreadable."""
        return recording.read_meta(self.root, page)

    def load(self, page: Page) -> PageRecording | None:
        """The page's recording, split per command (None: none); RecordingError when its files disagree."""
        return recording.load(self.root, page)

    def status(self, page: Page, digest: str) -> Status:
        return recording.status(self.root, page, digest)

    def changed_blocks(self, page: Page, context: str) -> frozenset[str] | None:
        """Of a stale page: the blocks that changed since it was recorded (None: the whole page)."""
        return recording.changed_blocks(self.root, page, context)

    def edited_files(self, page: Page) -> list[Path]:
        """The page's transcripts and replays changed by hand after they were recorded (their sha256 differs)."""
        return recording.edited_files(self.root, page)

    def output_at(self, page: str, block: Block, records: list[CommandRecord], index: int) -> tuple[Path, int]:
        """A block's transcript, and the line where the output of its command `index` starts."""
        return record_path(self.folder(page), block), recording.line_of_output(block, records, index)

    def save(self, page: Page, new: NewRecording) -> Saved:
        """Keep a page's new recording: its outputs, except those of blocks where only volatile fields moved since
        the stored one, whose stored files stay byte for byte (a session's new byte stream and a new picture go
        along: a replay or picture is rewritten only if missing or if what it shows changed). When that is every
        block, the page keeps its recording's date and engine facts too."""
        old = self._previous(page)
        blocks, engine = new.blocks, new.engine
        same = frozenset(b.id for b in page.executed if old is not None and comparable(old.engine) ==
                         comparable(engine) and same_block(old, blocks, b))
        kept = old is not None and same == {b.id for b in page.executed}
        if old is not None and same:
            blocks = {block_id: [dataclasses.replace(o, events=n.events, figure=n.figure)
                                 for o, n in zip(old.blocks[block_id], records, strict=True)]
                      if block_id in same else records for block_id, records in blocks.items()}
        if old is not None and kept:
            recorded, engine = old.recorded, old.engine
        else:
            recorded = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        folder = self.folder(page.name)
        before = {p.name: _text(p) for p in sorted(folder.iterdir()) if _shown(p)} if folder.is_dir() else {}
        changed = recording.write(self.root, page, new.digest, blocks, engine, recorded, new.context)
        changes = tuple(Change(name, before.get(name, ""), _text(folder / name))
                        for name in sorted(p.name for p in changed if _shown(p)))
        return Saved(kept, tuple(changed), changes, self.load(page))

    def _previous(self, page: Page) -> PageRecording | None:
        """The recording a new one is compared with: none when it is broken, unreadable or edited by hand, which
        a new recording simply replaces."""
        try:
            old = self.load(page)
        except RecordingError:
            return None
        return None if old is None or old.edited else old

    def obtained(self, page: str, block_id: str, variant: str | None = None) -> Path:
        """Where the drift check leaves a drifted block's transcript as it obtained it, for review, beside its
        recording (ignored by git); `variant`: another CLI than the recording one."""
        suffix = unused.OBTAINED if variant is None else f".{variant}{unused.OBTAINED}"
        return self.folder(page) / f"{block_id}{suffix}"

    def keep_obtained(self, page: str, block: Block, records: list[CommandRecord], variant: str | None = None) -> Path:
        path = self.obtained(page, block.id, variant)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(recording.transcript(block, records), encoding="utf-8")
        return path

    def drop_obtained(self, page: str, block_id: str, variant: str | None = None) -> None:
        """The block passed again: its obtained transcript goes."""
        self.obtained(page, block_id, variant).unlink(missing_ok=True)

    def unused(self, pages: list[Page]) -> list[Path]:
        """The files here that no page of `pages` (those that run on this engine) uses; a page folder none of
        whose files is used is given as the folder."""
        return unused.unused(self.root, self.nested, pages)


def _shown(path: Path) -> bool:
    """Whether a save's report shows the file's text: a block's transcript, replay or data, not the metadata."""
    return path.suffix in TEXTS and path.name != recording.META


def _text(path: Path) -> str:
    """A transcript or replay as text ("": there is none)."""
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


# The engine facts that make two recordings comparable: the same Docker Engine (version, API), the same OS it
# reports, the same docker CLI, and the same way of running (a lab or the shared daemon; the page's hosts). The
# other facts are written for information only: the kernel's build string differs between machines of the same
# kind (6.18.44-fc-v669 here, -v1272 there), and the storage driver and cgroup version are properties of the
# machine the lab runs on, not of the engine. Whatever any of them changes in what a reader sees shows in the
# outputs themselves, which same_outputs compares; a difference in them alone must not rewrite reviewed recordings.
COMPARABLE = ("engine", "api", "os", "client", "mode", "hosts")


def comparable(engine: dict[str, str]) -> dict[str, str]:
    """The facts of a recording's engine that two recordings must share to be compared (COMPARABLE)."""
    return {key: engine[key] for key in COMPARABLE if key in engine}


def same_outputs(old: PageRecording, new: dict[str, list[CommandRecord]], page: Page) -> bool:
    """Whether every executed block ran the same commands with the same exit codes, and outputs that normalise
    to the same text (only volatile fields moved)."""
    return all(same_block(old, new, block) for block in page.executed)


def same_block(old: PageRecording, new: dict[str, list[CommandRecord]], block: Block) -> bool:
    """Whether the block ran the same commands with the same exit codes as recorded, and outputs that normalise
    to the same text."""
    before, after = old.blocks.get(block.id), new.get(block.id)
    if before is None or after is None or len(before) != len(after):
        return False
    return all(a.command == b.command and a.returncode == b.returncode
               and normalize(a.output, block.volatile) == normalize(b.output, block.volatile)
               for a, b in zip(before, after, strict=True))
