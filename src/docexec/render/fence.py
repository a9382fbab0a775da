"""The SuperFences custom fence that shows an exec block as its transcript (MkDocs-free; used by mkdocs_plugin).

SuperFences finds every fence of a page, indented or not (inside an admonition, a content tab, a list item), and
asks each custom fence of the fence's language whether it takes it (the validator): this one takes the fences with
an `exec` option and leaves every other fence to SuperFences' own highlighting, exactly as before. Its formatter
returns the HTML that `render.render_page` prepared for the block (looked up by the block's id), which SuperFences
stashes: Python-Markdown never parses it again.
SuperFences swallows a validator's or formatter's errors except `SuperFencesException`; errors in the page itself
are reported before conversion, when the engine parses the page (with its line numbers).
"""

from __future__ import annotations

from typing import Any

from docexec.render.html import Rendered

HIDDEN = "<!--docexec-hidden-->"  # what a show="no" block renders to (an empty stash would leave <p></p>)


class ExecFence:
    def __init__(self) -> None:
        self.page = ""  # the page being converted, as messages name it
        self.rendered = Rendered()
        self.formatted: list[str] = []

    def start(self, page: str, rendered: Rendered) -> None:
        """The page about to be converted, and its transcripts."""
        self.page, self.rendered, self.formatted = page, rendered, []

    def entry(self, language: str) -> dict[str, Any]:
        """The `custom_fences` entry of `pymdownx.superfences` for one language."""
        return {"name": language, "class": "docexec", "validator": self.validate, "format": self.format}

    def validate(self, language: str, inputs: dict[str, str], options: dict[str, str], attrs: dict[str, str],
                 md: object) -> bool:
        if "exec" not in inputs:
            return False  # not an exec block: SuperFences highlights it as usual
        block_id = inputs.get("id", "")
        if block_id not in self.rendered.blocks:
            from pymdownx.superfences import SuperFencesException  # type: ignore[import-untyped]

            raise SuperFencesException(f"{self.page}: an exec block with id=\"{block_id}\" that the engine did not "
                                       "find on the page")
        options["docexec_id"] = block_id
        return True

    def format(self, src: str, language: str, class_name: str, options: dict[str, str], md: object,
               **kwargs: object) -> str:
        block_id = options["docexec_id"]
        self.formatted.append(block_id)
        return self.rendered.blocks[block_id] or HIDDEN

    def finish(self, html: str) -> tuple[str, list[str]]:
        """The converted page without the marks of hidden blocks, and the shown blocks that did not become
        transcripts (a fence inside raw HTML or an indented code block is not rendered by SuperFences)."""
        lost = [block_id for block_id, fragment in self.rendered.blocks.items()
                if fragment and f'id="run-{block_id}"' not in html]
        return html.replace(HIDDEN + "\n", "").replace(HIDDEN, ""), lost
