"""Turn a page's executable blocks into terminal transcripts (HTML that Material for MkDocs styles as code).

Nothing here depends on MkDocs. Each exec fence is replaced in the Markdown by a placeholder paragraph, and the
transcript's HTML is spliced into the converted page afterwards (`Rendered.fill`): Python-Markdown never re-parses
large HTML blocks, which would cost more than everything else the engine does in a build.
The wrapper's `data-copy` holds only the commands, which is what Material's copy button copies: in exec="host"
blocks with `sudo ` in front of those that need root (sudo.py). A block that is never run (run="no") has no copy
button (Material leaves out blocks inside `.no-copy`): it is there to be read, not pasted.
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
from .normalize import normalize
from .recording import CommandRecord, PageRecording
from .sudo import copy_line, needs_root, root_variables
from .terminal import Typed, key_label


@dataclass(frozen=True)
class EngineRecording:
    """A page's recording on one engine (None: never recorded there), as the page shows it."""

    label: str  # "Engine 28.5"
    stored: PageRecording | None
    stale: bool = False
    cast_href: Callable[[Block], str | None] | None = None  # where a session block's replay is, from the page
    stale_blocks: frozenset[str] | None = None  # of a stale recording, the blocks that changed (None: all)

    def marks(self, block: Block) -> bool:
        """Whether the block's transcript is marked as waiting to be recorded again."""
        return self.stale and (self.stale_blocks is None or block.id in self.stale_blocks)


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
                others: Iterable[EngineRecording] = (),
                cast_href: Callable[[Block], str | None] | None = None,
                stale_blocks: frozenset[str] | None = None, label: str = "Engine") -> Rendered:
    """`stored` is the page's recording on the book's first engine; `others`, on its other engines. A block shows
    one transcript where every engine gave the same output (after normalisation), else a tab per engine, newest
    first. `cast_href`: the address, relative to the page, of a session block's replay on the first engine (None:
    no replay); each of `others` brings its own. `stale`: the page changed since it was recorded; `stale_blocks`:
    which blocks did (recording.changed_blocks), only those are marked; None marks every block. `label`: the
    first engine's tab title."""
    engines = [EngineRecording(label, stored, stale, cast_href, stale_blocks),
               *(o for o in others if o.stored is not None)]
    engines.sort(key=lambda e: _version_key(e.label), reverse=True)
    lines = markdown.split("\n")
    nonce = secrets.token_hex(6)
    fragments: dict[str, str] = {}

    def placeholder(fragment: str) -> str:
        token = f"docexec{nonce}x{len(fragments)}"
        fragments[token] = fragment
        return token

    root_vars = root_variables(page.blocks)
    for block in sorted(page.blocks, key=lambda b: b.line, reverse=True):
        replacement = placeholder(render_engines(block, engines, stored, root_vars)) if block.show else ""
        lines[block.line - 1:block.end_line] = ["", replacement, ""]
    text = "\n".join(lines)
    if stored is not None and page.executed:
        notes = [page_note(e.stored, stale=e.stale, whole=e.stale_blocks is None,
                           shown=sum(b.show and e.marks(b) for b in page.executed))
                 for e in engines if e.stored is not None]
        text = _after_title(text, placeholder("\n".join(notes)))
    return Rendered(text, fragments)


def page_note(stored: PageRecording, *, stale: bool, whole: bool = True, shown: int = 0) -> str:
    """The note under the title. A stale page says what changed: the whole page (its images or hosts), `shown`
    blocks (marked where they are), or only what the reader does not see (setup blocks, blocks removed)."""
    engine = stored.engine
    text = (f"本页所有命令输出均为真实运行结果：录制于 {stored.recorded[:10]}，"
            f"Docker Engine {engine.get('engine', '?')}（API {engine.get('api', '?')}），"
            f"客户端 {engine.get('client', '?')}，存储驱动 {engine.get('storage_driver', '?')}。")
    if stored.edited:
        text += f"其中 {len(stored.edited)} 个块的输出在录制后被手工改动过（块下方已注明），未经验证。"
    if stale and whole:
        text += "本页命令在录制后有改动，输出尚待重新录制。"
    elif stale and shown:
        text += f"本页有 {shown} 个命令块在录制后有改动（块下方已注明），它们的输出尚待重新录制。"
    elif stale:
        text += "本页的准备步骤或命令块的顺序在录制后有改动，输出尚待重新录制。"
    return f'<p class="docexec-page-source{" docexec-stale" if stale else ""}">{html.escape(text)}</p>'


