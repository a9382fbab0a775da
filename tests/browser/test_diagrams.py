"""The book's diagrams in a reader's browser: static SVG in the page (hooks/diagram_svg.py), no Mermaid downloaded,
readable on a phone, in the light and the dark palette."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import device_options, new_context, pages_with, screenshot, visit
from .palette import assert_follows_palettes
from .sitekit import DESKTOP, PHONE, Server

pytestmark = pytest.mark.browser

HINT = "图较宽：左右滑动查看全图"
READABLE_PX = 12  # Mermaid's 16px text shrunk at most to 3/4
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})mermaid\b", re.M)


WITH_DIAGRAMS = pages_with(_FENCE)  # page -> how many ```mermaid fences its Markdown has

# Each diagram the reader sees: the drawing on show (a box may hold a second one for other widths, hidden), the
# size of its smallest text as rendered, whether its box scrolls, and whether the hint under it shows.
MEASURE = """hintText => [...document.querySelectorAll('.md-content .diagram')].map(fig => {
    const box = fig.querySelector('.diagram__box')
    const shown = [...box.querySelectorAll('svg')].filter(svg => svg.getClientRects().length)
    const svg = shown[0]
    const scale = svg.getScreenCTM().a
    const sizes = [...svg.querySelectorAll('text, foreignObject span, foreignObject p, foreignObject div')]
        .filter(e => e.textContent.trim() && !e.querySelector('span, p, div'))
        .map(e => parseFloat(getComputedStyle(e).fontSize) * scale)
    const hint = [...fig.querySelectorAll('p')].find(p => p.textContent.trim() === hintText)
    return {shown: shown.length, smallest: Math.min(...sizes), wide: box.scrollWidth > box.clientWidth + 1,
            hinted: !!hint && hint.getClientRects().length > 0, right: fig.getBoundingClientRect().right,
            label: fig.getAttribute('aria-label') || svg.getAttribute('aria-label') || '',
            role: svg.getAttribute('role')}
})"""


def test_the_book_has_diagrams() -> None:
    assert len(WITH_DIAGRAMS) > 10, WITH_DIAGRAMS


@pytest.mark.parametrize("page", list(WITH_DIAGRAMS), ids=lambda p: p.strip("/"))
def test_diagrams_are_svg_in_the_page_without_mermaid(page: str, server: Server, desktop: Any) -> None:
    """Each diagram is an <svg> in the page itself, labelled for screen readers, and the page asks for no Mermaid
    (3.5 MB of script): not after its load event either, when Material would fetch it to draw a fence."""
    seen = visit(desktop, server.url(page))
    seen.page.wait_for_timeout(1000)
    asked = [u for u in seen.requests if "mermaid" in u.rsplit("/", 1)[-1]]
    assert not asked, f"{page}: {asked}"
    drawings = seen.page.evaluate(MEASURE, HINT)
    expected = WITH_DIAGRAMS[page]
    assert len(drawings) == expected, f"{page}: {len(drawings)} of {expected} diagrams in the page"
    for n, drawing in enumerate(drawings):
        assert drawing["shown"] == 1, f"{page} diagram {n + 1}: {drawing['shown']} drawings on show"
        assert drawing["role"] == "img" and len(drawing["label"]) > 8, f"{page} diagram {n + 1}: {drawing}"
    heights = seen.page.evaluate("[...document.querySelectorAll('.diagram svg')]"
                                 ".filter(s => s.getClientRects().length).map(s => s.getBoundingClientRect().height)")
    assert all(h > 50 for h in heights), f"{page}: diagram heights {heights}"
    assert not seen.page.locator("pre.mermaid").count(), f"{page}: a diagram stayed as text"
    assert not seen.console_errors and not seen.problems, f"{page}: {seen.console_errors} {seen.problems}"


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_diagram_text_is_readable(device: str, server: Server, browser: Any) -> None:
    """On a 390px phone and on a desktop, no diagram's text is smaller than 12px: a wide flowchart shows its drawing
    turned for narrow columns, and what still does not fit scrolls inside its box, with the hint under it (and only
    then). A screenshot of each diagram goes to test-artifacts/screenshots/ for a person to look at."""
    context = new_context(browser, server, **device_options(device))
    width = (PHONE if device == "phone" else DESKTOP)["width"]
    small = []
    try:
        for page, expected in WITH_DIAGRAMS.items():
            seen = visit(context, server.url(page))
            drawings = seen.page.evaluate(MEASURE, HINT)
            assert len(drawings) == expected, f"{page}: {len(drawings)} of {expected} diagrams in the page"
            for n, drawing in enumerate(drawings):
                where = f"{page} diagram {n + 1}"
                if drawing["smallest"] < READABLE_PX - 0.1:
                    small.append(f"{where}: {drawing['smallest']:.1f}px")
                assert drawing["hinted"] == drawing["wide"], f"{where}: {drawing}"
                assert drawing["right"] <= width + 0.5, f"{where} sticks out of the page"
                seen.page.locator(".md-content .diagram").nth(n).scroll_into_view_if_needed()
                screenshot(seen.page, f"diagram-{device}-{page.strip('/').replace('/', '-')}-{n + 1}")
            assert seen.page.evaluate("document.scrollingElement.scrollWidth") <= width, page
            seen.page.close()
    finally:
        context.close()
    assert not small, f"diagram text smaller than {READABLE_PX}px on a {device}: {small}"


# A label's text colour and the page's background, as the reader's browser computes them (rgb(...) strings).
COLOURS = """() => {
    const label = document.querySelector('.md-content .diagram svg .node .nodeLabel')
    return {text: getComputedStyle(label).color, page: getComputedStyle(document.body).backgroundColor}
}"""


def test_diagrams_follow_the_light_and_dark_palettes(server: Server, browser: Any) -> None:
    """The drawings take their colours from Material's palette: a label is dark on the light page and light on the
    dark one, readable on both (contrast 4.5:1 or more against the page)."""
    assert_follows_palettes(browser, server, next(iter(WITH_DIAGRAMS)), COLOURS)
