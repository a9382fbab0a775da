"""Turn a page's executable blocks into terminal transcripts (HTML that Material for MkDocs styles as code).

Nothing here depends on MkDocs. `render_page` gives the HTML of each block of a page and of the note under its
title; the MkDocs plugin hands each block's HTML to SuperFences as the output of its fence (superfence.py), so
Python-Markdown stashes it without parsing it again, wherever the fence is (inside an admonition, a tab, a list).
The words around the transcripts come from `Labels` (the book's language; page_labels.py).
The wrapper's `data-copy` holds only the commands, which is what Material's copy button copies: in exec="host"
blocks with `sudo ` in front of those that need root (sudo.py). A block that is never run (run="no") has no copy
button (Material leaves out blocks inside `.no-copy`): it is there to be read, not pasted.
What shows under each command, what is copied and how the note names the outputs is the block's exec kind's
choice (render.kinds.Renders): a terminal session (exec="session") shows the screen its program left, the lines
typed into it marked where they were typed, and copies its first command, the rest as comments (a paste must
not put a line into the wrong shell; docexec.kinds.session); a file (exec="file") its text, highlighted as
its language, and it copies the file (docexec.kinds.file). A kind that keeps a replay (page.kinds) gets a
replay button, which assets/javascripts/docexec-replay.js wakes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from docexec.page import kinds
from docexec.page.model import Block, Page
from docexec.render.kinds import Renders, escape
from docexec.render.note import EngineNote, engine_warning, page_note, short_version
from docexec.render.sudo import root_variables
from docexec.render.wording import ENGLISH, Labels
from docexec.store.normalize import normalize
from docexec.store.recording import CommandRecord, PageRecording


@dataclass(frozen=True)
class EngineRecording:
    """A page's recording on one engine (None: never recorded there), as the page shows it."""

    label: str  # "Engine 28.5"
    stored: PageRecording | None
    stale: bool = False
    cast_href: Callable[[Block], str | None] | None = None  # where a session block's replay is, from the page
    stale_blocks: frozenset[str] | None = None  # of a stale recording, the blocks that changed (None: all)
    engine: str = ""  # its name in pyproject.toml ("28.5"): a block limited to others (engines="...") is not in it

    def runs(self, block: Block) -> bool:
        """Whether the block runs on this engine (a book whose only engine has no name: every block does)."""
        return not self.engine or block.runs_on(self.engine)

    def marks(self, block: Block) -> bool:
        """Whether the block's transcript is marked as waiting to be recorded again."""
        return self.stale and (self.stale_blocks is None or block.id in self.stale_blocks)


@dataclass(frozen=True)
class Rendered:
    """The HTML of a page's transcripts, by block id ("" for a block that is run but not shown), and of the note
    under its title ("" when it has none)."""

    blocks: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def with_note(self, markdown: str) -> str:
        """The page's Markdown with the note (raw HTML) after the title line."""
        if not self.note:
            return markdown
        lines = markdown.split("\n")
        for i, line in enumerate(lines):
            if line.startswith("# "):
                lines[i + 1:i + 1] = ["", self.note, ""]
                return "\n".join(lines)
        return self.note + "\n\n" + markdown


def render_page(page: Page, stored: PageRecording | None, *, stale: bool = False,
                others: Iterable[EngineRecording] = (),
                cast_href: Callable[[Block], str | None] | None = None,
                stale_blocks: frozenset[str] | None = None, label: str = "Engine", engine: str = "",
                labels: Labels = ENGLISH) -> Rendered:
    """`stored` is the page's recording on its first engine (the first of the book's engines it runs on); `others`,
    on its other engines. A block shows one transcript where every engine gave the same output (after
    normalisation), else a tab per engine, newest first. `cast_href`: the address, relative to the page, of a
    session block's replay on the first engine (None: no replay); each of `others` brings its own. `stale`: the page
    changed since it was recorded; `stale_blocks`: which blocks did (recording.changed_blocks), only those are
    marked; None marks every block. `label`: the first engine's tab title, `engine` its name."""
    engines = [EngineRecording(label, stored, stale, cast_href, stale_blocks, engine),
               *(o for o in others if o.stored is not None)]
    engines.sort(key=lambda e: _version_key(e.label), reverse=True)
    root_vars = root_variables(page.blocks)
    blocks = {block.id: render_engines(block, engines, stored, root_vars, labels) if block.show else ""
              for block in page.blocks}
    note = ""
    if stored is not None and page.executed:
        note = page_note([EngineNote(e.stored, e.stale,
                                     engine_warning(e.stored, stale=e.stale, whole=e.stale_blocks is None,
                                                    shown=sum(b.show and e.marks(b) for b in page.executed),
                                                    labels=labels))
                          for e in engines if e.stored is not None], labels)
    return Rendered(blocks, note)


