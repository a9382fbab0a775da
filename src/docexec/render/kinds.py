"""What rendering asks of an exec kind (`Renders`: how its blocks show), and the HTML escape transcripts share."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import ClassVar

from docexec.page.kinds import ExecKind
from docexec.page.model import Block, Command
from docexec.render.wording import Labels
from docexec.store.recording import CommandRecord


@dataclass(frozen=True)
class Code:
    """What a block shows in its code box, and what its copy button copies."""

    html: str  # inside <code>
    copy: str
    language: str = "console"  # the box's highlighting (its `language-X` class)
    caption: str | None = None  # the title above it


class Renders(ExecKind):
    """How an exec kind's blocks show. The defaults: each command after a `$ ` prompt with its recorded output under
    it, the commands copied as written, and the note under the block calls them outputs."""

    html_class: ClassVar[str] = ""  # a class the block's wrapper gets besides "docexec" ("docexec-session")

    def code(self, block: Block, records: list[CommandRecord] | None, root_vars: frozenset[str]) -> Code:
        """The block's code box (records: its commands' recordings; None: not recorded)."""
        body: list[str] = []
        for n, command in enumerate(block.commands):
            body.append(f'<span class="gp">$ </span><span class="docexec-cmd">{escape(command.display)}</span>\n')
            body.append(self.output(command, records[n] if records and n < len(records) else None))
        return Code("".join(body).rstrip("\n"), "\n".join(self.copy_line(c, root_vars) for c in block.commands),
                    caption=block.title)

    def figure(self, block: Block, records: list[CommandRecord] | None, note: str) -> str | None:
        """The HTML a block shows instead of its code box, when its kind draws one (exec="topology": the picture
        recorded with it); `note`: the words under a code box (where and when it was recorded). None: a code box."""
        return None

    def note(self, block: Block, labels: Labels) -> str | None:
        """What the note under a block that runs says, if the kind says it itself (None: where its output was
        recorded, and when)."""
        return None

    def output(self, command: Command, record: CommandRecord | None) -> str:
        """The HTML under the command's `$ ` line (record: its recording; None: not recorded)."""
        if record is None or not record.output:
            return ""
        output = record.output if record.output.endswith("\n") else record.output + "\n"
        return f'<span class="go">{escape(output)}</span>'

    def copy_line(self, command: Command, root_vars: frozenset[str]) -> str:
        """The command as the copy button copies it (`root_vars`: the page's variables only root may read)."""
        return command.display

    def copy(self, block: Block, root_vars: frozenset[str], labels: Labels) -> str | None:
        """What the copy button copies, when the kind words it with the book's labels (None: `Code.copy`)."""
        return None

    def adds_sudo(self, block: Block, root_vars: frozenset[str]) -> bool:
        """Whether the copy button copies some of the block's commands with `sudo ` (the note under it says so)."""
        return False

    def output_label(self, labels: Labels) -> str:
        """What the note under the block calls the commands' outputs."""
        return labels.output


def escape(text: str) -> str:
    """HTML-escape, keeping tabs: Python-Markdown expands literal tabs even inside raw HTML."""
    return html.escape(text).replace("\t", "&#9;")
