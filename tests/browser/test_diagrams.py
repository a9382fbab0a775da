"""The book's diagrams in a reader's browser: static SVG in the page (hooks/diagram_svg.py), no Mermaid downloaded,
readable on a phone, in the light and the dark palette."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import doc_pages, new_context, page_source, screenshot, visit
from .sitekit import DESKTOP, PHONE, ROOT, Server

pytestmark = pytest.mark.browser

HINT = "图较宽：左右滑动查看全图"
READABLE_PX = 12  # Mermaid's 16px text shrunk at most to 3/4
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})mermaid\b", re.M)


def _diagrams() -> dict[str, int]:
    """Page -> how many ```mermaid fences its Markdown has."""
    counts = {p: len(_FENCE.findall((ROOT / "docs" / page_source(p)).read_text(encoding="utf-8")))
              for p in doc_pages()}
    return {p: n for p, n in counts.items() if n}


WITH_DIAGRAMS = _diagrams()

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
    options: dict[str, Any] = {"viewport": DESKTOP} if device == "desktop" else {
        "viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
    context = new_context(browser, server, **options)
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


def _rgb(colour: str, under: str = "rgb(255, 255, 255)") -> tuple[float, ...]:
    """r, g, b in 0..1 of a computed colour, a translucent one laid over `under`."""
    parts = [float(c) for c in re.findall(r"[\d.]+", colour)]
    alpha = parts[3] if len(parts) > 3 else 1.0
    base = _rgb(under) if alpha < 1 else (0.0, 0.0, 0.0)
    return tuple(alpha * c / 255 + (1 - alpha) * b for c, b in zip(parts[:3], base, strict=True))


def _luminance(rgb: tuple[float, ...]) -> float:
    return sum(k * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
               for k, c in zip((0.2126, 0.7152, 0.0722), rgb, strict=True))


def _contrast(text: str, page: str) -> float:
    a, b = sorted((_luminance(_rgb(text, page)), _luminance(_rgb(page))), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_diagrams_follow_the_light_and_dark_palettes(server: Server, browser: Any) -> None:
    """The drawings take their colours from Material's palette: a label is dark on the light page and light on the
    dark one, readable on both (contrast 4.5:1 or more against the page)."""
    page = next(iter(WITH_DIAGRAMS))
    colours = {}
    for scheme in ("light", "dark"):
        context = new_context(browser, server, viewport=DESKTOP, color_scheme=scheme)
        try:
            seen = visit(context, server.url(page))
            colours[scheme] = seen.page.evaluate(COLOURS)
        finally:
            context.close()
    light, dark = colours["light"], colours["dark"]
    assert light["text"] != dark["text"], colours
    for scheme, found in colours.items():
        assert _contrast(found["text"], found["page"]) >= 4.5, f"{scheme}: {found}"
    assert _luminance(_rgb(light["text"], light["page"])) < _luminance(_rgb(dark["text"], dark["page"])), colours
