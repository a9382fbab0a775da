"""exec="file": the block's text is a file the reader would make in their editor (a compose.yaml, a Dockerfile),
written to `path` in the page's working folder on the block's host before the next blocks run:

    ```yaml exec="file" id="compose-file" path="compose.yaml"
    services:
      web:
        image: busybox
    ```

It shows as an ordinary code block of its language, titled with its path, whose copy button copies the file. It
holds no commands (page.kinds): its one command stands for the write, as `cat > PATH` (what its recording and
reports name); it prints nothing and ends with 0, so its recording is that line alone, and it changes only when the
path does (the file's text is in the block's digest: a changed file makes the page stale).

The file is written from this machine into the host's working folder as this machine reaches it (Host.folder: a
lab host's /lab through its PID 1's root, or the shared daemon's page folder), with no program started in the host:
one way for both, and no shell quoting of the text. Absolute symlinks below that folder would resolve on this
machine, so nothing below it is followed (each folder opened with O_NOFOLLOW, the file renamed into place): a link
the page made is refused, whatever it points to.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shlex
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

from docexec.core.errors import PageError
from docexec.kinds.base import Kind, refused_option
from docexec.page.kinds import register
from docexec.page.model import Block, Command
from docexec.render.kinds import Code, escape
from docexec.render.wording import Labels
from docexec.run.runner import Commands, Result
from docexec.store.recording import CommandRecord

MAX_BYTES = 64 * 1024  # a file a reader types or pastes; anything larger belongs in images/
MAX_NAME = 255  # bytes of one file or folder name (Linux's NAME_MAX)
REFUSED = {  # options that mean nothing for a file, and why
    "returncode": "writing a file has no exit code",
    "volatile": "a file has no output to ignore parts of",
    "retry": "a file is written once",
    "timeout": "writing a file takes no time worth a limit",
}
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class FileKind(Kind):
    name = "file"
    holds_commands = False
    options: ClassVar[Mapping[str, str]] = {"path": "where the block's text is written, relative to the page's "
                                                    "working folder"}
    html_class = "docexec-file"

    def check_options(self, given: Mapping[str, str]) -> str | None:
        problem = refused_option(self.name, given, REFUSED)
        if problem:
            return problem
        if "path" not in given:
            return ('exec="file" needs path="..." naming the file in the page\'s working folder, e.g. '
                    'path="compose.yaml"')
        return path_problem(given["path"])

    def text_command(self, text: str, options: Mapping[str, object]) -> str:
        size = len(text.encode("utf-8"))
        if size > MAX_BYTES:
            raise ValueError(f'the file is {size} bytes; exec="file" writes at most {MAX_BYTES // 1024} KiB (a larger '
                             "file belongs in a lesson image, under images/)")
        return f"cat > {shlex.quote(str(options['path']))}"

    def run(self, commands: Commands, block: Block, command: Command, timeout: float) -> Result:
        """Write the file in the working folder of the block's host; nothing runs, nothing is printed."""
        assert block.path is not None, "read_options checked it"
        try:
            write_beneath(commands.host(block).folder, block.path, block.text)
        except OSError as exc:
            raise PageError(commands.where, command.line, f"cannot write {block.path}: {exc.strerror or exc}") \
                from None
        return Result("", 0, 0.0)

    def code(self, block: Block, records: list[CommandRecord] | None, root_vars: frozenset[str]) -> Code:
        """The file's text, highlighted as its language (plain when Pygments does not know it), copied whole."""
        return Code(_highlighted(block.text, block.lang), block.text, block.lang, block.title or block.path)

    def note(self, block: Block, labels: Labels) -> str | None:
        return labels.file.format(path=block.path)


def path_problem(path: str) -> str | None:
    """What is wrong with a file's path (None: nothing): it must name a file below the page's working folder,
    folder by folder, in plain names."""
    if not path:
        return 'path="" names no file'
    if path.startswith("/"):
        return f'path="{path}" is absolute: name the file relative to the page\'s working folder, e.g. "compose.yaml"'
    for name in path.split("/"):
        if name in ("", ".", ".."):
            return (f'path="{path}" has an empty name, "." or "..": name the file and its folders below the page\'s '
                    'working folder, e.g. "app/Dockerfile"')
        if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
            return f"path={path!r} has a control character"
        if len(name.encode("utf-8")) > MAX_NAME:
            return f'path="{path}": a name is longer than {MAX_NAME} bytes'
    return None


def write_beneath(folder: Path, path: str, text: str) -> None:
    """Write `text` (as UTF-8) to the relative `path` below `folder`, making its folders (0755) on the way. Nothing
    below `folder` is followed: a folder on the way that is a symbolic link (or not a folder) is refused, and so is
    a link where the file goes; the file (0644) is written beside its place and renamed there, so it never writes
    through whatever was there. Raises OSError (ELOOP: a link; ENOTDIR, EISDIR: not a folder, a folder)."""
    problem = path_problem(path)
    if problem:
        raise OSError(errno.EINVAL, problem)
    *folders, name = path.split("/")
    fd = os.open(folder, _DIRECTORY)
    try:
        for n, part in enumerate(folders):
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            try:
                inner = os.open(part, _DIRECTORY, dir_fd=fd)
            except OSError as exc:
                raise _refused(exc, "/".join(folders[:n + 1]), "folder") from None
            os.close(fd)
            fd = inner
        try:
            there = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            there = 0
        if stat.S_ISLNK(there):
            raise OSError(errno.ELOOP, f"{path} is a symbolic link: exec=\"file\" replaces no link")
        if stat.S_ISDIR(there):
            raise OSError(errno.EISDIR, f"{path} is a folder")
        _replace(fd, name, text.encode("utf-8"))
    finally:
        os.close(fd)


def _replace(fd: int, name: str, data: bytes) -> None:
    """Put `data` in the file `name` of the folder `fd` in one step: a new file beside it, renamed over it."""
    tmp = f".docexec-{secrets.token_hex(8)}.tmp"
    out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=fd)
    try:
        with os.fdopen(out, "wb") as fh:
            fh.write(data)
            os.fchmod(fh.fileno(), 0o644)  # whatever the umask
        os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=fd)
        raise


def _refused(exc: OSError, where: str, what: str) -> OSError:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
        return OSError(exc.errno, f"{where} is a symbolic link or not a {what}: exec=\"file\" writes only inside the "
                                  "page's working folder and follows no link")
    return exc


def _highlighted(text: str, lang: str) -> str:
    """The text as HTML, coloured as Pygments colours `lang` (the classes Material styles), without its last
    newline; tabs kept (Python-Markdown would expand a literal one)."""
    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return escape(text.removesuffix("\n"))
    lexer.stripnl = False  # keep leading and trailing blank lines: the file is shown exactly
    lexer.ensurenl = False
    return str(highlight(text, lexer, HtmlFormatter(nowrap=True))).removesuffix("\n").replace("\t", "&#9;")


FILE = register(FileKind())