def render_engines(block: Block, engines: list[EngineRecording], first: PageRecording | None,
                   root_vars: frozenset[str] = frozenset(), labels: Labels = ENGLISH) -> str:
    """One transcript when the engines agree on the block (or it is not run), else content tabs, one per engine.
    Material links tabs with the same label across the page (content.tabs.link): a reader picks a version once.
    A block limited to some engines (engines="...") shows its output in their tabs, and a note in the others'."""
    if block.run and block.engines is not None:
        shown = [e for e in engines if e.stored is not None]
        if shown and not all(e.runs(block) for e in shown):
            return _limited(block, shown, root_vars, labels)
    recorded = [e for e in engines if e.stored is not None and block.id in e.stored.blocks]
    if not block.run or len(recorded) < 2 or _agree(block, [e.stored.blocks[block.id] for e in recorded
                                                             if e.stored is not None]):
        records = first.blocks.get(block.id) if first else None
        also = [e.stored for e in recorded if e.stored is not None and e.stored is not first]
        own = next((e for e in engines if e.stored is first), None)
        href = _href(own, block) if own and records else None
        return render_block(block, records, first, stale=bool(own and own.marks(block)), also=also, cast_href=href,
                            root_vars=root_vars, labels=labels)
    tabs = []
    for n, e in enumerate(recorded):
        assert e.stored is not None
        tabs.append((e.label, render_block(block, e.stored.blocks[block.id], e.stored, stale=e.marks(block),
                                           cast_href=_href(e, block), root_vars=root_vars,
                                           anchor=_anchor(block, e, n), labels=labels)))
    return _tabs(block, tabs)


def _limited(block: Block, shown: list[EngineRecording], root_vars: frozenset[str], labels: Labels) -> str:
    """A block limited to some engines: on each of them its transcript (or that it waits to be recorded), on the
    others its commands, not run and not copied, with a note naming the engines it is for. One engine alone shows
    no tab."""
    only = labels.engines_joiner.join(e.label for e in shown if e.runs(block)) or \
        labels.engines_joiner.join(f"Engine {name}" for name in block.engines or ())
    panes = []
    for n, e in enumerate(shown):
        assert e.stored is not None
        if e.runs(block):
            records = e.stored.blocks.get(block.id)
            panes.append((e.label, render_block(block, records, e.stored, stale=e.marks(block),
                                                cast_href=_href(e, block) if records else None, root_vars=root_vars,
                                                anchor=_anchor(block, e, n), labels=labels)))
        else:  # the command as the page writes it, so the text around it makes sense here too; not run, not copied
            elsewhere = replace(block, run=False, reason=labels.only_engines.format(engines=only))
            pane = render_block(elsewhere, None, None, root_vars=root_vars, anchor=_anchor(block, e, n),
                                labels=replace(labels, not_run="{reason}"))
            panes.append((e.label, pane.replace('class="docexec ', 'class="docexec docexec-other-engine ', 1)))
    return panes[0][1] if len(panes) == 1 else _tabs(block, panes)


def _anchor(block: Block, engine: EngineRecording, n: int) -> str:
    """A transcript's id: run-ID, and in the tabs after the first, the engine's too."""
    return f"run-{block.id}" + (f"-{_slug(engine.label)}" if n else "")


def _tabs(block: Block, panes: list[tuple[str, str]]) -> str:
    """Content tabs, one per (label, HTML)."""
    name = f"__tabbed_docexec_{block.id}"
    inputs = "".join(f'<input{" checked" if n == 0 else ""} id="{name}_{n + 1}" name="{name}" type="radio">'
                     for n in range(len(panes)))
    titles = "".join(f'<label for="{name}_{n + 1}">{html.escape(label)}</label>' for n, (label, _) in enumerate(panes))
    blocks = "".join(f'<div class="tabbed-block">{tab}</div>' for _, tab in panes)
    return (f'<div class="tabbed-set tabbed-alternate docexec-engines" data-tabs="{block.id}:{len(panes)}">'
            f'{inputs}<div class="tabbed-labels">{titles}</div><div class="tabbed-content">{blocks}</div></div>')


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")  # "Engine 20.10" -> "engine-20-10"


