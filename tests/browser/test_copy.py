"""The copy button of a transcript copies its commands, exactly (with sudo where a host command needs root), and
nothing of their outputs; a block that must not be run has no copy button. A terminal session copies its first
command and says the rest in comments (test_paste.py pastes them into shells)."""

from __future__ import annotations

import html
import re
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
            self.blocks.append({"id": a.get("id"), "copy": a.get("data-copy"), "commands": [], "outputs": [],
                                "classes": classes})
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


COPY_BUTTON = "button[data-md-type=copy], button.md-clipboard"
SUDO = re.compile(r'(?m)^([A-Za-z_][A-Za-z0-9_]*="?\$\()?sudo ')  # in front of a command, or inside NAME=$(…)


def test_data_copy_is_exactly_the_commands(site: Path) -> None:
    pages = _blocks(site)
    if not pages:
        pytest.skip("no page has a command block yet")
    with_sudo = 0
    for page, blocks in pages.items():
        for block in blocks:
            where = f"{page} #{block['id']}"
            if "docexec-file" in block["classes"]:  # a file (exec="file"): copied whole, it holds no commands
                assert block["copy"] is not None and not block["commands"] and not block["outputs"], where
                continue
            if "docexec-topology-block" in block["classes"]:  # a measured picture: no command, nothing to copy
                assert block["copy"] is None and not block["commands"] and "no-copy" in block["classes"], where
                continue
            if "docexec-other-engine" in block["classes"]:  # engines="…": shown in this engine's tab, not run here
                assert block["copy"] is None and "no-copy" in block["classes"], f"{where}: must not be copied"
                assert block["commands"] and not block["outputs"], where
                continue
            assert block["commands"], f"{where}: no command"
            if "docexec-not-run" in block["classes"]:
                assert block["copy"] is None and "no-copy" in block["classes"], f"{where}: must not be copied"
                continue
            assert block["copy"] is not None, f"{where}: no data-copy"
            if "docexec-session" in block["classes"]:  # a terminal session: its first command, the rest as comments
                first, *rest = html.unescape(block["copy"]).split("\n")
                assert first == block["commands"][0], where
                assert all(line.startswith("#") for line in rest), f"{where}: a line after the first runs: {rest}"
                assert [line for line in rest if line.startswith("#   docker ")] == \
                    [f"#   {c}" for c in block["commands"][1:]], f"{where}: the later commands are not said"
                continue
            assert SUDO.sub(r"\1", block["copy"]) == "\n".join(block["commands"]), where
            assert not block["copy"].startswith("$"), where
            assert not re.search(r"(?m)^sudo docker\b", block["copy"]), f"{where}: docker needs no sudo"
            with_sudo += len(SUDO.findall(block["copy"]))
            for output in block["outputs"]:
                for line in output.splitlines():
                    if len(line.strip()) > 8 and line.strip() not in block["commands"]:
                        assert line not in block["copy"].splitlines(), f"{where}: output line {line!r} copied"
    assert with_sudo > 0, "no host command is copied with sudo"


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
        # Blocks shown first: an engine's tab other than the first one (id run-X-engine-20-10) starts hidden.
        shown = [b for b in pages[page] if not re.search(r"-engine-[0-9-]+$", b["id"] or "")]
        candidates = [b for b in shown if len(b["commands"]) > 1 and b["id"]] or shown
        for block in candidates[:3]:
            wrapper = seen.page.locator(f"div.docexec[id='{block['id']}']")
            wrapper.scroll_into_view_if_needed()
            wrapper.hover()
            button = wrapper.locator(COPY_BUTTON)
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


def test_sudo_is_on_the_clipboard_but_not_on_the_page(site: Path, server: Server, browser: Any) -> None:
    page = "traffic/iptables/"
    block = next(b for b in _blocks(site)[page] if b["copy"] and b["copy"].startswith("sudo iptables"))
    context = new_context(browser, server, viewport=DESKTOP)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.origin)
        seen = visit(context, server.url(page))
        wrapper = seen.page.locator(f"div.docexec[id='{block['id']}']")
        assert "sudo" not in wrapper.locator("code").inner_text(), "the transcript shows the commands as run"
        wrapper.scroll_into_view_if_needed()
        wrapper.hover()
        wrapper.locator(COPY_BUTTON).click()
        seen.page.wait_for_function("document.querySelector('.md-dialog') "
                                    "&& document.querySelector('.md-dialog').textContent.includes('已复制')")
        assert seen.page.evaluate("navigator.clipboard.readText()") == html.unescape(block["copy"]).rstrip()
    finally:
        context.close()


def test_a_block_that_must_not_be_run_has_no_copy_button(site: Path, server: Server, desktop: Any) -> None:
    pages = _blocks(site)
    not_run = [(p, b["id"]) for p, blocks in pages.items() for b in blocks if "docexec-not-run" in b["classes"]]
    assert ("storage/host-files/", "run-old-way") in not_run, not_run
    for page in sorted({p for p, _ in not_run}):
        seen = visit(desktop, server.url(page))
        for p, block_id in not_run:
            if p == page:
                buttons = seen.page.locator(f"div.docexec[id='{block_id}']").locator(COPY_BUTTON)
                assert buttons.count() == 0, f"{page} #{block_id}: has a copy button"
        # The page's other blocks keep theirs.
        assert seen.page.locator("div.docexec:not(.no-copy)").locator(COPY_BUTTON).count() > 0, page
        seen.page.close()


def test_a_session_copies_what_is_typed_inside_marked_and_runs_only_its_first_command(
        site: Path, server: Server, browser: Any) -> None:
    page, block_id = "modes/interactive/", "run-run-it"
    context = new_context(browser, server, viewport=DESKTOP)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.origin)
        seen = visit(context, server.url(page))
        wrapper = seen.page.locator(f"div.docexec[id='{block_id}']")
        wrapper.scroll_into_view_if_needed()
        wrapper.hover()
        wrapper.locator(COPY_BUTTON).click()
        seen.page.wait_for_function("document.querySelector('.md-dialog') "
                                    "&& document.querySelector('.md-dialog').textContent.includes('已复制')")
        copied = seen.page.evaluate("navigator.clipboard.readText()").split("\n")
    finally:
        context.close()
    assert copied[0] == "docker run -it --name master busybox sh", copied
    assert all(line.startswith("#") for line in copied[1:]), f"a line after the first runs when pasted: {copied}"
    inside = copied.index("# 以下在容器内输入：")
    host = copied.index("# 回到宿主机后运行：")
    assert copied[inside + 1:host] == ["#   ip addr show eth0", "#   按 Ctrl+P Ctrl+Q"], copied
    assert copied[host + 1:] == [r"#   docker ps --format '{{.Names}}\t{{.Status}}'"], copied
