"""Compare a command's real output with its recording, the way a reviewer would want to read the difference."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from docexec.store.normalize import normalize
from docexec.store.recording import CommandRecord


@dataclass(frozen=True)
class Drift:
    """What differs between the recording and the real run (empty strings when nothing does)."""

    diff: str
    returncode: str


def compare(expected: CommandRecord, actual_output: str, actual_code: int, *, volatile: tuple[str, ...] = (),
            where: str = "recording", context: int = 2) -> Drift:
    want = normalize(_eol(expected.output), volatile)
    got = normalize(_eol(actual_output), volatile)
    diff = ""
    if want != got:
        diff = "".join(difflib.unified_diff(want.splitlines(keepends=True), got.splitlines(keepends=True),
                                            fromfile=where, tofile="actual output", n=context))
    code = ""
    if expected.returncode != actual_code:
        code = f"exit code {actual_code}, recorded {expected.returncode}"
    return Drift(diff, code)


def _eol(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"
