"""What frames a lesson, in Chromium on a phone and a desktop: the note under the title (one short line, the
engines' provenance on demand), what a link preview says about the page, the 404 page's way back into the book,
wide tables, and the copy button of code blocks."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import doc_pages
from .sitekit import Server

pytestmark = pytest.mark.browser

# Words of the page note, as it is now and as it was (two notes of one long sentence each).
NOTE_WORDS = ("实录于", "真实运行结果", "录制于", "dfsg")


def _html(site: Path, page: str) -> str:
    return (site / (page + "index.html")).read_text(encoding="utf-8")


def _noted(site: Path) -> list[str]:
    pages = [p for p in doc_pages() if "docexec-page-source" in _html(site, p)]
    assert pages, "no page has a note under its title"
    return pages


def test_one_note_under_each_title(site: Path) -> None:
    for name in _noted(site):
        count = _html(site, name).count('class="docexec-page-source')
        assert count == 1, f"{name}: {count} notes under the title"


def _sample(site: Path) -> list[str]:
    """Pages measured in the browser: a few, the longest notes first (a page on one engine among them)."""
    pages = _noted(site)
    def note(p: str) -> str:
        return _html(site, p).split("docexec-page-source", 1)[1].split("</summary>", 1)[0]
    one_engine = [p for p in pages if " 与 " not in note(p)]
    return sorted(pages, key=lambda p: -len(note(p)))[:4] + one_engine[:1]


def _open(context: Any, url: str) -> Any:
    page = context.new_page()
    page.goto(url, wait_until="load")
    return page


NOTE_MEASURES = """() => {
  const notes = [...document.querySelectorAll('.docexec-page-source')]
  const note = notes[0], details = note && note.querySelector('details')
  const line = details ? details.querySelector('summary') : note
  const lineHeight = parseFloat(getComputedStyle(line).lineHeight)
  const date = line.querySelector('.docexec-date')
  return {count: notes.length, lines: Math.round(line.getBoundingClientRect().height / lineHeight),
          dateRects: date ? date.getClientRects().length : 0, open: details ? details.open : null,
          hidden: details ? [...details.children].filter(c => c.tagName !== 'SUMMARY')
                                 .every(c => !c.checkVisibility()) : null,
          details: details ? details.textContent : '', fontPx: parseFloat(getComputedStyle(line).fontSize)}
}"""


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_one_short_page_note_with_the_engines_on_demand(device: str, site: Path, server: Server,
                                                       request: pytest.FixtureRequest) -> None:
    context = request.getfixturevalue(device)
    for name in _sample(site):
        page = _open(context, server.url(name))
        note = page.evaluate(NOTE_MEASURES)
        assert note["count"] == 1, f"{name}: {note['count']} notes under the title"
        assert note["lines"] == 1, f"{name}: the note's line takes {note['lines']} lines on a {device}"
        assert note["dateRects"] == 1, f"{name}: the date is broken across lines"
        assert note["fontPx"] >= 12, note
        assert note["open"] is False and note["hidden"], f"{name}: the provenance is shown before it is asked for"
        line = page.locator(".docexec-page-source summary").inner_text()
        engines = re.findall(r"\b(28\.5|20\.10)\b", line)
        assert engines and len(set(engines)) == len(engines), f"{name}: {line}"
        for engine in engines:  # the details hold each engine's full version
            assert re.search(re.escape(engine) + r"\.\d+\+dfsg\d", note["details"]), (name, note["details"])
        # Opened, they show each engine's provenance.
        page.locator(".docexec-page-source summary").click()
        shown = page.locator(".docexec-page-source details li")
        assert shown.count() == len(engines), name
        assert all(shown.nth(i).is_visible() for i in range(len(engines))), name
        page.close()


def test_descriptions_say_what_the_page_teaches(site: Path) -> None:
    """A link preview (meta description, og:description) of a page without `description:` in its front matter
    shows the lesson's opening, never the note under its title."""
    for name in doc_pages():
        text = _html(site, name)
        for attribute in ('name="description"', 'property="og:description"'):
            found = re.search(r'<meta ' + attribute + r' content="([^"]*)"', text)
            assert found, f"{name or 'index'}: no {attribute}"
            said = html.unescape(found.group(1))
            assert said.strip(), f"{name or 'index'}: empty {attribute}"
            leaked = [w for w in NOTE_WORDS if w in said]
            assert not leaked, f"{name or 'index'}: {attribute} holds the page note ({leaked}): {said}"


def _in_navigation(site: Path, server: Server) -> list[str]:
    """The addresses of the pages in the book's navigation (the home page's sidebar)."""
    home = (site / "index.html").read_text(encoding="utf-8")
    sidebar = home.split("md-nav--primary", 1)[1].split("md-sidebar--secondary", 1)[0]
    pages = set(doc_pages())
    hrefs = {"" if h == "." else h.removeprefix("./")
             for h in re.findall(r'<a href="([^"#]*)" class="md-nav__link', sidebar)}
    found = [server.url(h) for h in sorted(hrefs) if h in pages]
    assert len(found) > 10, f"the home page's sidebar links {found}"
    return found


