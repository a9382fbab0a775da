"""Every page in a real browser: loads cleanly, asks only its own server, fits a phone (diagrams: test_diagrams.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Visit, doc_pages, new_context, screenshot, visit
from .sitekit import DESKTOP, PHONE, Server, serve

pytestmark = pytest.mark.browser

PAGES = [*doc_pages(), "404.html"]


def _built(site: Path, page: str) -> str:
    path = site / (page if page.endswith(".html") else page + "index.html")
    if not path.is_file():
        pytest.fail(f"{page or 'index'}: docs/ has the page but the build wrote no {path.relative_to(site)}")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p or "index")
def test_page_loads_cleanly(page: str, site: Path, server: Server, desktop: Any) -> None:
    html = _built(site, page)
    seen = visit(desktop, server.url(page))
    assert not seen.console_errors, f"console errors on {page or 'index'}: {seen.console_errors}"
    assert not seen.problems, f"{page or 'index'}: {seen.problems}"
    foreign = seen.foreign_requests(server.origin)
    assert not foreign, f"{page or 'index'} asked another origin for: {foreign}"
    # A diagram with no stored drawing (hooks/diagram_svg.py) is drawn by Mermaid, loaded from the site after the
    # load event, through Material's page observer: on a machine busy with labs that can come after the network
    # was idle for a moment (seen once on traffic/ipv6/). Give it 10 s. The others load no Mermaid at all.
    undrawn = '<pre class="mermaid"' in html

    def asked_for_mermaid() -> bool:
        return any(u.endswith("/assets/javascripts/mermaid.min.js") for u in seen.requests)
    for _ in range(40 if undrawn else 0):
        if asked_for_mermaid():
            break
        seen.page.wait_for_timeout(250)
    mermaid_requested = asked_for_mermaid()
    assert mermaid_requested == undrawn, (
        f"{page or 'index'}: undrawn diagrams={undrawn} but mermaid.min.js requested={mermaid_requested}")
    # The search index is fetched by Material's (patched) worker on every page: proof it started. Material asks
    # for it after the load event too: on a busy machine that came once after the network was idle (traffic/
    # manage/, load average 14). Give it 10 s as well.
    def asked_for_index() -> bool:
        return any(u.endswith("/search/search_index.json") for u in seen.requests)
    for _ in range(40):
        if asked_for_index():
            break
        seen.page.wait_for_timeout(250)
    assert asked_for_index(), seen.requests


def test_unknown_address_shows_the_404_page(server: Server, desktop: Any) -> None:
    _check_404(visit(desktop, server.url("no/such/page/"), expect_status=404), server)


@pytest.mark.parametrize("prefix", ["/", "/a/b/c/"])
def test_404_page_works_in_any_folder(prefix: str, site: Path, browser: Any) -> None:
    """Served at the root or three folders down (a mirror, a preview), with SITE_URL saying nothing of it."""
    with serve(site, prefix) as elsewhere:
        context = new_context(browser, elsewhere, viewport=DESKTOP)
        try:
            _check_404(visit(context, elsewhere.url("basics/no-such-lesson/"), expect_status=404), elsewhere)
        finally:
            context.close()


def test_404_page_opened_below_a_parent_folder(site: Path, browser: Any) -> None:
    """`python3 -m http.server` in the folder that holds site/: its own 404 answers missing addresses, so the
    book's 404 page is opened by its address, /site/404.html."""
    with serve(site.parent) as parent:
        context = new_context(browser, parent, viewport=DESKTOP)
        try:
            below = Server(parent.origin, f"/{site.name}/")
            _check_404(visit(context, below.url("404.html")), below)
        finally:
            context.close()


def _check_404(seen: Visit, server: Server) -> None:
    assert "页面不存在" in seen.page.title()
    assert seen.page.locator("h1").inner_text().startswith("404")
    assert not seen.console_errors, seen.console_errors
    assert not seen.problems, seen.problems
    assert not seen.foreign_requests(server.origin)
    # Styled: every style sheet and script from the site's root folder, none from below the missing address.
    assert seen.page.evaluate("document.baseURI") == server.base
    loaded = [u for u in seen.requests if u.endswith((".css", ".js"))]
    assert loaded and all(u.startswith(server.base + "assets/") for u in loaded), loaded
    assert seen.page.evaluate("getComputedStyle(document.querySelector('.md-header')).position") == "sticky"
    assert seen.page.locator(".md-404-nav").is_visible(), "the book's contents, on every screen"
    # Material's search finds its index from there too.
    assert server.base + "search/search_index.json" in seen.requests, seen.requests
    # Linked back into the book.
    seen.page.locator(".md-404-nav a", has_text="导读").first.click()
    seen.page.wait_for_load_state("load")
    assert seen.page.url == server.base


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p or "index")
def test_phone_shows_outputs_without_page_overflow(page: str, site: Path, server: Server, phone: Any) -> None:
    html = _built(site, page)
    seen = visit(phone, server.url(page))
    width = seen.page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page or 'index'}: the page is {width}px wide on a {PHONE['width']}px phone"
    if 'class="docexec"' not in html:
        return
    # Wide transcripts scroll inside their own block.
    blocks = seen.page.evaluate("""() => [...document.querySelectorAll('.docexec pre > code')].map(c => ({
        scroll: c.scrollWidth, client: c.clientWidth, overflow: getComputedStyle(c).overflowX,
        right: c.getBoundingClientRect().right}))""")
    assert blocks, "no transcript rendered"
    for block in blocks:
        assert block["right"] <= PHONE["width"] + 0.5, block
        if block["scroll"] > block["client"]:
            assert block["overflow"] in ("auto", "scroll"), block


def test_glossary_is_readable_on_a_phone(server: Server, phone: Any) -> None:
    """No squeezed columns: each term is a card whose explanation takes the screen's width, its link in view."""
    seen = visit(phone, server.url("glossary/"))
    cells = seen.page.evaluate("""() => [...document.querySelectorAll('.glossary tbody tr')].map(row => {
        const [term, english, text, link] = [...row.cells].map(c => c.getBoundingClientRect())
        return {term: term.width, text: text.width, right: Math.max(text.right, link.right), row: row.clientWidth}
    })""")
    assert len(cells) > 20, cells
    for cell in cells:
        assert cell["text"] >= 0.9 * cell["row"] - 30, cell  # a full line, not a column of two characters
        assert cell["right"] <= PHONE["width"], cell
    assert not seen.page.locator(".glossary thead").first.is_visible()
    screenshot(seen.page, "glossary-phone")
