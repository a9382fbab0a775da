"""Recordings on disk: transcripts that read back exactly, staleness, atomic and minimal writes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from docexec import CommandRecord, RecordingError, parse_page
from docexec.store import recording

PAGE = parse_page("a/b.md", '```console exec="docker" id="x"\n$ docker ps\n$ docker exec web \\\n  cat /f\n```\n')
ENGINE = {"engine": "20.10.24", "client": "28.2.2"}
TRICKY = "$ docker ps\nlooks like a command\n\nno newline at the end"


def results(second: str = TRICKY) -> dict[str, list[CommandRecord]]:
    return {"x": [CommandRecord("docker ps", "NAMES\n", 0, 0.1),
                  CommandRecord("docker exec web cat /f", second, 1, 0.2)]}


def test_round_trip_keeps_outputs_exact_even_when_they_look_like_commands(tmp_path: Path) -> None:
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    text = (tmp_path / "a" / "b" / "x.txt").read_text()
    assert text == "$ docker ps\nNAMES\n$ docker exec web \\\n  cat /f\n" + TRICKY + "\n"
    stored = recording.load(tmp_path, PAGE)
    assert stored is not None
    assert [r.output for r in stored.blocks["x"]] == ["NAMES\n", TRICKY + "\n"]
    assert [r.returncode for r in stored.blocks["x"]] == [0, 1]
    assert stored.engine == ENGINE


def test_status_follows_the_hash_and_the_files(tmp_path: Path) -> None:
    assert recording.status(tmp_path, PAGE, "h1") == "missing"
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    assert recording.status(tmp_path, PAGE, "h1") == "current"
    assert recording.status(tmp_path, PAGE, "h2") == "stale"
    (tmp_path / "a" / "b" / "x.txt").unlink()
    assert recording.status(tmp_path, PAGE, "h1") == "missing"


def test_unchanged_content_is_not_rewritten(tmp_path: Path) -> None:
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "a" / "b").iterdir()}
    assert recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z") == []
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "a" / "b").iterdir()} == before
    changed = recording.write(tmp_path, PAGE, "h1", results("other\n"), ENGINE, "2026-11-27T00:00:00Z")
    assert [p.name for p in changed] == ["x.txt", "_page.json"]


def test_files_are_readable_and_no_temp_file_is_left(tmp_path: Path) -> None:
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    folder = tmp_path / "a" / "b"
    assert sorted(p.name for p in folder.iterdir()) == ["_page.json", "x.txt"]
    assert oct((folder / "x.txt").stat().st_mode & 0o777) == "0o644"


def test_a_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    old = (tmp_path / "a" / "b" / "x.txt").read_text()

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        recording.write(tmp_path, PAGE, "h1", results("new\n"), ENGINE, "2026-11-27T00:00:00Z")
    assert (tmp_path / "a" / "b" / "x.txt").read_text() == old
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == ["_page.json", "x.txt"]


def test_transcripts_of_removed_blocks_are_deleted(tmp_path: Path) -> None:
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    (tmp_path / "a" / "b" / "gone.txt").write_text("$ docker ps\n")
    changed = recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    assert [p.name for p in changed] == ["gone.txt"]
    assert not (tmp_path / "a" / "b" / "gone.txt").exists()


def test_a_transcript_edited_out_of_shape_is_reported(tmp_path: Path) -> None:
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    path = tmp_path / "a" / "b" / "x.txt"
    path.write_text(path.read_text() + "one more line\n")
    with pytest.raises(RecordingError, match="more lines than its metadata"):
        recording.load(tmp_path, PAGE)
    path.write_text("NAMES\n" + path.read_text())
    with pytest.raises(RecordingError, match="should be the command"):
        recording.load(tmp_path, PAGE)
    (tmp_path / "a" / "b" / "_page.json").write_text("{not json")
    with pytest.raises(RecordingError, match="unreadable"):
        recording.load(tmp_path, PAGE)


def test_metadata_holds_what_the_issue_asks_for(tmp_path: Path) -> None:
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    meta = json.loads((tmp_path / "a" / "b" / "_page.json").read_text())
    assert meta["hash"] == "h1" and meta["engine"] == ENGINE and meta["recorded"].startswith("2026")
    assert [c["returncode"] for c in meta["blocks"]["x"]] == [0, 1]
    assert all("duration" in c for c in meta["blocks"]["x"])


def test_line_of_output_points_into_the_transcript() -> None:
    block = PAGE.blocks[0]
    records = results()["x"]
    assert recording.line_of_output(block, records, 0) == 2
    assert recording.line_of_output(block, records, 1) == 5


# --------------------------------------------------------------------------------------------------
# terminal sessions: where each line was typed, and the asciicast beside the transcript

SESSION = parse_page("s.md", '```console exec="session" id="t"\n'
                             '$ docker attach m\n> echo hi\n> <Ctrl-P><Ctrl-Q>\n```\n')


def session(events: tuple = ((0.2, "o", "/ # "), (0.9, "i", "echo hi"), (1.0, "o", "echo hi\r\nhi\r\n/ # "),  # type: ignore[type-arg]
                             (1.5, "i", "<Ctrl-P><Ctrl-Q>"), (1.6, "o", "read escape sequence\r\n"))
            ) -> dict[str, list[CommandRecord]]:
    return {"t": [CommandRecord("docker attach m", "/ # echo hi\nhi\n/ # read escape sequence\n", 1, 1.7,
                                ((0, 4), (2, 4)), events)]}


def test_a_session_keeps_where_lines_were_typed_and_writes_a_cast(tmp_path: Path) -> None:
    recording.write(tmp_path, SESSION, "h", session(), ENGINE, "2026-11-27T00:00:00Z")
    stored = recording.load(tmp_path, SESSION)
    assert stored is not None
    (record,) = stored.blocks["t"]
    assert record.typed_at == ((0, 4), (2, 4)) and record.events == ()
    cast = recording.cast_path(tmp_path, "s.md", "t")
    lines = cast.read_text().splitlines()
    assert json.loads(lines[0])["version"] == 2
    assert json.loads(lines[1]) == [0.0, "o", "$ docker attach m\r\n"]
    assert json.loads(lines[-2])[1:] == ["m", "Ctrl+P Ctrl+Q"]
    assert recording.status(tmp_path, SESSION, "h") == "current"
    cast.unlink()
    assert recording.status(tmp_path, SESSION, "h") == "missing", "a session's replay is part of its recording"


def test_a_cast_is_rewritten_only_when_what_it_shows_changes(tmp_path: Path) -> None:
    recording.write(tmp_path, SESSION, "h", session(), ENGINE, "2026-11-27T00:00:00Z")
    cast = recording.cast_path(tmp_path, "s.md", "t")
    first = cast.read_text()
    slower = tuple((t * 3, k, d) for t, k, d in session()["t"][0].events)
    assert recording.write(tmp_path, SESSION, "h", session(slower), ENGINE, "2026-11-27T00:00:00Z") == []
    assert cast.read_text() == first
    read_back = recording.load(tmp_path, SESSION)
    assert read_back is not None and recording.write(tmp_path, SESSION, "h", read_back.blocks, ENGINE,
                                                     "2026-11-27T00:00:00Z") == []
    assert cast.read_text() == first, "records read back carry no stream: the cast stays"
    other = ((0.2, "o", "/ # "), (0.9, "i", "echo hi"), (1.0, "o", "echo hi\r\nho\r\n/ # "))
    assert cast in recording.write(tmp_path, SESSION, "h", session(other), ENGINE, "2026-11-27T00:00:00Z")


def test_a_cast_whose_block_is_gone_is_removed(tmp_path: Path) -> None:
    recording.write(tmp_path, SESSION, "h", session(), ENGINE, "2026-11-27T00:00:00Z")
    plain = parse_page("s.md", '```console exec="docker" id="t"\n$ docker ps\n```\n')
    changed = recording.write(tmp_path, plain, "h2", {"t": [CommandRecord("docker ps", "", 0, 0.1)]}, ENGINE,
                              "2026-11-27T00:00:00Z")
    assert recording.cast_path(tmp_path, "s.md", "t") in changed
    assert not recording.cast_path(tmp_path, "s.md", "t").exists()
TWO = '```console exec="docker" id="x"\n$ docker ps\n$ docker exec web \\\n  cat /f\n```\n\n' \
      '```console exec="docker" id="y"\n$ docker network ls\n```\n'


def two_results() -> dict[str, list[CommandRecord]]:
    """As a real recording has them: every command ended with its block's exit code."""
    return {"x": [CommandRecord("docker ps", "NAMES\n", 0, 0.1),
                  CommandRecord("docker exec web cat /f", "a\n", 0, 0.1)],
            "y": [CommandRecord("docker network ls", "NETWORK ID\n", 0, 0.1)]}


