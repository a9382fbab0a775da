"""Writing a file in one step (core.files): the new content or the old one, never half of it, and no temporary
file left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from docexec.core.files import atomic_writer, write_atomic


def leftovers(folder: Path, *keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_text_and_bytes_are_written(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.txt", "ünï\ncode\r\n")
    write_atomic(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "a.txt").read_bytes() == "ünï\ncode\r\n".encode()  # UTF-8, line ends untouched
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    assert leftovers(tmp_path, "a.txt", "b.bin") == []


def test_an_existing_file_is_replaced_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old and longer")
    before = target.stat().st_ino
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_ino != before  # a new file took its place: a reader holding the old one still has it
    assert leftovers(tmp_path, "f") == []


def test_mode_fsync_and_folders(tmp_path: Path) -> None:
    target = tmp_path / "x" / "y" / "f"
    with pytest.raises(FileNotFoundError):
        write_atomic(target, "t")
    write_atomic(target, "t", mode=0o644, fsync=True, make_dirs=True)
    assert target.read_text() == "t"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    write_atomic(target, "u")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # without a mode: the temporary file's own, private
    assert leftovers(target.parent, "f") == []


def test_a_failure_while_writing_leaves_the_old_content_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_writer(target) as fh:
        fh.write(b"half of the new")
        fh.flush()
        assert leftovers(tmp_path, "f") != []  # the new content goes to a file beside it...
        assert target.read_text() == "old"  # ...not into the target
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert leftovers(tmp_path, "f") == []


def test_a_failure_before_there_is_a_target_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_writer(tmp_path / "f") as fh:
        fh.write(b"x")
        raise KeyboardInterrupt
    assert leftovers(tmp_path) == []


def test_a_failing_replace_removes_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.mkdir()  # a folder cannot be replaced by a file
    with pytest.raises(OSError):
        write_atomic(target, "x")
    assert leftovers(tmp_path, "f") == []
    assert target.is_dir()


def test_the_temporary_file_is_hidden_beside_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []
    real = os.replace

    def replace(src: str, dst: str | Path) -> None:
        seen.append((src, str(dst)))
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    write_atomic(tmp_path / "page.cast", "x")
    ((src, dst),) = seen
    assert Path(src).parent == tmp_path and Path(src).name.startswith(".page.cast.") and src.endswith(".tmp")
    assert dst == str(tmp_path / "page.cast")