def render_engines(block: Block, engines: list[EngineRecording], first: PageRecording | None,
                   root_vars: frozenset[str] = frozenset()) -> str:
    """One transcript when the engines agree on the block (or it is not run), else content tabs, one per engine.
    Material links tabs with the same label across the page (content.tabs.link): a reader picks a version once."""
    recorded = [e for e in engines if e.stored is not None and block.id in e.stored.blocks]
    if not block.run or len(recorded) < 2 or _agree(block, [e.stored.blocks[block.id] for e in recorded
                                                             if e.stored is not None]):
        records = first.blocks.get(block.id) if first else None
        also = [e.stored for e in recorded if e.stored is not None and e.stored is not first]
        own = next((e for e in engines if e.stored is first), None)
        href = _href(own, block) if own and records else None
        return render_block(block, records, first, stale=bool(own and own.marks(block)), also=also, cast_href=href,
                            root_vars=root_vars)
    name = f"__tabbed_docexec_{block.id}"
    inputs = "".join(f'<input{" checked" if n == 0 else ""} id="{name}_{n + 1}" name="{name}" type="radio">'
                     for n in range(len(recorded)))
    labels = "".join(f'<label for="{name}_{n + 1}">{html.escape(e.label)}</label>' for n, e in enumerate(recorded))
    tabs = []
    for n, e in enumerate(recorded):
        assert e.stored is not None
        anchor = f"run-{block.id}" + (f"-{_slug(e.label)}" if n else "")
        tabs.append(render_block(block, e.stored.blocks[block.id], e.stored, stale=e.marks(block),
                                 cast_href=_href(e, block), root_vars=root_vars, anchor=anchor))
    blocks = "".join(f'<div class="tabbed-block">{tab}</div>' for tab in tabs)
    return (f'<div class="tabbed-set tabbed-alternate docexec-engines" data-tabs="{block.id}:{len(recorded)}">'
            f'{inputs}<div class="tabbed-labels">{labels}</div><div class="tabbed-content">{blocks}</div></div>')


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")  # "Engine 20.10" -> "engine-20-10"


def _href(engine: EngineRecording, block: Block) -> str | None:
    return engine.cast_href(block) if engine.cast_href and block.kind == "session" else None


def _agree(block: Block, outputs: list[list[CommandRecord]]) -> bool:
    def shape(records: list[CommandRecord]) -> list[tuple[int, str]]:
        return [(r.returncode, normalize(r.output, block.volatile)) for r in records]
    return all(shape(o) == shape(outputs[0]) for o in outputs[1:])


def _version_key(label: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", label))


def render_block(block: Block, records: list[CommandRecord] | None, stored: PageRecording | None,
                 *, stale: bool = False, also: Iterable[PageRecording] = (), cast_href: str | None = None,
                 root_vars: frozenset[str] = frozenset(), anchor: str = "") -> str:
    """`anchor`: the wrapper's id (default run-ID; each engine's tab but the first gets its own)."""
    anchor = anchor or f"run-{block.id}"
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
    session = " docexec-session" if block.kind == "session" else ""
    if block.run:
        copied = "\n".join(copy_line(c, root_vars) if block.kind == "host" else c.display for c in block.commands)
        kind = "docexec docexec-stale" if stale else "docexec"
        attrs = f'class="{kind}{session}" id="{anchor}" data-copy="{_escape(copied)}"'
    else:
        attrs = f'class="docexec docexec-not-run no-copy{session}" id="{anchor}"'
    parts = [f"<div {attrs}>"]
    if block.title:
        parts.append(f'<p class="docexec-title">{html.escape(block.title)}</p>')
    parts.append(f'<div class="language-console highlight"><pre><span></span><code>{code}</code></pre></div>')
    note = html.escape(_source_note(block, records, stored, stale, list(also)) + _sudo_note(block, root_vars))
    note = re.sub(r"\d{4}-\d{2}-\d{2}", r'<span class="docexec-date">\g<0></span>', note)
    if cast_href:  # shown by docexec-replay.js, which the page loads when it has a replay
        note += (f' <button type="button" class="docexec-replay" data-cast="{html.escape(cast_href)}" hidden>'
                 "回放</button>")
    parts.append(f'<p class="docexec-source">{note}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def _source_note(block: Block, records: list[CommandRecord] | None, stored: PageRecording | None,
                 stale: bool, also: list[PageRecording]) -> str:
    if not block.run:
        return f"未执行：{block.reason}"
    if records is None or stored is None:
        return "尚无录制输出：运行 nox -s record 录制本页"
    if any(block.id in s.edited for s in [stored, *also]):
        return "此输出在录制后被手工改动过，未经验证 · 运行 nox -s record 重新录制"
    codes = _codes(block, records)
    engines = " 与 ".join(_short(s) for s in sorted([stored, *also], key=lambda s: _version_key(_short(s)),
                                                    reverse=True))
    same = "（输出相同）" if also else ""
    what = "真实终端会话（100×30）" if block.kind == "session" else "真实输出"
    note = f"{what} · Docker Engine {engines}{same} · 录制于 {stored.recorded[:10]}{codes}"
    return note + (" · 命令已改动，输出待重新录制" if stale else "")


def _sudo_note(block: Block, root_vars: frozenset[str]) -> str:
    if block.run and block.kind == "host" and any(c.shell and needs_root(c.shell, root_vars) for c in block.commands):
        return " · 复制时需要 root 的命令前加了 sudo"
    return ""


def _short(stored: PageRecording) -> str:
    return stored.engine.get("engine", "?").split("+")[0]


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