def test_a_stale_page_knows_which_blocks_changed(tmp_path: Path) -> None:
    page = parse_page("a/b.md", TWO)
    recording.write(tmp_path, page, "h1", two_results(), ENGINE, "2026-11-27T00:00:00Z", "c1")
    meta = json.loads((tmp_path / "a" / "b" / "_page.json").read_text())
    assert list(meta)[-3:] == ["block_hashes", "context_hash", "sha256"], "new keys last: small diffs, easy merges"
    assert recording.changed_blocks(tmp_path, page, "c1") == frozenset()
    edited = parse_page("a/b.md", TWO.replace("network ls", "network ls -q"))
    assert recording.changed_blocks(tmp_path, edited, "c1") == frozenset({"y"})
    # A block's options that decide its output count too, not only its commands.
    assert recording.changed_blocks(tmp_path, parse_page("a/b.md", TWO.replace('id="y"', 'id="y" returncode="1"')),
                                    "c1") == frozenset({"y"})
    added = parse_page("a/b.md", TWO + '\n```console exec="docker" id="z"\n$ docker ps\n```\n')
    assert recording.changed_blocks(tmp_path, added, "c1") == frozenset({"z"})
    # Another image or other hosts change every block's output: the whole page.
    assert recording.changed_blocks(tmp_path, edited, "c2") is None
    # Only a block removed: none of the remaining blocks is marked.
    assert recording.changed_blocks(tmp_path, PAGE, "c1") == frozenset()


