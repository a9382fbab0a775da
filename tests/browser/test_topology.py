"""The measured topology pictures (exec="topology" blocks, render/topology.py) in a reader's browser: an inline SVG
with its title for screen readers, text of 12px or more on a 390px phone and on a desktop, nothing sticking out of
the page, and colours that follow Material's light and dark palettes."""

from __future__ import annotations

from typing import Any

import pytest

from docexec.book.project import Project
from docexec.core.config import load_config

from .conftest import device_options, doc_pages, new_context, page_source, screenshot, visit
from .palette import assert_follows_palettes
from .sitekit import DESKTOP, PHONE, ROOT, Server

pytestmark = pytest.mark.browser

READABLE_PX = 12


def _pictures() -> dict[str, int]:
    """Page (URL path) -> how many topology blocks it runs (parsed as the engine does: an example inside another
    fence, as on the maintainers' pages, is no block)."""
    project = Project(load_config(ROOT), mode="offline")
    counts = {page.name: sum(b.kind == "topology" for b in page.executed) for page in project.pages()}
    return {url: counts[page_source(url)] for url in doc_pages() if counts.get(page_source(url))}


PICTURES = _pictures()

# Each picture on show (a tab per engine holds one each; hidden tabs are left out): its smallest text as rendered,
# where its right edge is, its accessible name, and whether its own box scrolls.
MEASURE = """() => [...document.querySelectorAll('.md-content figure.docexec-topology')]
    .filter(fig => fig.getClientRects().length)
    .map(fig => {
        const svg = fig.querySelector('svg')
        const scale = svg.getScreenCTM().a
        const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
            .map(t => parseFloat(getComputedStyle(t).fontSize) * scale)
        const title = svg.querySelector('title')
        const labelled = svg.getAttribute('aria-labelledby')
        return {smallest: Math.min(...sizes), texts: sizes.length, right: fig.getBoundingClientRect().right,
                role: svg.getAttribute('role'), title: title ? title.textContent : '',
                named: !!labelled && labelled.split(' ').every(id => document.getElementById(id)),
                caption: (fig.querySelector('figcaption') || {}).textContent || '',
                height: svg.getBoundingClientRect().height}
    })"""


def test_the_book_has_measured_pictures() -> None:
    assert sum(PICTURES.values()) >= 8, PICTURES


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_pictures_are_readable(device: str, server: Server, browser: Any) -> None:
    """Every picture shows as an SVG named for screen readers, no text under 12px, inside the page's width; a
    screenshot of each goes to test-artifacts/screenshots/ for a person to look at."""
    context = new_context(browser, server, **device_options(device))
    width = (PHONE if device == "phone" else DESKTOP)["width"]
    problems = []
    try:
        for page in PICTURES:
            seen = visit(context, server.url(page))
            pictures = seen.page.evaluate(MEASURE)
            if len(pictures) < PICTURES[page]:
                problems.append(f"{page}: {len(pictures)} of {PICTURES[page]} pictures on show")
            for n, picture in enumerate(pictures):
                where = f"{page} picture {n + 1}"
                if picture["texts"] == 0 or picture["smallest"] < READABLE_PX - 0.1:
                    problems.append(f"{where}: smallest text {picture['smallest']:.1f}px ({picture['texts']} texts)")
                if picture["right"] > width + 0.5:
                    problems.append(f"{where} sticks out of the page ({picture['right']:.0f}px)")
                if picture["role"] != "img" or len(picture["title"]) < 4 or not picture["named"]:
                    problems.append(f"{where}: not named for screen readers: {picture}")
                if picture["height"] < 50 or "录制" not in picture["caption"]:
                    problems.append(f"{where}: {picture}")
                seen.page.locator(".md-content figure.docexec-topology").nth(n).scroll_into_view_if_needed()
                screenshot(seen.page, f"topology-{device}-{page.strip('/').replace('/', '-')}-{n + 1}")
            if seen.page.evaluate("document.scrollingElement.scrollWidth") > width:
                problems.append(f"{page}: the page scrolls sideways")
            if seen.console_errors or seen.problems:
                problems.append(f"{page}: {seen.console_errors} {seen.problems}")
            seen.page.close()
    finally:
        context.close()
    assert not problems, "\n".join(problems)


COLOURS = """() => {
    const text = [...document.querySelectorAll('.md-content figure.docexec-topology svg text')]
        .find(t => t.getClientRects().length && t.textContent.trim())
    const fig = text.closest('figure')
    const box = text.closest('g').querySelector('polygon, path, ellipse, rect')
    return {text: getComputedStyle(text).fill, page: getComputedStyle(document.body).backgroundColor,
            box: box ? getComputedStyle(box).fill : ''}
}"""


def test_pictures_follow_the_light_and_dark_palettes(server: Server, browser: Any) -> None:
    """Text is dark on the light page and light on the dark one, with a contrast of 4.5:1 or more."""
    page = next(iter(PICTURES))

    def shoot(seen: Any, scheme: str) -> None:
        seen.locator(".md-content figure.docexec-topology").first.scroll_into_view_if_needed()
        screenshot(seen, f"topology-{scheme}-{page.strip('/').replace('/', '-')}")

    assert_follows_palettes(browser, server, page, COLOURS, shoot)
