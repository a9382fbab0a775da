"""Processes: a command line's programs started directly, connected by pipes, in one process group, with no
terminal and no stdin; what they print, kept up to a limit and made readable as a terminal would show it."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from docexec.core.errors import DocexecError
from docexec.core.signals import PROCESSES, kill_group


@dataclass(frozen=True)
class PipeResult:
    output: str  # what a terminal would show (stdout and stderr, interleaved)
    stdout: str  # with split_stdout: the last stage's stdout alone
    returncode: int
    timed_out: bool
    truncated: bool


def run_pipeline(argvs: list[list[str]], *, env: dict[str, str], cwd: Path, timeout: float, limit: int,
                 split_stdout: bool = False) -> PipeResult:
    """Start `argvs` connected by pipes, in one process group, with no terminal and no stdin.
    At the deadline the whole group is killed and what was printed so far is kept."""
    term_r, term_w = os.pipe()
    out_r, out_w = os.pipe() if split_stdout else (None, term_w)
    readers = [_Reader(term_r, limit)] + ([_Reader(out_r, limit)] if out_r is not None else [])
    for reader in readers:
        reader.thread.start()
    procs: list[subprocess.Popen[bytes]] = []
    previous: int | None = None
    try:
        for n, argv in enumerate(argvs):
            last = n == len(argvs) - 1
            read_end, write_end = (None, out_w) if last else os.pipe()
            try:
                procs.append(subprocess.Popen(
                    argv, stdin=previous if previous is not None else subprocess.DEVNULL, stdout=write_end,
                    stderr=term_w, env=env, cwd=cwd, process_group=0 if n == 0 else procs[0].pid,
                    close_fds=True))
                if n == 0:
                    PROCESSES.started(procs[0].pid)
            except FileNotFoundError:
                if not cwd.is_dir():
                    raise DocexecError(f"the page's working directory {cwd} disappeared while it ran") from None
                raise DocexecError(f"'{argv[0]}' is not installed on this machine") from None
            finally:
                if previous is not None:
                    os.close(previous)
                if not last:
                    os.close(write_end)
                previous = read_end  # closed once: by the next stage's start, or below
    except BaseException:
        # A stage that could not start: the ones already started are killed and reaped, not left running.
        _kill(procs)
        raise
    finally:
        os.close(term_w)
        if out_r is not None:
            os.close(out_w)
        if previous is not None:
            os.close(previous)
        if len(procs) < len(argvs):  # failed to start: every write end is closed now, so the readers end
            for r in readers:
                r.thread.join(timeout=5)
    deadline = time.monotonic() + timeout
    timed_out = False
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
            break
    if timed_out:
        _kill(procs)
    for r in readers:
        r.thread.join(timeout=5)
    PROCESSES.ended(procs[0].pid)
    code = procs[-1].returncode
    if code < 0:
        code = 128 - code
    term = readers[0]
    return PipeResult(output=term.text(), stdout=readers[1].text() if len(readers) > 1 else "",
                       returncode=124 if timed_out else code, timed_out=timed_out,
                       truncated=any(r.truncated for r in readers))


def _kill(procs: list[subprocess.Popen[bytes]]) -> None:
    """Kill the pipeline's process group and reap every process started in it."""
    if procs:
        kill_group(procs[0].pid)
        for proc in procs:
            proc.wait()
        PROCESSES.ended(procs[0].pid)


class _Reader:
    """Drain a pipe in a thread, keeping at most `limit` bytes."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd, self.limit = fd, limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.total = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)

    def _drain(self) -> None:
        with open(self.fd, "rb", buffering=0, closefd=True) as pipe:
            while chunk := pipe.read(65536):
                self.total += len(chunk)
                room = self.limit - self.size
                if room > 0:
                    self.chunks.append(chunk[:room])
                    self.size += min(room, len(chunk))

    @property
    def truncated(self) -> bool:
        return self.total > self.limit

    def text(self) -> str:
        text = clean_output(b"".join(self.chunks))
        if self.truncated:
            text += f"\n[docexec: output cut at {self.limit} of {self.total} bytes]\n"
        return text


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_output(data: bytes) -> str:
    """Bytes as a reader's terminal would show them, as UTF-8 text: invalid bytes become U+FFFD, colour and other
    escape sequences are removed, carriage returns are resolved, other control characters are made visible."""
    text = data.decode("utf-8", errors="replace")
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n")
    text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


