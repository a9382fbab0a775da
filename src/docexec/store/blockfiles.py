"""One block's recorded files, and how its records are written into them and read back (recording.py keeps the
page's metadata and decides when): the transcript, ID.txt, each command after its `$ ` line; a session's replay,
ID.cast; for a kind whose blocks print data (page.kinds.ExecKind.data_suffix, exec="topology"), that one output as it
is, ID.json, and its picture, ID.svg (ExecKind.pictured)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from docexec.core.errors import RecordingError
from docexec.page.model import Block
from docexec.term.asciicast import Event


@dataclass(frozen=True)
class CommandRecord:
    command: str
    output: str
    returncode: int
    duration: float
    typed_at: tuple[tuple[int, int], ...] = ()  # exec="session": (line of output, column) of each `> ` line
    events: tuple[Event, ...] = ()  # exec="session", just recorded: the terminal's byte stream (not read back)
    figure: str = ""  # a pictured kind's picture (SVG): just drawn, or read back from ID.svg


def record_path(folder: Path, block: Block) -> Path:
    """The file a block's outputs are in: its transcript, or a data kind's output."""
    return folder / f"{block.id}{block.exec_kind.data_suffix or '.txt'}"


def figure_path(folder: Path, block: Block) -> Path:
    return folder / f"{block.id}.svg"


def files(folder: Path, block: Block, *, drawn: bool = True) -> list[Path]:
    """A block's recorded files: its outputs, a session's replay, a picture (`drawn`: with the picture, which a
    recording lacks where the lab could not draw it; the rest must be there)."""
    kind = block.exec_kind
    return [record_path(folder, block), *([folder / f"{block.id}.cast"] if kind.replay else []),
            *([figure_path(folder, block)] if kind.pictured and drawn else [])]


def transcript(block: Block, records: list[CommandRecord]) -> str:
    """The text of the block's outputs file: each command after its `$ ` line; a data kind's output alone."""
    if block.exec_kind.data_suffix:
        return "".join(with_newline(r.output) for r in records)
    parts = []
    for command, record in zip(block.commands, records, strict=True):
        parts.append(f"$ {command.display}\n")
        parts.append(with_newline(record.output))
    return "".join(parts)


def with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def entry(block: Block, command_lines: int, record: CommandRecord) -> dict[str, object]:
    """A command's entry in the page's metadata: what splits the outputs file back into records."""
    return {"command": record.command, "returncode": record.returncode, "duration": round(record.duration, 3),
            "command_lines": 0 if block.exec_kind.data_suffix else command_lines,
            "output_lines": len(with_newline(record.output).splitlines()),
            **({"typed_at": [list(at) for at in record.typed_at]} if block.exec_kind.typed_lines else {})}


def read(folder: Path, block: Block, entries: list[dict[str, object]]) -> list[CommandRecord]:
    """A block's records, read back from its files (RecordingError: they no longer match `entries`)."""
    path = record_path(folder, block)
    records = split(path, path.read_text(encoding="utf-8").splitlines(keepends=True), entries)
    picture = figure_path(folder, block)
    if block.exec_kind.pictured and records and picture.is_file():
        records[0] = replace(records[0], figure=picture.read_text(encoding="utf-8"))
    return records


def split(path: Path, lines: list[str], entries: list[dict[str, object]]) -> list[CommandRecord]:
    """An outputs file's lines cut into one record per command, as its metadata counts them."""
    records, pos = [], 0
    for entry in entries:
        prompt_lines, output_lines = int(entry["command_lines"]), int(entry["output_lines"])  # type: ignore[call-overload]
        head = "".join(lines[pos:pos + prompt_lines])
        if prompt_lines and not head.startswith("$ "):
            raise RecordingError(f"{path}: line {pos + 1} should be the command «$ {entry['command']}»; "
                                 "the transcript's lines no longer match its metadata: record the page again")
        pos += prompt_lines
        output = "".join(lines[pos:pos + output_lines])
        pos += output_lines
        typed_at = tuple((int(row), int(col)) for row, col in entry.get("typed_at", ()))  # type: ignore[attr-defined]
        records.append(CommandRecord(str(entry["command"]), output, int(entry["returncode"]),  # type: ignore[call-overload]
                                     float(entry.get("duration", 0.0)), typed_at))  # type: ignore[arg-type]
    if pos != len(lines):
        raise RecordingError(f"{path}: has {len(lines) - pos} more lines than its metadata describes; "
                             "record the page again")
    return records


def line_of_output(block: Block, records: list[CommandRecord], index: int) -> int:
    """1-based line in the block's outputs file where command `index`'s output starts."""
    line = 1
    for n, (command, record) in enumerate(zip(block.commands, records, strict=False)):
        line += 0 if block.exec_kind.data_suffix else command.display.count("\n") + 1
        if n == index:
            return line
        line += len(with_newline(record.output).splitlines())
    return line
