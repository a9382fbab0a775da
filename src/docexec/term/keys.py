"""The notation of a session's typed lines: `> ip addr show eth0` is text, then Enter; `> <Ctrl-P><Ctrl-Q>` is
keys only, sent as written. What a key name means, what it sends, and how it is shown on the page."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

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

