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
import difflib
import fcntl
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pyte

COLUMNS, LINES = 100, 30
TERM = "xterm"
DEFAULT_PROMPT = r"[$#>%] "  # a shell's prompt, just left of the cursor: `/ # `, `$ `, `>>> `
QUIET = 0.2  # seconds without output after which a program that shows its prompt is taken to wait for input
SETTLE = 1.0  # seconds to wait for any effect of an input that prints nothing (a key the program swallows)
HISTORY = 5000  # lines kept above the screen

# --------------------------------------------------------------------------------------------------
# The notation of typed lines


KEYS: dict[str, str] = {
    "Enter": "\r", "Tab": "\t", "Esc": "\x1b", "Backspace": "\x7f", "Space": " ",
    "Up": "\x1b[A", "Down": "\x1b[B", "Right": "\x1b[C", "Left": "\x1b[D",
    "Home": "\x1b[H", "End": "\x1b[F", "Delete": "\x1b[3~",
    **{f"Ctrl-{chr(c)}": chr(c - 64) for c in range(ord("A"), ord("Z") + 1)},
    "Ctrl-\\": "\x1c",
}
_KEY = re.compile(r"<([^<>\s]+)>")
_KEYLIKE = re.compile(r"(?i:ctrl|alt|shift|meta|cmd)[-+].+|[A-Z][a-z]+")  # what a misspelt key looks like


@dataclass(frozen=True)
class Typed:
    """One `> ` line of a session: text and keys, typed into the running program."""

    line: int  # 1-based line in the page
    written: str  # as written after `> `
    parts: tuple[tuple[Literal["text", "key"], str], ...]  # ("text", "ip addr"), ("key", "Ctrl-P")

    @property
    def keys_only(self) -> bool:
        return all(kind == "key" for kind, _ in self.parts)

    @property
    def enter(self) -> bool:
        """A line that ends with text is followed by Enter; one that ends with a key is sent as written."""
        return self.parts[-1][0] == "text"

    @property
    def text(self) -> str:
        """The text typed (what the program echoes), without keys."""
        return "".join(value for kind, value in self.parts if kind == "text")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(value for kind, value in self.parts if kind == "key")

    @property
    def data(self) -> bytes:
        sent = "".join(value if kind == "text" else KEYS[value] for kind, value in self.parts)
        return (sent + ("\r" if self.enter else "")).encode()


def parse_typed(line: int, written: str) -> Typed:
    """A `> ` line in the notation: text, and keys in angle brackets. ValueError says what is wrong."""
    if not written.strip():
        raise ValueError("a '> ' line types nothing: write <Enter> to press Enter alone")
    parts: list[tuple[Literal["text", "key"], str]] = []
    pos = 0
    for match in _KEY.finditer(written):
        name = _key_name(match.group(1))
        if name is None:
            continue  # not a key: `<` and `>` typed as they are
        if match.start() > pos:
            parts.append(("text", written[pos:match.start()]))
        parts.append(("key", name))
        pos = match.end()
    if pos < len(written):
        parts.append(("text", written[pos:]))
    return Typed(line, written, tuple(parts))


def _key_name(inner: str) -> str | None:
    """The key's canonical name, None when `<inner>` is ordinary text; ValueError for a misspelt key."""
    if inner in KEYS:
        return inner
    upper = re.fullmatch(r"(?i)ctrl-([a-z\\])", inner)
    if upper:
        return f"Ctrl-{upper.group(1).upper()}"
    if _KEYLIKE.fullmatch(inner):
        close = difflib.get_close_matches(inner, KEYS, n=1, cutoff=0.5)
        hint = f" (did you mean <{close[0]}>?)" if close else ""
        raise ValueError(f"unknown key <{inner}>{hint}; keys: <Ctrl-A> to <Ctrl-Z>, "
                         + ", ".join(f"<{k}>" for k in KEYS if not k.startswith("Ctrl-")))
    return None


def key_label(name: str) -> str:
    """How a key is shown to readers: Ctrl+P, Enter."""
    return name.replace("Ctrl-", "Ctrl+")


# --------------------------------------------------------------------------------------------------
# Running a program in a terminal


Event = tuple[float, str, str]  # seconds since the program started, "o" (output) or "i" (typed), text


@dataclass(frozen=True)
class TerminalRun:
    screen: str  # what the terminal shows at the end: scrolled-off lines, then the screen; no trailing blanks
    returncode: int
    events: tuple[Event, ...]  # the byte stream as it came, and what was typed when
    typed_at: tuple[tuple[int, int], ...]  # (row of `screen`, column) of the cursor as each line was typed
    truncated: bool = False