def test_recordings_without_block_hashes_compare_the_commands(tmp_path: Path) -> None:
    """Recordings written before block hashes existed: the commands and exit codes in their metadata tell."""
    page = parse_page("a/b.md", TWO)
    recording.write(tmp_path, page, "h1", two_results(), ENGINE, "2026-11-27T00:00:00Z")
    meta = json.loads((tmp_path / "a" / "b" / "_page.json").read_text())
    assert "block_hashes" not in meta and "context_hash" not in meta
    edited = parse_page("a/b.md", TWO.replace("cat /f", "cat /g"))
    assert recording.changed_blocks(tmp_path, edited, "c1") == frozenset({"x"})
    assert recording.status(tmp_path, edited, "h2") == "stale" and recording.status(tmp_path, page, "h1") == "current"
    # Nothing to tell from the commands (an image changed, say): the whole page.
    assert recording.changed_blocks(tmp_path, page, "c1") is None


# --------------------------------------------------------------------------------------------------
# content hashes: a transcript edited by hand is told from a recorded one


def test_each_transcript_and_replay_has_its_sha256(tmp_path: Path) -> None:
    recording.write(tmp_path, SESSION, "h", session(), ENGINE, "2026-11-27T00:00:00Z")
    meta = json.loads((tmp_path / "s" / "_page.json").read_text())
    assert sorted(meta["sha256"]) == ["t.cast", "t.txt"]
    assert meta["sha256"]["t.txt"] == hashlib.sha256((tmp_path / "s" / "t.txt").read_bytes()).hexdigest()
    stored = recording.load(tmp_path, SESSION)
    assert stored is not None and stored.edited == frozenset() and recording.edited_files(tmp_path, SESSION) == []


def test_a_transcript_edited_by_hand_is_marked_not_trusted(tmp_path: Path) -> None:
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    path = tmp_path / "a" / "b" / "x.txt"
    path.write_text(path.read_text().replace("NAMES", "NAMEZ"))  # same lines: the metadata cannot tell
    stored = recording.load(tmp_path, PAGE)
    assert stored is not None and stored.edited == {"x"} and stored.edited_files == (path,)
    assert recording.edited_files(tmp_path, PAGE) == [path]
    path.write_text(path.read_text() + "one more line\n")
    with pytest.raises(RecordingError, match="was edited by hand after it was recorded"):
        recording.load(tmp_path, PAGE)


def test_a_replay_edited_by_hand_marks_its_block(tmp_path: Path) -> None:
    recording.write(tmp_path, SESSION, "h", session(), ENGINE, "2026-11-27T00:00:00Z")
    cast = recording.cast_path(tmp_path, "s.md", "t")
    cast.write_text(cast.read_text().replace("hi", "ho"))
    stored = recording.load(tmp_path, SESSION)
    assert stored is not None and stored.edited == {"t"} and recording.edited_files(tmp_path, SESSION) == [cast]


def test_recordings_without_hashes_stay_valid(tmp_path: Path) -> None:
    recording.write(tmp_path, PAGE, "h1", results(), ENGINE, "2026-11-27T00:00:00Z")
    meta_path = tmp_path / "a" / "b" / "_page.json"
    meta = json.loads(meta_path.read_text())
    del meta["sha256"]
    meta_path.write_text(json.dumps(meta))
    stored = recording.load(tmp_path, PAGE)
    assert stored is not None and stored.edited == frozenset() and recording.status(tmp_path, PAGE, "h1") == "current"
