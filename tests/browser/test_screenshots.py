"""Screenshots for a person to look at (test-artifacts/screenshots/, git-ignored): desktop, phone, dark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import doc_pages, new_context, screenshot, visit
from .sitekit import DESKTOP, PHONE, Server

pytestmark = pytest.mark.browser


def _interesting(site: Path) -> dict[str, str]:
    """name -> page: the home page, the page with the longest transcript, one with a diagram, the 404 page."""
    chosen = {"home": ""}
    pages = doc_pages()
    files = {p: site / p / "index.html" for p in pages}
    sizes = {p: f.read_text(encoding="utf-8") for p, f in files.items() if f.is_file()}
    with_blocks = [p for p, html in sizes.items() if 'class="docexec"' in html]
    if with_blocks:
        chosen["transcripts"] = max(with_blocks, key=lambda p: len(sizes[p]))
    with_diagram = [p for p, html in sizes.items() if 'class="diagram"' in html]
    if with_diagram:
        chosen["diagram"] = with_diagram[0]
    chosen["not-found"] = "no/such/page/"
    return chosen


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_screenshots(device: str, scheme: str, site: Path, server: Server, browser: Any) -> None:
    options: dict[str, Any] = {"viewport": DESKTOP} if device == "desktop" else {
        "viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
    context = new_context(browser, server, color_scheme=scheme, **options)
    written = []
    try:
        for name, page in _interesting(site).items():
            if scheme == "dark" and name in ("home", "not-found"):
                continue
            seen = visit(context, server.url(page), expect_status=404 if name == "not-found" else 200)
            if name == "diagram":
                seen.page.locator(".md-content .diagram").first.scroll_into_view_if_needed()
                seen.page.evaluate("window.scrollBy(0, -120)")
            elif name == "transcripts":
                shown = seen.page.locator(".docexec:visible")  # not one in an engine's tab the reader has not picked
                shown.nth(1 if shown.count() > 1 else 0).scroll_into_view_if_needed()
            seen.page.wait_for_timeout(600)  # let the header finish its title transition after a scroll
            written.append(screenshot(seen.page, f"{device}-{scheme}-{name}"))
            seen.page.close()
    finally:
        context.close()
    assert all(p.stat().st_size > 10_000 for p in written), written
