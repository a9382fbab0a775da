"""Turn a page's executable blocks into terminal transcripts (HTML that Material for MkDocs styles as code).

Nothing here depends on MkDocs. Each exec fence is replaced in the Markdown by a placeholder paragraph, and the
transcript's HTML is spliced into the converted page afterwards (`Rendered.fill`): Python-Markdown never re-parses
large HTML blocks, which would cost more than everything else the engine does in a build.
The wrapper's `data-copy` holds only the commands, which is what Material's copy button copies.
A terminal session (exec="session") shows, under each command, the screen its program left: the lines typed into it
marked where they were typed, keys as <kbd>; and a replay button that assets/javascripts/docexec-replay.js wakes.
"""

from __future__ import annotations

import html
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .blocks import Block, Page
from .errors import DocexecError
from .recording import CommandRecord, PageRecording
from .terminal import Typed, key_label


@dataclass(frozen=True)
class Rendered:
    """A page's Markdown with a placeholder paragraph per transcript, and the HTML that replaces each."""

    markdown: str
    fragments: dict[str, str] = field(default_factory=dict)

    def fill(self, html_text: str) -> str:
        for token, fragment in self.fragments.items():
            marker = f"<p>{token}</p>"
            if marker not in html_text:
                raise DocexecError(f"the placeholder of a transcript ({token}) was lost in the Markdown conversion; "
                                   "is an exec block inside raw HTML?")
            html_text = html_text.replace(marker, fragment, 1)
        return html_text


def render_page(markdown: str, page: Page, stored: PageRecording | None, *, stale: bool = False,
                cast_href: Callable[[Block], str | None] | None = None) -> Rendered:
    """`cast_href`: the address, relative to the page, of a session block's replay (None: no replay)."""
    lines = markdown.split("\n")
    nonce = secrets.token_hex(6)
    fragments: dict[str, str] = {}

    def placeholder(fragment: str) -> str:
        token = f"docexec{nonce}x{len(fragments)}"
        fragments[token] = fragment
        return token

    for block in sorted(page.blocks, key=lambda b: b.line, reverse=True):
        records = stored.blocks.get(block.id) if stored else None
        href = cast_href(block) if cast_href and block.kind == "session" and records else None
        replacement = placeholder(render_block(block, records, stored, stale=stale, cast_href=href)) \
            if block.show else ""
        lines[block.line - 1:block.end_line] = ["", replacement, ""]
    text = "\n".join(lines)
    if stored is not None and page.executed:
        text = _after_title(text, placeholder(page_note(stored, stale=stale)))
    return Rendered(text, fragments)


def page_note(stored: PageRecording, *, stale: bool) -> str:
    engine = stored.engine
    text = (f"本页所有命令输出均为真实运行结果：录制于 {stored.recorded[:10]}，"
            f"Docker Engine {engine.get('engine', '?')}（API {engine.get('api', '?')}），"
            f"客户端 {engine.get('client', '?')}，存储驱动 {engine.get('storage_driver', '?')}。")
    if stale:
        text += "本页命令在录制后有改动，输出尚待重新录制。"
    return f'<p class="docexec-page-source">{html.escape(text)}</p>'


