"""asciicast v2: what a block's session looked like, for replay in the page (asciinema-player), and the text such
a replay leaves on the screen."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from docexec.term.keys import key_label, parse_typed
from docexec.term.screen import COLUMNS, LINES, TERM, Screen

Event = tuple[float, str, str]  # seconds since the program started, "o" (output) or "i" (typed), text


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
    term = Screen(lambda reply: None)
    markers = []
    for line in cast.splitlines()[1:]:
        _, kind, data = json.loads(line)
        if kind == "o":
            term.feed(data.encode())
        else:
            markers.append(f"[{kind}: {data}]\n")
    return term.text() + "".join(markers)
