"""Terminal sessions: a program run in a pseudo-terminal, driven by the lines a page types into it.

A session block (```` ```console exec="session" ````) writes each command as `$ command`, and what a person types
into the running program as `> ` lines:

    $ docker run -it --name master busybox sh
    > ip addr show eth0
    > <Ctrl-P><Ctrl-Q>

A `> ` line is typed, then Enter, when the program is ready for it; keys are written `<Ctrl-C>`, `<Enter>`, ...,
and a line that ends with a key is sent as written, without Enter. What the terminal shows is read from pyte (a
VT100 emulator fed the program's byte stream), scrolled-off lines included, so escape sequences are resolved as a
person's terminal resolves them. The byte stream is also kept, with its timing, for an asciicast replay.

Nothing here knows Docker: `run_in_terminal` starts whatever argv it is given (the runner wraps it so that it
runs on a lab host).
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from docexec.core.signals import kill_group
from docexec.term.asciicast import Event, asciicast, cast_text
from docexec.term.keys import KEYS, Typed, key_label, parse_typed
from docexec.term.screen import COLUMNS, LINES, TERM, Screen

__all__ = ["COLUMNS", "DEFAULT_PROMPT", "KEYS", "LINES", "TERM", "Event", "Stuck", "TerminalRun", "Typed",
           "asciicast", "cast_text", "key_label", "parse_typed", "run_in_terminal"]

DEFAULT_PROMPT = r"[$#>%] "  # a shell's prompt, just left of the cursor: `/ # `, `$ `, `>>> `
QUIET = 0.2  # seconds without output after which a program that shows its prompt is taken to wait for input
SETTLE = 1.0  # seconds to wait for any effect of an input that prints nothing (a key the program swallows)


@dataclass(frozen=True)
class TerminalRun:
    screen: str  # what the terminal shows at the end: scrolled-off lines, then the screen; no trailing blanks
    returncode: int
    events: tuple[Event, ...]  # the byte stream as it came, and what was typed when
    typed_at: tuple[tuple[int, int], ...]  # (line of `screen`, column) of the cursor as each line was typed
    truncated: bool = False


class Stuck(Exception):
    """The program was not ready for a typed line (`index` < number of lines), or never ended (`index` equals
    it), or ended before a line could be typed (`ended`). `screen` is what the terminal showed then."""

    def __init__(self, index: int, reason: str, screen: str, *, ended: bool = False) -> None:
        super().__init__(reason)
        self.index, self.reason, self.screen, self.ended = index, reason, screen, ended


def run_in_terminal(argv: Sequence[str], typed: Sequence[Typed], *, env: Mapping[str, str], cwd: Path,
                    timeout: float, prompt: str = DEFAULT_PROMPT, limit: int = 4 * 1024 * 1024,
                    started: Callable[[int], None] | None = None,
                    ended: Callable[[int], None] | None = None,
                    started_inside: Callable[[], bool] | None = None) -> TerminalRun:
    """Run argv in a new pseudo-terminal of COLUMNS x LINES (its controlling terminal, in a session of its own),
    type each line when the program is ready for it, and wait for the program to end, all within `timeout`.

    Ready means: output has gone quiet for QUIET seconds after the last line's effect showed, and either the
    text left of the cursor ends with `prompt` (a regular expression), or, for a line of keys only, the program
    reads keys one by one (the terminal is in raw mode, as `docker run -t` puts it once attached). `started_inside`,
    if given, must also be true before the first line is typed: the container a `docker run -it` starts is running
    (its CLI puts the terminal in raw mode before the container starts; a Ctrl-C typed in between reaches a process
    that is not yet the container's command). Raises Stuck when that does not happen in time; the program's process
    group is killed then."""
    setsid = shutil.which("setsid")
    if setsid is None:
        raise FileNotFoundError("setsid (util-linux) is needed to give a session its terminal")
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    run_env = {**env, "TERM": TERM, "COLUMNS": str(COLUMNS), "LINES": str(LINES)}
    try:
        # setsid -c: a session of its own with this terminal as its controlling terminal, so that the line
        # discipline's Ctrl+C reaches it as a person's terminal would; the session's process group is killed
        # as a whole at a timeout.
        proc = subprocess.Popen([setsid, "-c", *argv], stdin=slave, stdout=slave, stderr=slave, env=run_env,
                                cwd=cwd, close_fds=True)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    if started:
        started(proc.pid)
    driver = _Driver(_Pty(proc, master, limit), prompt, started_inside)
    try:
        return driver.run(typed, time.monotonic() + timeout, timeout)
    finally:
        _kill(proc)
        with contextlib.suppress(OSError):
            os.close(master)
        if ended:
            ended(proc.pid)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        kill_group(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


class _Pty:
    """The terminal's side of a running program: its output read into the screen and the event list (up to
    `limit` bytes), what is typed written to it, and when each last happened."""

    def __init__(self, proc: subprocess.Popen[bytes], master: int, limit: int) -> None:
        self.proc, self.master, self.limit = proc, master, limit
        self.events: list[Event] = []
        self.size = 0
        self.truncated = False
        self.eof = False
        self.start = time.monotonic()
        self.last_output = self.start
        self.last_input = self.start
        self.output_since_input = False
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.term = Screen(self._reply)
        os.set_blocking(self.master, False)

    def _reply(self, data: str) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, data.encode())

    def raw(self) -> bool:
        """The terminal is in raw mode: a program reads keys one by one rather than lines."""
        try:
            return not termios.tcgetattr(self.master)[3] & termios.ICANON
        except termios.error:
            return False

    def code(self) -> int:
        code = self.proc.wait()
        return 128 - code if code < 0 else code

    def drain(self, deadline: float) -> None:
        """Read what the program printed before it ended (until the terminal reports end of file: every
        process holding it has gone)."""
        self.proc.wait()
        stop = min(deadline, time.monotonic() + 2.0)
        while not self.eof and time.monotonic() < stop:
            self.pump(stop)

    def pump(self, until: float) -> bool:
        """Read and show output until `until`; True if any came."""
        got = False
        while True:
            wait = max(0.0, until - time.monotonic())
            ready, _, _ = select.select([self.master], [], [], wait)
            if not ready:
                return got
            try:
                data = os.read(self.master, 65536)
            except BlockingIOError:
                continue
            except OSError:  # EIO: no process holds the terminal any more
                data = b""
            if not data:
                self.eof = True
                return got
            got = True
            self.output(data)
            if time.monotonic() >= until:
                return got

    def output(self, data: bytes) -> None:
        now = time.monotonic()
        self.last_output = now
        self.output_since_input = True
        self.term.feed(data)
        self.size += len(data)
        if self.size <= self.limit:
            text = self.decoder.decode(data)
            if text:
                self.events.append((now - self.start, "o", text))
        else:
            self.truncated = True

    def send(self, line: Typed) -> None:
        now = time.monotonic()
        self.events.append((now - self.start, "i", line.written))
        data = line.data
        while data:
            try:
                sent = os.write(self.master, data)
            except BlockingIOError:
                self.pump(time.monotonic() + 0.01)  # the program reads slowly: show what it prints meanwhile
                continue
            data = data[sent:]
        self.last_input = time.monotonic()
        self.output_since_input = False


class _Driver:
    """Types each line when the program is ready for it, then waits for the program to end."""

    def __init__(self, pty: _Pty, prompt: str, started_inside: Callable[[], bool] | None = None) -> None:
        self.pty, self.prompt = pty, prompt
        self.pattern = re.compile(f"(?:{prompt})$") if prompt else None
        self.started_inside = started_inside  # asked before the first line only

    def run(self, typed: Sequence[Typed], deadline: float, timeout: float) -> TerminalRun:
        pty = self.pty
        typed_at: list[tuple[int, int]] = []
        for index, line in enumerate(typed):
            if index == 0 and self.started_inside is not None:
                self._wait_started(deadline, timeout)
            self._wait_ready(index, line, deadline, timeout)
            typed_at.append(pty.term.cursor())
            pty.send(line)
        self._wait_end(len(typed), deadline, timeout)
        for line, at in zip(typed, typed_at, strict=True):
            if line.text and not line.keys_only:
                pty.term.join_echo(*at, line.text)
        code = pty.proc.returncode
        return TerminalRun(pty.term.text(), 128 - code if code < 0 else code, tuple(pty.events),
                           tuple(pty.term.place(*at) for at in typed_at), pty.truncated)

    def _ready(self, line: Typed, now: float) -> bool:
        pty = self.pty
        if now - pty.last_output < QUIET:
            return False
        if not pty.output_since_input and now - pty.last_input < SETTLE:
            return False
        at_prompt = self.pattern is None or self.pattern.search(pty.term.before_cursor()) is not None
        return at_prompt or (line.keys_only and pty.raw())

    def _wait_ready(self, index: int, line: Typed, deadline: float, timeout: float) -> None:
        while True:
            if self.pty.proc.poll() is not None:
                self.pty.drain(deadline)
                raise Stuck(index, f"the program ended (exit code {self.pty.code()}) before this line could be "
                                   "typed", self.pty.term.text(), ended=True)
            now = time.monotonic()
            if self._ready(line, now):
                return
            if now >= deadline:
                wanted = ("a prompt matching «" + self.prompt + "» left of the cursor"
                          + (", nor the terminal in raw mode (a program reading keys)" if line.keys_only else ""))
                raise Stuck(index, f"the program was not ready for this line within {timeout:g} s: output went "
                                   f"quiet without {wanted} (set prompt=\"...\" or timeout=\"N\" on the block)",
                            self.pty.term.text())
            wake = max(self.pty.last_output + QUIET, now + 0.01)
            if not self.pty.output_since_input:
                wake = max(wake, min(self.pty.last_input + SETTLE, now + QUIET))
            self.pty.pump(min(wake, deadline))

    def _wait_started(self, deadline: float, timeout: float) -> None:
        """Wait (reading the program's output meanwhile) until `started_inside` says the container runs."""
        assert self.started_inside is not None
        while not self.started_inside():
            if self.pty.proc.poll() is not None:
                return  # the next wait reports the end
            if time.monotonic() >= deadline:
                raise Stuck(0, f"the container did not start within {timeout:g} s", self.pty.term.text())
            self.pty.pump(min(time.monotonic() + 0.05, deadline))

    def _wait_end(self, index: int, deadline: float, timeout: float) -> None:
        while self.pty.proc.poll() is None:
            now = time.monotonic()
            if now >= deadline:
                raise Stuck(index, f"the program did not end within {timeout:g} s"
                                   + (" after its last typed line" if index else ""), self.pty.term.text())
            if self.pty.eof:  # nothing more to read: just wait for it
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.pty.proc.wait(timeout=deadline - now)
            else:
                self.pty.pump(min(deadline, now + 0.1))
        self.pty.drain(deadline)
