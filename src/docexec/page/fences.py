"""Find the fenced code blocks of a Markdown page the way `pymdownx.superfences` does, without Markdown.

The site is rendered by SuperFences, which finds fences line by line before any other block parsing: a fence may
be indented or quoted (inside an admonition `!!! tip`, a content tab `=== "tab"`, a list item, a `???` details
block, a `>` quote), its content lines carry the same prefix, and it ends at a line holding the same fence.
Fences shown inside another fence (a ````markdown example) are that fence's content, not fences. Scanning the
same way here means the engine (the CLI and the pytest plugin, which run without MkDocs) finds exactly the
fences the site renders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

PREFIX_CHARS = (">", " ", "\t")
FENCE_START = re.compile(r"(?P<fence>~{3,}|`{3,})(?P<info>[^\n]*)$")
TAB = 4  # Python-Markdown's tab length: its first preprocessor expands tabs


@dataclass(frozen=True)
class Fence:
    line: int  # 1-based line of the opening fence
    end_line: int  # 1-based line of the closing fence
    info: str  # what follows the opening backticks or tildes, e.g. 'console exec="docker" id="x"'
    content: str  # the lines between the fences, their prefix (indentation, quote marks) removed
    prefix: str  # the opening fence's indentation and quote marks, e.g. "    " inside an admonition


@dataclass(frozen=True)
class Abandoned:
    """A fence that SuperFences gives up on: a content line less indented than the fence, or no closing fence.
    Its text is then shown as it is; an exec fence like this is an error (blocks.py)."""

    line: int
    info: str
    why: str


def _prefix(line: str, limit: int | None = None) -> tuple[str, str]:
    """The leading spaces, tabs and `>` of a line (up to `limit` columns) with tabs expanded, and the rest."""
    width, taken, out = 0, 0, []
    for char in line:
        if (limit is not None and width >= limit) or char not in PREFIX_CHARS:
            break
        step = TAB - width % TAB if char == "\t" else 1
        out.append(" " * step if char == "\t" else char)
        width += step
        taken += 1
    return "".join(out), line[taken:]


def scan(source: str) -> Iterator[Fence | Abandoned]:
    """Every fence of the page, top to bottom (fences inside fences are content), and the abandoned ones."""
    lines = [line.rstrip("\r") for line in source.split("\n")]
    i = 0
    while i < len(lines):
        ws, rest = _prefix(lines[i])
        start = FENCE_START.match(rest)
        i += 1
        if start is None:
            continue
        fence, first = start.group("fence"), i
        end = re.compile(re.escape(fence) + r"[ \t]*$")
        quotes, content = ws.count(">"), []
        while i < len(lines):
            line_ws, text = _prefix(lines[i], len(ws))
            i += 1
            problem = _content_problem(ws, quotes, line_ws, text)
            if problem == "blank":
                content.append("")
            elif problem:
                yield Abandoned(first, start.group("info"), problem)
                break
            elif end.match(text) and not text.startswith((" ", "\t")):
                yield Fence(first, i, start.group("info").strip(), "\n".join(content) + ("\n" if content else ""),
                            ws)
                break
            else:
                content.append(text)
        else:
            yield Abandoned(first, start.group("info"), "it has no closing fence")


def _content_problem(ws: str, quotes: int, line_ws: str, text: str) -> str:
    """Why a line inside a fence ends it without closing it ("" if it does not; "blank" for an empty line)."""
    level = line_ws.count(">")
    if quotes == 0:
        if level:
            return "a line is quoted ('>') but the fence at its top is not"
        if (line_ws + text).strip() == "":
            return "blank"
        if len(line_ws) != len(ws):
            return "a line inside it is less indented than its opening fence"
        return ""
    if text == "":
        return "blank"
    if level > quotes or len(line_ws) < len(ws):
        return "a line inside it is quoted or indented differently from its opening fence"
    return ""
