"""Turn a page's executable blocks into terminal transcripts (HTML that Material for MkDocs styles as code).

Nothing here depends on MkDocs. Each exec fence is replaced in the Markdown by a placeholder paragraph, and the
transcript's HTML is spliced into the converted page afterwards (`Rendered.fill`): Python-Markdown never re-parses
large HTML blocks, which would cost more than everything else the engine does in a build.
The wrapper's `data-copy` holds only the commands, which is what Material's copy button copies: in exec="host"
blocks with `sudo ` in front of those that need root (sudo.py). A block that is never run (run="no") has no copy
button (Material leaves out blocks inside `.no-copy`): it is there to be read, not pasted.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from .blocks import Block, Page
from .errors import DocexecError
from .recording import CommandRecord, PageRecording
from .sudo import copy_line, needs_root, root_variables


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
                stale_blocks: frozenset[str] | None = None) -> Rendered:
    """`stale`: the page changed since it was recorded; `stale_blocks`: which blocks did (recording.changed_blocks),
    only those are marked; None marks every block."""
    lines = markdown.split("\n")
    nonce = secrets.token_hex(6)
    fragments: dict[str, str] = {}

    def placeholder(fragment: str) -> str:
        token = f"docexec{nonce}x{len(fragments)}"
        fragments[token] = fragment
        return token

    root_vars = root_variables(page.blocks)
    marked = {b.id for b in page.executed if stale and (stale_blocks is None or b.id in stale_blocks)}
    for block in sorted(page.blocks, key=lambda b: b.line, reverse=True):
        records = stored.blocks.get(block.id) if stored else None
        replacement = placeholder(render_block(block, records, stored, stale=block.id in marked,
                                               root_vars=root_vars)) if block.show else ""
        lines[block.line - 1:block.end_line] = ["", replacement, ""]
    text = "\n".join(lines)
    if stored is not None and page.executed:
        shown = sum(b.show and b.id in marked for b in page.executed)
        text = _after_title(text, placeholder(page_note(stored, stale=stale, whole=stale_blocks is None,
                                                        shown=shown)))
    return Rendered(text, fragments)


def page_note(stored: PageRecording, *, stale: bool, whole: bool = True, shown: int = 0) -> str:
    """The note under the title. A stale page says what changed: the whole page (its images or hosts), `shown`
    blocks (marked where they are), or only what the reader does not see (setup blocks, blocks removed)."""
    engine = stored.engine
    text = (f"本页所有命令输出均为真实运行结果：录制于 {stored.recorded[:10]}，"
            f"Docker Engine {engine.get('engine', '?')}（API {engine.get('api', '?')}），"
            f"客户端 {engine.get('client', '?')}，存储驱动 {engine.get('storage_driver', '?')}。")
    if stale and whole:
        text += "本页命令在录制后有改动，输出尚待重新录制。"
    elif stale and shown:
        text += f"本页有 {shown} 个命令块在录制后有改动（块下方已注明），它们的输出尚待重新录制。"
    elif stale:
        text += "本页的准备步骤或命令块的顺序在录制后有改动，输出尚待重新录制。"
    return f'<p class="docexec-page-source{" docexec-stale" if stale else ""}">{html.escape(text)}</p>'


def render_block(block: Block, records: list[CommandRecord] | None, stored: PageRecording | None,
                 *, stale: bool = False, root_vars: frozenset[str] = frozenset()) -> str:
    body: list[str] = []
    for n, command in enumerate(block.commands):
        body.append(f'<span class="gp">$ </span><span class="docexec-cmd">{_escape(command.display)}</span>\n')
        record = records[n] if records and n < len(records) else None
        if record is not None and record.output:
            output = record.output if record.output.endswith("\n") else record.output + "\n"
            body.append(f'<span class="go">{_escape(output)}</span>')
    code = "".join(body).rstrip("\n")
    if block.run:
        copied = "\n".join(copy_line(c, root_vars) if block.kind == "host" else c.display for c in block.commands)
        kind = "docexec docexec-stale" if stale else "docexec"
        attrs = f'class="{kind}" id="run-{block.id}" data-copy="{_escape(copied)}"'
    else:
        attrs = f'class="docexec docexec-not-run no-copy" id="run-{block.id}"'
    parts = [f"<div {attrs}>"]
    if block.title:
        parts.append(f'<p class="docexec-title">{html.escape(block.title)}</p>')
    parts.append(f'<div class="language-console highlight"><pre><span></span><code>{code}</code></pre></div>')
    note = html.escape(_source_note(block, records, stored, stale) + _sudo_note(block, root_vars))
    note = re.sub(r"\d{4}-\d{2}-\d{2}", r'<span class="docexec-date">\g<0></span>', note)
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
    note = f"真实输出 · Docker Engine {stored.engine.get('engine', '?')} · 录制于 {stored.recorded[:10]}{codes}"
    return note + (" · 命令已改动，输出待重新录制" if stale else "")


def _sudo_note(block: Block, root_vars: frozenset[str]) -> str:
    if block.run and block.kind == "host" and any(c.shell and needs_root(c.shell, root_vars) for c in block.commands):
        return " · 复制时需要 root 的命令前加了 sudo"
    return ""


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