class Stuck(Exception):
    """The program was not ready for a typed line (`index` < number of lines), or never ended (`index` equals
    it), or ended before a line could be typed (`ended`). `screen` is what the terminal showed then."""

    def __init__(self, index: int, reason: str, screen: str, *, ended: bool = False) -> None:
        super().__init__(reason)
        self.index, self.reason, self.screen, self.ended = index, reason, screen, ended


class _Screen:
    """pyte's screen with its scrollback, answering the terminal queries programs send (BusyBox's shell asks
    where the cursor is at each prompt, and waits for the answer)."""

    def __init__(self, reply: Callable[[str], None]) -> None:
        import pyte

        class Screen(pyte.HistoryScreen):
            def write_process_input(self, data: str) -> None:
                reply(data)

        self.screen: pyte.HistoryScreen = Screen(COLUMNS, LINES, history=HISTORY)
        self.stream = pyte.ByteStream(self.screen)

    def feed(self, data: bytes) -> None:
        self.stream.feed(data)

    def before_cursor(self) -> str:
        row = self.screen.buffer[self.screen.cursor.y]
        return "".join(row[x].data for x in range(self.screen.cursor.x))

    def cursor(self) -> tuple[int, int]:
        return len(self.screen.history.top) + self.screen.cursor.y, self.screen.cursor.x

    def text(self) -> str:
        rows = [*self.screen.history.top, *(self.screen.buffer[y] for y in range(LINES))]
        lines = ["".join(row[x].data for x in range(COLUMNS)).rstrip() for row in rows]
        while lines and not lines[-1]:
            lines.pop()
        return "".join(line + "\n" for line in lines)


def run_in_terminal(argv: Sequence[str], typed: Sequence[Typed], *, env: Mapping[str, str], cwd: Path,
                    timeout: float, prompt: str = DEFAULT_PROMPT, limit: int = 4 * 1024 * 1024,
                    started: Callable[[int], None] | None = None,
                    ended: Callable[[int], None] | None = None) -> TerminalRun:
    """Run argv in a new pseudo-terminal of COLUMNS x LINES (its controlling terminal, in a session of its own),
    type each line when the program is ready for it, and wait for the program to end, all within `timeout`.

    Ready means: output has gone quiet for QUIET seconds after the last line's effect showed, and either the
    text left of the cursor ends with `prompt` (a regular expression), or, for a line of keys only, the program
    reads keys one by one (the terminal is in raw mode, as `docker run -t` puts it once attached). Raises Stuck
    when that does not happen in time; the program's process group is killed then."""
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
    driver = _Driver(proc, master, prompt, limit)
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
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


@dataclass
class _Driver:
    proc: subprocess.Popen[bytes]
    master: int
    prompt: str
    limit: int
    events: list[Event] = field(default_factory=list)
    size: int = 0
    truncated: bool = False
    eof: bool = False

    def __post_init__(self) -> None:
        self.start = time.monotonic()
        self.last_output = self.start
        self.last_input = self.start
        self.output_since_input = False
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.term = _Screen(self._reply)
        self.pattern = re.compile(f"(?:{self.prompt})$") if self.prompt else None
        os.set_blocking(self.master, False)

    def _reply(self, data: str) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, data.encode())

    def run(self, typed: Sequence[Typed], deadline: float, timeout: float) -> TerminalRun:
        typed_at: list[tuple[int, int]] = []
        for index, line in enumerate(typed):
            self._wait_ready(index, line, deadline, timeout)
            typed_at.append(self.term.cursor())
            self._type(line)
        self._wait_end(len(typed), deadline, timeout)
        code = self.proc.returncode
        return TerminalRun(self.term.text(), 128 - code if code < 0 else code, tuple(self.events),
                           tuple(typed_at), self.truncated)

    # -- waiting

    def _ready(self, line: Typed, now: float) -> bool:
        if now - self.last_output < QUIET:
            return False
        if not self.output_since_input and now - self.last_input < SETTLE:
            return False
        at_prompt = self.pattern is None or self.pattern.search(self.term.before_cursor()) is not None
        return at_prompt or (line.keys_only and self._raw())

    def _raw(self) -> bool:
        """The terminal is in raw mode: a program reads keys one by one rather than lines."""
        try:
            return not termios.tcgetattr(self.master)[3] & termios.ICANON
        except termios.error:
            return False

    def _wait_ready(self, index: int, line: Typed, deadline: float, timeout: float) -> None:
        while True:
            if self.proc.poll() is not None:
                self._drain(deadline)
                raise Stuck(index, f"the program ended (exit code {self._code()}) before this line could be "
                                   "typed", self.term.text(), ended=True)
            now = time.monotonic()
            if self._ready(line, now):
                return
            if now >= deadline:
                wanted = ("a prompt matching «" + self.prompt + "» left of the cursor"
                          + (", nor the terminal in raw mode (a program reading keys)" if line.keys_only else ""))
                raise Stuck(index, f"the program was not ready for this line within {timeout:g} s: output went "
                                   f"quiet without {wanted} (set prompt=\"...\" or timeout=\"N\" on the block)",
                            self.term.text())
            wake = max(self.last_output + QUIET, now + 0.01)
            if not self.output_since_input:
                wake = max(wake, min(self.last_input + SETTLE, now + QUIET))
            self._pump(min(wake, deadline))

    def _wait_end(self, index: int, deadline: float, timeout: float) -> None:
        while self.proc.poll() is None:
            now = time.monotonic()
            if now >= deadline:
                raise Stuck(index, f"the program did not end within {timeout:g} s"
                                   + (" after its last typed line" if index else ""), self.term.text())
            if self.eof:  # nothing more to read: just wait for it
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=deadline - now)
            else:
                self._pump(min(deadline, now + 0.1))
        self._drain(deadline)

    def _code(self) -> int:
        code = self.proc.wait()
        return 128 - code if code < 0 else code

    def _drain(self, deadline: float) -> None:
        """Read what the program printed before it ended (until the terminal reports end of file: every
        process holding it has gone)."""
        self.proc.wait()
        stop = min(deadline, time.monotonic() + 2.0)
        while not self.eof and time.monotonic() < stop:
            self._pump(stop)

    def _pump(self, until: float) -> bool:
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
            self._output(data)
            if time.monotonic() >= until:
                return got

    def _output(self, data: bytes) -> None:
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

    def _type(self, line: Typed) -> None:
        now = time.monotonic()
        self.events.append((now - self.start, "i", line.written))
        data = line.data
        while data:
            try:
                sent = os.write(self.master, data)
            except BlockingIOError:
                self._pump(time.monotonic() + 0.01)  # the program reads slowly: show what it prints meanwhile
                continue
            data = data[sent:]
        self.last_input = time.monotonic()
        self.output_since_input = False