def _href(engine: EngineRecording, block: Block) -> str | None:
    return engine.cast_href(block) if engine.cast_href and block.exec_kind.replay else None


def _agree(block: Block, outputs: list[list[CommandRecord]]) -> bool:
    def raw(records: list[CommandRecord]) -> list[tuple[int, str]]:
        return [(r.returncode, r.output) for r in records]

    def shape(records: list[CommandRecord]) -> list[tuple[int, str]]:
        return [(r.returncode, normalize(r.output, block.volatile)) for r in records]
    if all(raw(o) == raw(outputs[0]) for o in outputs[1:]):
        return True  # the same bytes: no need to normalise (most blocks, and the cost of a warm build)
    return all(shape(o) == shape(outputs[0]) for o in outputs[1:])


def _version_key(label: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", label))


def render_block(block: Block, records: list[CommandRecord] | None, stored: PageRecording | None,
                 *, stale: bool = False, also: Iterable[PageRecording] = (), cast_href: str | None = None,
                 root_vars: frozenset[str] = frozenset(), anchor: str = "", labels: Labels = ENGLISH) -> str:
    """`anchor`: the wrapper's id (default run-ID; each engine's tab but the first gets its own)."""
    anchor = anchor or f"run-{block.id}"
    renders = kinds.get(block.kind, Renders)
    code = renders.code(block, records, root_vars)
    session = f" {renders.html_class}" if renders.html_class else ""
    figure = renders.figure(block, records, _source_note(block, records, stored, stale, list(also), labels)) \
        if block.run else None
    if figure is not None:  # a picture, not a code box: nothing to copy
        marked = " docexec-stale" if stale else ""
        return f'<div class="docexec no-copy{marked}{session}" id="{anchor}">\n{figure}\n</div>'
    if block.run:
        kind = "docexec docexec-stale" if stale else "docexec"
        copy = renders.copy(block, root_vars, labels)
        attrs = f'class="{kind}{session}" id="{anchor}" data-copy="{escape(code.copy if copy is None else copy)}"'
    else:
        attrs = f'class="docexec docexec-not-run no-copy{session}" id="{anchor}"'
    parts = [f"<div {attrs}>"]
    if code.caption:
        parts.append(f'<p class="docexec-title">{html.escape(code.caption)}</p>')
    parts.append(f'<div class="language-{html.escape(code.language)} highlight"><pre><span></span>'
                 f"<code>{code.html}</code></pre></div>")
    note = html.escape(_source_note(block, records, stored, stale, list(also), labels)
                       + (labels.sudo if block.run and renders.adds_sudo(block, root_vars) else ""))
    note = re.sub(r"\d{4}-\d{2}-\d{2}", r'<span class="docexec-date">\g<0></span>', note)
    if cast_href:  # shown by docexec-replay.js, which the page loads when it has a replay
        note += (f' <button type="button" class="docexec-replay" data-cast="{html.escape(cast_href)}" hidden>'
                 f"{html.escape(labels.replay)}</button>")
    parts.append(f'<p class="docexec-source">{note}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def _source_note(block: Block, records: list[CommandRecord] | None, stored: PageRecording | None,
                 stale: bool, also: list[PageRecording], labels: Labels) -> str:
    if not block.run:
        return labels.not_run.format(reason=block.reason)
    own = kinds.get(block.kind, Renders).note(block, labels)
    if own is not None:
        return own + (labels.stale_block if stale else "")
    if records is None or stored is None:
        return labels.not_recorded
    if any(block.id in s.edited for s in [stored, *also]):
        return labels.edited
    codes = sorted({r.returncode for r in records})
    engines = labels.engines_joiner.join(
        short_version(s) for s in sorted([stored, *also], key=lambda s: _version_key(short_version(s)), reverse=True))
    what = kinds.get(block.kind, Renders).output_label(labels)
    note = labels.recorded.format(what=what, engines=engines, same=labels.same_output if also else "",
                                  date=stored.recorded[:10])
    if codes != [0]:
        note += labels.exit_codes.format(codes=labels.codes_joiner.join(str(c) for c in codes))
    return note + (labels.stale_block if stale else "")