LINKS = """() => [...document.querySelectorAll('.md-content a[href]')]
  .filter(a => a.getClientRects().length && getComputedStyle(a).visibility !== 'hidden'
               && !a.closest('.md-header, .md-footer') && a.href.startsWith(document.baseURI))
  .map(a => a.href)"""


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("missing", ["basics/no/such/page/", "traffic/gone/"])
def test_404_page_leads_back_into_the_book_without_errors(device: str, missing: str, site: Path, server: Server,
                                                          request: pytest.FixtureRequest) -> None:
    context = request.getfixturevalue(device)
    page = context.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url')})") if m.type == "error" else None)
    page.on("response", lambda r: failed.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None)
    url = server.url(missing)
    response = page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    assert response is not None and response.status == 404
    # The browser reports the page's own status once; nothing else may fail (no probing for the root).
    assert failed == [f"404 GET {url}"], failed
    assert len(errors) == 1 and "404" in errors[0], errors
    links = page.evaluate(LINKS)
    unlinked = sorted(set(_in_navigation(site, server)) - set(links))
    assert not unlinked, f"{device}: the book's pages not linked from the 404 page: {unlinked}"
    for link in sorted(set(links))[:6]:
        assert page.request.get(link).status == 200, link
    page.close()


def test_404_page_finds_the_root_a_page_remembered(server: Server, desktop: Any) -> None:
    """An address with none of the book's folders in it: the root is the one a page of the book, visited
    before in this browser, remembered."""
    _open(desktop, server.url("basics/veth/")).close()
    page = desktop.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    url = server.url("no/such/page/")
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    assert failed == [url], failed
    assert page.evaluate("document.baseURI") == server.base



TABLES = """() => [...document.querySelectorAll('.md-content table')].map(table => {
  const box = table.closest('.md-typeset__scrollwrap') || table
  const scrollers = [table, box].filter(e => e.scrollWidth > e.clientWidth + 1)
  const hint = box.nextElementSibling
  const room = document.querySelector('.md-content').getBoundingClientRect()
  const r = table.getBoundingClientRect()
  return {
    small: [...table.querySelectorAll('td, th')].map(c => parseFloat(getComputedStyle(c).fontSize))
      .filter(px => px < 12),
    fits: scrollers.length === 0 && r.left >= room.left - 0.5 && r.right <= room.right + 0.5,
    scrolls: scrollers.some(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)),
    hint: hint && hint.checkVisibility() && hint.getBoundingClientRect().height > 0 ? hint.textContent : '',
    broken: [...table.querySelectorAll('code')].filter(c => c.getClientRects().length > 1).map(c => c.textContent),
  }
})"""


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_wide_tables_are_readable(device: str, server: Server, request: pytest.FixtureRequest) -> None:
    """The comparison on traffic/cross-host (five columns): text of at least 12 px, and the table fits or
    scrolls in its box with a hint that says so; no inline code box broken across lines."""
    page = _open(request.getfixturevalue(device), server.url("traffic/cross-host/"))
    page.wait_for_load_state("networkidle")
    tables = page.evaluate(TABLES)
    assert tables, "no table on traffic/cross-host/"
    for n, table in enumerate(tables):
        assert not table["small"], f"table {n}: cells in {table['small']} px text"
        assert table["fits"] or (table["scrolls"] and table["hint"]), f"{device}, table {n}: {table}"
        assert not table["broken"], f"{device}, table {n}: code broken across lines: {table['broken']}"
    page.close()


COPY_OVER_TEXT = """async () => {
  const found = []
  for (const pre of [...document.querySelectorAll('.md-typeset .highlight pre')].filter(p => p.checkVisibility())) {
    pre.scrollIntoView({block: 'center'})
    await new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)))
    const code = pre.querySelector(':scope > code'), button = pre.querySelector('.md-code__nav, .md-clipboard')
    if (!code || !button) continue
    // The first line's text, as far as the code's box shows it.
    const range = document.createRange(), walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT)
    let node, started = false
    while ((node = walker.nextNode())) {
      if (!node.data.length) continue
      if (!started) { range.setStart(node, 0); started = true }
      const end = node.data.indexOf('\\n')
      if (end >= 0) { range.setEnd(node, end); break }
      range.setEnd(node, node.data.length)
    }
    const box = code.getBoundingClientRect()
    const b = button.getBoundingClientRect()
    for (const r of range.getClientRects()) {
      const left = Math.max(r.left, box.left), right = Math.min(r.right, box.left + code.clientWidth)
      if (r.width && right > b.left && left < b.right && r.bottom > b.top && r.top < b.bottom)
        found.push(code.textContent.split('\\n')[0].slice(0, 60))
    }
  }
  return found
}"""


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_copy_button_covers_no_text(device: str, server: Server, request: pytest.FixtureRequest) -> None:
    """Every code block's copy button, on lessons with transcripts and terminal sessions: its box does not meet
    the visible part of the block's first line."""
    covered = {}
    for lesson in ("basics/veth/", "modes/interactive/", "traffic/iptables/"):
        page = _open(request.getfixturevalue(device), server.url(lesson))
        page.wait_for_load_state("networkidle")
        assert page.locator(".md-code__nav, .md-clipboard").count(), f"{lesson}: no copy button"
        if found := page.evaluate(COPY_OVER_TEXT):
            covered[lesson] = found
        page.close()
    assert not covered, f"on a {device}, the copy button covers the first line of {covered}"