# --------------------------------------------------------------------------------------------------
# asciicast v2: what a block's session looked like, for replay in the page


_CSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
PAUSE_BEFORE_TYPING = 0.8  # a reader follows better when a line is not typed the instant a prompt appears
MAX_GAP = 1.5  # longer waits (a slow start, a quiet program) are shortened to this
AFTER_COMMAND = 0.6


def asciicast(commands: Sequence[tuple[str, Sequence[Event]]]) -> str:
    """One asciicast v2 recording of a block: each command as typed at a `$ ` prompt, then its program's output.
    Times are paced for reading, not real: a pause before each typed line, gaps shortened to MAX_GAP, rounded to
    1/100 s, so that the file is the same whenever the outputs are (re-recording changes it only when the text
    does). Lines of keys only become markers, which the player shows on its progress bar."""
    header: dict[str, Any] = {"version": 2, "width": COLUMNS, "height": LINES, "env": {"TERM": TERM}}
    out: list[list[Any]] = []
    clock = 0.0

    def emit(kind: str, text: str) -> None:
        at = round(clock, 2)
        if out and out[-1][0] == at and out[-1][1] == kind == "o":
            out[-1][2] += text
        else:
            out.append([at, kind, text])

    at_line_start = True
    for command, events in commands:
        # A program that ends without a newline (a detach) leaves the cursor after its prompt; the next command
        # starts on a line of its own, as in the transcript.
        emit("o", ("" if at_line_start else "\r\n") + f"$ {command}\r\n")
        at_line_start = True
        clock += AFTER_COMMAND
        previous = 0.0
        for at, kind, text in events:
            if kind == "i":
                clock += PAUSE_BEFORE_TYPING
                if _only_keys(text):
                    emit("m", _marker(text))
            else:
                clock += min(max(0.0, at - previous), MAX_GAP)
                emit("o", text)
                shown = _CSI.sub("", text)
                at_line_start = shown.endswith("\n") if shown else at_line_start
            previous = at
        clock += AFTER_COMMAND
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(event, ensure_ascii=False) for event in out]
    return "\n".join(lines) + "\n"


def _only_keys(written: str) -> bool:
    try:
        return parse_typed(0, written).keys_only
    except ValueError:
        return False


def _marker(written: str) -> str:
    try:
        return " ".join(key_label(k) for k in parse_typed(0, written).keys)
    except ValueError:
        return written


def cast_text(cast: str) -> str:
    """What an asciicast shows, without its timing: the text its replay leaves in a terminal (scrolled-off lines
    included) and its markers. Whether a new recording differs from the one there is decided on this, so that
    timing, how the output was split, and redraws that change nothing on the screen never rewrite the file."""
    term = _Screen(lambda reply: None)
    markers = []
    for line in cast.splitlines()[1:]:
        _, kind, data = json.loads(line)
        if kind == "o":
            term.feed(data.encode())
        else:
            markers.append(f"[{kind}: {data}]\n")
    return term.text() + "".join(markers)
