"""The copy button of a transcript copies its commands, exactly, and nothing of their outputs."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from .conftest import doc_pages, new_context, visit
from .sitekit import DESKTOP, Server

pytestmark = pytest.mark.browser


class _Blocks(HTMLParser):
    """Each <div class="docexec">: its data-copy, its command spans and its output spans, as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[dict[str, Any]] = []
        self._stack: list[str | None] = []  # class of each open span inside a block
        self._depth = 0  # open <div>s inside the current block

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "div" and "docexec" in classes and not self._depth:
            self.blocks.append({"id": a.get("id"), "copy": a.get("data-copy"), "commands": [], "outputs": []})
            self._depth = 1
        elif tag == "div" and self._depth:
            self._depth += 1
        elif tag == "span" and self._depth:
            kind = "commands" if "docexec-cmd" in classes else "outputs" if "go" in classes else None
            self._stack.append(kind)
            if kind:
                self.blocks[-1][kind].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._depth:
            self._depth -= 1
        elif tag == "span" and self._depth and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        kind = next((k for k in reversed(self._stack) if k), None)
        if self._depth and kind:
            self.blocks[-1][kind][-1] += data


def _blocks(site: Path) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for page in doc_pages():
        path = site / page / "index.html"
        if path.is_file():
            parser = _Blocks()
            parser.feed(path.read_text(encoding="utf-8"))
            if parser.blocks:
                found[page] = parser.blocks
    return found


def test_data_copy_is_exactly_the_commands(site: Path) -> None:
    pages = _blocks(site)
    if not pages:
        pytest.skip("no page has a command block yet")
    for page, blocks in pages.items():
        for block in blocks:
            where = f"{page} #{block['id']}"
            assert block["copy"] is not None, f"{where}: no data-copy"
            assert block["commands"], f"{where}: no command"
            assert block["copy"] == "\n".join(block["commands"]), where
            assert not block["copy"].startswith("$"), where
            for output in block["outputs"]:
                for line in output.splitlines():
                    if len(line.strip()) > 8 and line.strip() not in block["commands"]:
                        assert line not in block["copy"].splitlines(), f"{where}: output line {line!r} copied"


def test_copy_button_puts_the_commands_on_the_clipboard(site: Path, server: Server, browser: Any) -> None:
    pages = _blocks(site)
    if not pages:
        pytest.skip("no page has a command block yet")
    # The page whose blocks have the most commands, and its first block with more than one command.
    page = max(pages, key=lambda p: sum(len(b["commands"]) for b in pages[p]))
    context = new_context(browser, server, viewport=DESKTOP)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.origin)
        seen = visit(context, server.url(page))
        candidates = [b for b in pages[page] if len(b["commands"]) > 1 and b["id"]] or pages[page]
        for block in candidates[:3]:
            wrapper = seen.page.locator(f"div.docexec[id='{block['id']}']")
            wrapper.scroll_into_view_if_needed()
            wrapper.hover()
            button = wrapper.locator("button[data-md-type=copy], button.md-clipboard")
            assert button.count() == 1, f"{page} #{block['id']}: {button.count()} copy buttons"
            seen.page.evaluate("navigator.clipboard.writeText('')")
            button.click()
            seen.page.wait_for_function("document.querySelector('.md-dialog') "
                                        "&& document.querySelector('.md-dialog').textContent.includes('已复制')")
            copied = seen.page.evaluate("navigator.clipboard.readText()")
            assert copied == html.unescape(block["copy"]).rstrip(), f"{page} #{block['id']}: copied {copied!r}"
        assert not seen.console_errors, seen.console_errors
    finally:
        context.close()
