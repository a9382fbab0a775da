"""A recorded terminal session replays in the page: the vendored asciinema-player, loaded from the site only when a
reader asks for it, ends showing the text of the static transcript."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import doc_pages, visit
from .sitekit import Server

pytestmark = pytest.mark.browser

# The static transcript of a block as text, without the key badges (which are not on the terminal's screen).
TRANSCRIPT = """(id) => {
    const code = document.getElementById(id).querySelector('.highlight code').cloneNode(true)
    code.querySelectorAll('kbd').forEach(k => k.remove())
    return code.textContent
}"""


def _lines(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]


def test_a_recorded_session_replays_in_the_page(site: Path, server: Server, desktop: Any) -> None:
    pages = [p for p in doc_pages() if 'class="docexec-replay"' in (site / p / "index.html").read_text("utf-8")]
    if not pages:
        pytest.skip("no page has a recorded terminal session yet")
    page = pages[0]
    seen = visit(desktop, server.url(page))
    assert not any("asciinema-player" in u for u in seen.requests), "the player loads only when a reader asks"
    blocks = seen.page.locator("div.docexec-session:has(button.docexec-replay)")
    # The first session whose whole transcript fits on the player's 30 rows.
    for n in range(blocks.count()):
        block_id = blocks.nth(n).get_attribute("id")
        expected = _lines(seen.page.evaluate(TRANSCRIPT, block_id))
        if len(expected) <= 28:
            break
    block = seen.page.locator(f"[id='{block_id}']")
    button = block.locator("button.docexec-replay")
    block.scroll_into_view_if_needed()
    assert button.is_visible() and button.inner_text().strip() == "回放"
    button.click()
    player = block.locator(".docexec-player")
    player.wait_for(state="attached")
    assert button.inner_text().strip() == "收起回放"
    shown: list[str] = []
    deadline = 30_000
    while deadline > 0:
        shown = _lines(player.inner_text())
        if all(line in shown for line in expected):
            break
        seen.page.wait_for_timeout(500)
        deadline -= 500
    missing = [line for line in expected if line not in shown]
    assert not missing, f"{page} #{block_id}: the replay never showed {missing}; it shows {shown}"
    assert [line for line in shown if line in expected] == expected, "the replay shows the lines in order"
    cast = block.locator("button.docexec-replay").get_attribute("data-cast") or ""
    assert any(u.endswith("/" + cast.rsplit("/", 1)[-1]) and "/casts/" in u for u in seen.requests), seen.requests
    assert any(u.endswith("/assets/asciinema-player/asciinema-player.min.js") for u in seen.requests)
    assert not seen.console_errors, seen.console_errors
    assert not seen.problems, seen.problems
    assert not seen.foreign_requests(server.origin), seen.foreign_requests(server.origin)
    button.click()
    assert player.count() == 0 and button.inner_text().strip() == "回放", "pressed again, the player closes"
