"""A recorded terminal session replays in the page: the vendored asciinema-player, loaded from the site only when a
reader asks for it, ends showing the text of the static transcript. On a phone its letters stay readable (the
terminal scrolls sideways inside the player, the page does not), and the player's own words are Chinese."""

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


REPLAY_PAGE, REPLAY_BLOCK = "modes/interactive/", "run-run-it"


def _open_replay(seen: Any) -> Any:
    """Presses the block's 回放 and waits until the player shows its terminal; the player's holder."""
    block = seen.page.locator(f"[id='{REPLAY_BLOCK}']")
    block.scroll_into_view_if_needed()
    block.locator("button.docexec-replay").click()
    holder = block.locator(".docexec-player")
    holder.locator("pre.ap-term-text").wait_for()
    return holder


# The terminal's letters, the player's parts and the page's width, in CSS px.
MEASURE = """(holder) => {
    const box = e => e.getBoundingClientRect()
    const player = holder.querySelector('.ap-player'), term = holder.querySelector('.ap-term')
    return {
        font: parseFloat(getComputedStyle(holder.querySelector('pre.ap-term-text')).fontSize),
        page: document.documentElement.scrollWidth, viewport: window.innerWidth,
        player: {left: box(player).left, right: box(player).right, scroll: player.scrollWidth},
        term: box(term).width,
        buttons: [...holder.querySelectorAll('.ap-control-bar button')].map(b => box(b).right),
    }
}"""


def test_a_replay_is_readable_on_a_phone_and_fitted_on_a_desktop(site: Path, server: Server, phone: Any,
                                                                  desktop: Any) -> None:
    seen = visit(phone, server.url(REPLAY_PAGE))
    holder = _open_replay(seen)
    m = holder.evaluate(MEASURE)
    assert m["font"] >= 10, f"the replay's letters are {m['font']:.1f} px on a phone: {m}"
    assert m["page"] <= m["viewport"], f"the page is wider than the phone's screen: {m}"
    assert m["player"]["left"] >= 0 and m["player"]["right"] <= m["viewport"], f"the player overflows: {m}"
    assert m["player"]["scroll"] >= m["term"] - 1, f"the terminal is cut off, not scrolled: {m}"
    assert m["buttons"] and max(m["buttons"]) <= m["player"]["right"] + 0.5, f"a button is out of view: {m}"
    holder.locator("button.ap-kbd-button").click()  # the keyboard-shortcut help
    help_font = holder.locator(".ap-overlay-help li").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert help_font >= 10, f"the player's help is {help_font:.1f} px on a phone"
    assert not seen.console_errors, seen.console_errors
    # On a desktop the whole terminal fits the text's width, as before.
    m = _open_replay(visit(desktop, server.url(REPLAY_PAGE))).evaluate(MEASURE)
    assert m["font"] >= 10 and m["term"] <= m["player"]["right"] - m["player"]["left"] + 0.5, m


# What the player says in words: its buttons' names, their tooltips (not the markers', which name the keys a
# session pressed) and its keyboard-shortcut help, each key in it as written on the key.
WORDS = """(holder) => [
    ...[...holder.querySelectorAll('[aria-label], [title]')].flatMap(e => [e.getAttribute('aria-label'),
                                                                            e.getAttribute('title')]),
    ...[...holder.querySelectorAll('.ap-tooltip')].filter(t => !t.closest('.ap-marker-container'))
        .map(t => t.textContent),
    ...[...holder.querySelectorAll('.ap-overlay-help p, .ap-overlay-help li')].map(e => e.textContent),
].filter(Boolean)"""
KEY_NAMES = {"Shift"}  # written on the key itself


def test_the_player_speaks_chinese(site: Path, server: Server, desktop: Any) -> None:
    seen = visit(desktop, server.url(REPLAY_PAGE))
    holder = _open_replay(seen)
    playing = holder.evaluate(WORDS)
    holder.locator("button.ap-kbd-button").click()  # the keyboard-shortcut help
    holder.locator(".ap-overlay-help li").first.wait_for()
    shown = holder.evaluate(WORDS)
    assert any("键盘快捷键" in w for w in shown), shown
    assert len(shown) > 10, shown
    for words in (playing, shown):
        english = [w for w in words if set(re.findall(r"[A-Za-z]{2,}", w)) - KEY_NAMES]
        assert not english, f"the player still speaks English: {english}"
    assert not seen.console_errors, seen.console_errors
