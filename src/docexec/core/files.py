"""Writing a file in one step: whoever reads it sees the old content or the new, never a half-written file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int | None = None, fsync: bool = False,
                  make_dirs: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write `path`'s new content into: a temporary file beside it (`.NAME.XXXXXXXX.tmp`, in the
    same folder so that the rename stays on one file system), which replaces `path` in one step when the block ends
    and is removed when the block (or the replacing) raises. `mode`: the permissions it ends with (otherwise the
    temporary file's own, 0600); `fsync`: on disk before it replaces `path`; `make_dirs`: create the folder first."""
    if make_dirs:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None, fsync: bool = False,
                 make_dirs: bool = False) -> None:
    """Replace `path`'s content with `data` in one step (text as UTF-8, its line ends as they are); see
    atomic_writer for the rest."""
    with atomic_writer(path, mode=mode, fsync=fsync, make_dirs=make_dirs) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
