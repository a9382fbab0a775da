"""Chinese search in the browser: the book's terms find their lessons among the first results."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from .conftest import page_source, visit
from .sitekit import ROOT, Server

pytestmark = pytest.mark.browser

TOP = 3  # "among the first results": the target page is one of the first three pages listed
SEARCHES = {  # test id (ASCII, for pytest's report): (query, the page it must find)
    "wangqiao": ("网桥", "basics/docker0.md"),
    "shujujuan": ("数据卷", "storage/volumes.md"),
    "mingmingkongjian": ("命名空间", "basics/namespace.md"),
    "iptables": ("iptables", "traffic/iptables.md"),
    # The lessons readers asked for (issue #23), each found by its key term.
    "compose": ("Compose", "traffic/compose.md"),
    "fanghuoqiang": ("防火墙", "traffic/firewall.md"),
    "ipv6": ("IPv6", "traffic/ipv6.md"),
    "dizhichi": ("地址池", "traffic/address-planning.md"),
    "paicuo": ("排错", "traffic/troubleshooting.md"),
    # Stock Material 9.8 drops the last word of a Chinese query (网络命名空间 -> 网络) and finds nothing for
    # Latin glued to Han (bridge模式): these two guard the patched worker.
    "wangluo-mingmingkongjian": ("网络命名空间", "basics/namespace.md"),
    "bridge-moshi": ("bridge模式", "modes/bridge.md"),
}


def result_pages(page: Any, server: Server) -> list[str]:
    """Source files of the listed results, in order, each once."""
    page.wait_for_function("""() => {
        const meta = document.querySelector('.md-search-result__meta')
        return document.querySelector('.md-search-result__item') || (meta && meta.textContent.includes('没有'))
    }""", timeout=15_000)
    hrefs = page.eval_on_selector_all(".md-search-result__item > a.md-search-result__link",
                                      "links => links.map(a => a.href)")
    found: list[str] = []
    for href in hrefs:
        path = urllib.parse.unquote(urllib.parse.urlsplit(href).path)
        assert path.startswith(server.prefix), href
        source = page_source(path[len(server.prefix):])
        if source not in found:
            found.append(source)
    return found


def stable_results(page: Any, server: Server) -> list[str]:
    """The results once the list stops changing: the search worker may still be answering a query typed during
    the composition (w, wang, ...) when the first list shows, and a click would then follow a link it replaces."""
    found = result_pages(page, server)
    for _ in range(40):  # at most 10 s
        page.wait_for_timeout(250)
        again = result_pages(page, server)
        if again == found:
            return found
        found = again
    raise AssertionError(f"the search results kept changing: {found}")


@pytest.mark.parametrize(("query", "target"), SEARCHES.values(), ids=SEARCHES.keys())
def test_search_finds_the_lesson(query: str, target: str, server: Server, desktop: Any) -> None:
    if not (ROOT / "docs" / target).is_file():
        pytest.skip(f"docs/{target} does not exist yet: nothing to find for {query}")
    seen = visit(desktop, server.url("?q=" + urllib.parse.quote(query)))
    found = result_pages(seen.page, server)
    assert target in found[:TOP], f"searching {query!r}: {target} not in the first {TOP} pages: {found[:8]}"
    assert not seen.console_errors, seen.console_errors


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_excerpts_show_no_diagram_source(device: str, server: Server, request: pytest.FixtureRequest) -> None:
    """网桥 is in the labels of several diagrams: the results show the lessons' text, not Mermaid's source."""
    seen = visit(request.getfixturevalue(device), server.url("?q=" + urllib.parse.quote("网桥")))
    assert result_pages(seen.page, server), "searching 网桥 found nothing"
    excerpts = seen.page.eval_on_selector_all(".md-search-result__item", "items => items.map(i => i.innerText)")
    noisy = [e for e in excerpts if any(word in e for word in ("flowchart", "subgraph", "-->"))]
    assert not noisy, noisy


def test_typing_in_the_search_box_with_an_input_method(server: Server, phone: Any) -> None:
    """As a reader on a phone: open search from the header, type pinyin, pick 网桥 from the input method's
    candidates (a composition, with no keyup for the page), follow the first result."""
    target = "basics/docker0.md"
    if not (ROOT / "docs" / target).is_file():
        pytest.skip(f"docs/{target} does not exist yet")
    seen = visit(phone, server.url(""))
    seen.page.locator("label.md-header__button[for=__search]").click()
    box = seen.page.locator("input.md-search__input")
    box.click()
    ime = phone.new_cdp_session(seen.page)
    for typed in ("w", "wang", "wangqiao"):
        ime.send("Input.imeSetComposition", {"text": typed, "selectionStart": len(typed), "selectionEnd": len(typed)})
    ime.send("Input.insertText", {"text": "网桥"})  # commits the composition
    assert box.input_value() == "网桥"
    found = stable_results(seen.page, server)
    assert target in found[:TOP], found
    seen.page.locator(".md-search-result__item > a.md-search-result__link").first.click()
    seen.page.wait_for_load_state("load")
    assert page_source(urllib.parse.unquote(urllib.parse.urlsplit(seen.page.url).path)[len(server.prefix):]) \
        == found[0]
    assert not seen.console_errors, seen.console_errors
