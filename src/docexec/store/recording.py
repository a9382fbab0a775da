"""Recorded outputs under snippets/: one transcript per block, one metadata file per page.

    snippets/network/bridge/bridge-three.txt     $ docker run ...  then its output, for each command
    snippets/network/bridge/_page.json           page hash, exit codes, durations, engine, date, block hashes,
                                                 and the sha256 of each transcript and replay as recorded
    snippets/modes/interactive/detach.cast       exec="session" blocks: the terminal's byte stream (asciicast v2)
    snippets/basics/veth/two-boxes-net.json      exec="topology" blocks: the measured network, as it is, and
    snippets/basics/veth/two-boxes-net.svg       its picture (a block's files: blockfiles.py)

Transcripts are plain UTF-8, meant to be read in `git diff`. The metadata counts each command's output lines, so
a transcript is split back into outputs exactly, whatever the output contains. A session's transcript holds, for
each command, the text its terminal showed; its metadata, where each `> ` line was typed on that screen.

The page hash alone decides whether a recording is current. The hash of each block (`block_hashes`) and of what
all blocks share (`context_hash`: images, hosts) say which blocks of a stale page changed, so that only those are
marked. Recordings written before these keys existed stay valid: for them the blocks' commands and exit codes,
which the metadata always held, are compared instead.

The sha256 of each file (`sha256`, written at record time) tells a transcript edited by hand from a real one:
such a block is loaded, but marked as edited (PageRecording.edited), never shown or checked as a real output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from docexec.core.errors import RecordingError
from docexec.core.files import write_atomic
from docexec.page.model import Block, Page
from docexec.store import blockfiles
from docexec.store.blockfiles import CommandRecord, entry, files, line_of_output, record_path, transcript
from docexec.store.normalize import normalize
from docexec.term.asciicast import asciicast, cast_text
from docexec.userland.debs import sha256

__all__ = ["FORMAT", "META", "CommandRecord", "PageRecording", "Status", "changed_blocks", "edited_files",
           "line_of_output", "load", "page_folder", "read_meta", "status", "transcript", "write"]
FORMAT = 1
META = "_page.json"
Status = Literal["current", "stale", "missing"]
RECORDED = (".txt", ".cast", ".json", ".svg")  # the suffixes of blocks' files (blockfiles): a stray one is removed


@dataclass(frozen=True)
class PageRecording:
    page: str
    digest: str
    recorded: str
    engine: dict[str, str]
    blocks: dict[str, list[CommandRecord]]
    edited: frozenset[str] = frozenset()  # blocks whose files differ from what was recorded (edited by hand)
    edited_files: tuple[Path, ...] = ()  # those files


def page_folder(snippets_dir: Path, page: str) -> Path:
    return snippets_dir / page.removesuffix(".md")


def cast_path(snippets_dir: Path, page: str, block_id: str) -> Path:
    """The asciicast of a session block."""
    return page_folder(snippets_dir, page) / f"{block_id}.cast"


def read_meta(snippets_dir: Path, page: str) -> dict[str, object] | None:
    path = page_folder(snippets_dir, page) / META
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RecordingError(f"{path}: unreadable ({exc}); record the page again") from None
    return data if isinstance(data, dict) else None


def status(snippets_dir: Path, page: Page, digest: str) -> Status:
    meta = read_meta(snippets_dir, page.name)
    if meta is None:
        return "missing"
    folder = page_folder(snippets_dir, page.name)
    if meta.get("hash") != digest or meta.get("format") != FORMAT:
        return "stale"
    if any(not path.is_file() for b in page.executed for path in files(folder, b, drawn=False)):
        return "missing"
    return "current"


def changed_blocks(snippets_dir: Path, page: Page, context: str) -> frozenset[str] | None:
    """The ids of the executed blocks whose commands (or options that decide their output) changed since the page
    was recorded, new blocks included; None when the change concerns the whole page (its images or hosts, or
    cannot be told: an old recording where no block's commands differ). An empty set: blocks were only removed
    or moved. Meaningful for a stale page."""
    meta = read_meta(snippets_dir, page.name)
    if meta is None:
        return None
    hashes = meta.get("block_hashes")
    if isinstance(hashes, dict):
        if meta.get("context_hash") != context:
            return None
        return frozenset(b.id for b in page.executed if hashes.get(b.id) != b.digest())
    recorded = meta.get("blocks")
    recorded = recorded if isinstance(recorded, dict) else {}
    changed = frozenset(b.id for b in page.executed if not _same_commands(b, recorded.get(b.id)))
    return changed or None


def _same_commands(block: Block, entries: object) -> bool:
    if not isinstance(entries, list) or len(entries) != len(block.commands):
        return False
    return all(isinstance(e, dict) and e.get("command") == c.text and e.get("returncode") == block.returncode
               for e, c in zip(entries, block.commands, strict=True))


def load(snippets_dir: Path, page: Page) -> PageRecording | None:
    """The page's recording, split per command; None when there is none. Raises RecordingError when the files
    do not agree with each other (edited by hand in a way that changed their line structure)."""
    meta = read_meta(snippets_dir, page.name)
    if meta is None:
        return None
    folder = page_folder(snippets_dir, page.name)
    blocks_meta = meta.get("blocks")
    if not isinstance(blocks_meta, dict):
        raise RecordingError(f"{folder / META}: has no blocks; record the page again")
    blocks: dict[str, list[CommandRecord]] = {}
    edited = _edited(folder, meta, page)
    for block in page.executed:
        entries = blocks_meta.get(block.id)
        path = record_path(folder, block)
        if not isinstance(entries, list) or not path.is_file():
            continue
        how = ("was edited by hand after it was recorded (it no longer matches its sha256 in _page.json)"
               if path in edited.get(block.id, ()) else "no longer matches its metadata")
        try:
            blocks[block.id] = blockfiles.read(folder, block, entries)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise RecordingError(f"{folder / META}: block {block.id}'s entries are malformed; record the page "
                                 "again") from None
        except RecordingError as exc:
            raise RecordingError(f"{exc} ({path.name} {how})") from None
    return PageRecording(page=page.name, digest=str(meta.get("hash")), recorded=str(meta.get("recorded")),
                         engine=dict(meta.get("engine") or {}),  # type: ignore[call-overload]
                         blocks=blocks, edited=frozenset(edited),
                         edited_files=tuple(p for paths in edited.values() for p in paths))


def edited_files(snippets_dir: Path, page: Page) -> list[Path]:
    """The page's transcripts and replays that were changed after they were recorded: their content no longer
    has the sha256 written beside it. Recordings made before these hashes existed have none to tell."""
    meta = read_meta(snippets_dir, page.name)
    if meta is None:
        return []
    return [p for paths in _edited(page_folder(snippets_dir, page.name), meta, page).values() for p in paths]


def _edited(folder: Path, meta: dict[str, object], page: Page) -> dict[str, list[Path]]:
    hashes = meta.get("sha256")
    if not isinstance(hashes, dict):
        return {}
    found: dict[str, list[Path]] = {}
    for block in page.executed:
        for path in files(folder, block):
            if path.is_file() and hashes.get(path.name) != sha256(path):
                found.setdefault(block.id, []).append(path)
    return found


def write(snippets_dir: Path, page: Page, digest: str, results: dict[str, list[CommandRecord]],
          engine: dict[str, str], recorded: str, context: str | None = None) -> list[Path]:
    """Write the page's transcripts, then its metadata, each atomically; remove transcripts of blocks that are
    gone. Returns the files whose content changed."""
    folder = page_folder(snippets_dir, page.name)
    folder.mkdir(parents=True, exist_ok=True)
    changed: list[Path] = []
    blocks_meta: dict[str, list[dict[str, object]]] = {}
    for block in page.executed:
        records = results[block.id]
        if _write_if_changed(record_path(folder, block), transcript(block, records)):
            changed.append(record_path(folder, block))
        blocks_meta[block.id] = [entry(block, c.display.count("\n") + 1, r)
                                 for c, r in zip(block.commands, records, strict=True)]
        if block.exec_kind.replay and _write_cast(folder / f"{block.id}.cast", block, records):
            changed.append(folder / f"{block.id}.cast")
        figure = blockfiles.figure_path(folder, block)
        if block.exec_kind.pictured and records[0].figure and _write_if_changed(figure, records[0].figure):
            changed.append(figure)  # a record read back keeps the picture there (never drawn again from it)
    keep = {p.name for b in page.executed for p in files(folder, b)} | {META}
    for stray in folder.iterdir():
        if stray.name not in keep and stray.suffix in RECORDED:
            stray.unlink()
            changed.append(stray)
    meta: dict[str, object] = {"format": FORMAT, "page": page.name, "hash": digest, "recorded": recorded,
                               "engine": engine, "blocks": blocks_meta}
    if context is not None:  # last, so that a re-recorded page's diff shows them at the end
        meta["block_hashes"] = {b.id: b.digest() for b in page.executed}
        meta["context_hash"] = context
    # What was recorded, so that a transcript or replay edited by hand afterwards is told from a real one.
    meta["sha256"] = {p.name: sha256(p) for b in page.executed for p in files(folder, b) if p.is_file()}
    if _write_if_changed(folder / META, json.dumps(meta, indent=2, ensure_ascii=False) + "\n"):
        changed.append(folder / META)
    return changed


def _write_cast(path: Path, block: Block, records: list[CommandRecord]) -> bool:
    """Write a session's asciicast, unless the one there shows the same text (volatile fields aside): a replay
    changes in `git diff` only when what it shows does. Records read back from disk carry no byte stream: then
    the file there is kept as it is."""
    if not any(r.events for r in records) and path.is_file():
        return False
    cast = asciicast([(c.text, r.events) for c, r in zip(block.commands, records, strict=True)])
    try:
        old = path.read_text(encoding="utf-8")
        if normalize(cast_text(old), block.volatile) == normalize(cast_text(cast), block.volatile):
            return False
    except (FileNotFoundError, ValueError, IndexError):
        pass
    return _write_if_changed(path, cast)


def _write_if_changed(path: Path, text: str) -> bool:
    """Atomic replace, skipped when the content is the same (so `mkdocs serve` sees no change)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, text, mode=0o644, fsync=True)
    return True