def render_block(block: Block, records: list[CommandRecord] | None, stored: PageRecording | None,
                 *, stale: bool = False, cast_href: str | None = None) -> str:
    commands = "\n".join(c.display for c in block.commands)
    body: list[str] = []
    for n, command in enumerate(block.commands):
        body.append(f'<span class="gp">$ </span><span class="docexec-cmd">{_escape(command.display)}</span>\n')
        record = records[n] if records and n < len(records) else None
        if block.kind == "session":
            body.append(_session_output(command.typed, record))
        elif record is not None and record.output:
            output = record.output if record.output.endswith("\n") else record.output + "\n"
            body.append(f'<span class="go">{_escape(output)}</span>')
    code = "".join(body).rstrip("\n")
    kind = "docexec docexec-not-run" if not block.run else "docexec"
    if block.kind == "session":
        kind += " docexec-session"
    attrs = f'class="{kind}" id="run-{block.id}" data-copy="{_escape(commands)}"'
    parts = [f"<div {attrs}>"]
    if block.title:
        parts.append(f'<p class="docexec-title">{html.escape(block.title)}</p>')
    parts.append(f'<div class="language-console highlight"><pre><span></span><code>{code}</code></pre></div>')
    note = html.escape(_source_note(block, records, stored, stale))
    note = re.sub(r"\d{4}-\d{2}-\d{2}", r'<span class="docexec-date">\g<0></span>', note)
    if cast_href:  # shown by docexec-replay.js, which the page loads when it has a replay
        note += (f' <button type="button" class="docexec-replay" data-cast="{html.escape(cast_href)}" hidden>'
                 "回放</button>")
    parts.append(f'<p class="docexec-source">{note}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def _source_note(block: Block, records: list[CommandRecord] | None, stored: PageRecording | None,
                 stale: bool) -> str:
    if not block.run:
        return f"未执行：{block.reason}"
    if records is None or stored is None:
        return "尚无录制输出：运行 nox -s record 录制本页"
    codes = _codes(block, records)
    if block.kind == "session":
        return (f"真实终端会话（100×30）· Docker Engine {stored.engine.get('engine', '?')} · "
                f"录制于 {stored.recorded[:10]}{codes}") + (" · 命令已改动，输出待重新录制" if stale else "")
    note = f"真实输出 · Docker Engine {stored.engine.get('engine', '?')} · 录制于 {stored.recorded[:10]}{codes}"
    return note + (" · 命令已改动，输出待重新录制" if stale else "")


def _session_output(typed: tuple[Typed, ...], record: CommandRecord | None) -> str:
    """The screen a session's command left, with each typed line marked where it was typed: its text as the program
    echoed it, and keys (which show nothing, or `^C`) as badges. Without a recording: the typed lines as written."""
    if record is None:
        return "".join(f'<span class="gp">&gt; </span><span class="docexec-typed">{_escape(t.written)}</span>\n'
                       for t in typed)
    lines = record.output.removesuffix("\n").split("\n") if record.output else []
    marks: dict[int, list[tuple[int, Typed]]] = {}
    for line, (row, column) in zip(typed, record.typed_at, strict=False):
        marks.setdefault(min(row, len(lines)), []).append((column, line))
    if len(lines) in marks:
        lines.append("")
    shown = []
    for row, text in enumerate(lines):
        shown.append(_marked(text, sorted(marks.get(row, ()), key=lambda m: m[0])))
    return f'<span class="go">{"".join(line + chr(10) for line in shown)}</span>' if shown else ""


def _marked(text: str, marks: list[tuple[int, Typed]]) -> str:
    out, pos = [], 0
    for column, typed in marks:
        at = min(_index_of_column(text, column), len(text))  # past the end: a blank the screen text has not kept
        if at < pos:
            continue
        out.append(_escape(text[pos:at]))
        pos = at
        if typed.keys_only:
            out.append("".join(f'<kbd class="docexec-key">{html.escape(key_label(k))}</kbd>' for k in typed.keys))
        elif typed.text and text.startswith(typed.text, at):
            out.append(f'<span class="docexec-typed">{_escape(typed.text)}</span>')
            pos = at + len(typed.text)
    out.append(_escape(text[pos:]))
    return "".join(out)


def _index_of_column(text: str, column: int) -> int:
    """The index in `text` of the character at a terminal column (wide characters take two)."""
    width = 0
    for index, char in enumerate(text):
        if width >= column:
            return index
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return len(text) + max(0, column - width)


def _codes(block: Block, records: Iterable[CommandRecord]) -> str:
    codes = sorted({r.returncode for r in records})
    return "" if codes == [0] else " · 退出码 " + "、".join(str(c) for c in codes)


def _after_title(text: str, note: str) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("# "):
            lines[i + 1:i + 1] = ["", note, ""]
            return "\n".join(lines)
    return note + "\n\n" + text


def _escape(text: str) -> str:
    """HTML-escape, keeping tabs: Python-Markdown expands literal tabs even inside raw HTML."""
    return html.escape(text).replace("\t", "&#9;")
