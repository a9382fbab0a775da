"""Chinese search in the browser: the book's terms find their lessons among the first results."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from .conftest import page_source, visit
from .sitekit import DESKTOP, ROOT, Server, serve, site_prefix

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
    # Words of other Chinese Docker guides, searched with the book's word (docs/assets/search/synonyms.txt).
    "duankou-yingshe": ("端口映射", "traffic/ports.md"),
    "mingzi-kongjian": ("名字空间", "basics/namespace.md"),
    "rongqi-hulian": ("容器互联", "traffic/user-defined.md"),
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


def _search(device: str, query: str, server: Server, request: pytest.FixtureRequest) -> Any:
    seen = visit(request.getfixturevalue(device), server.url("?q=" + urllib.parse.quote(query)))
    assert result_pages(seen.page, server), f"searching {query} found nothing"
    return seen


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_synonym_finds_the_books_word(device: str, server: Server, request: pytest.FixtureRequest) -> None:
    """端口映射, the word of many Chinese Docker guides, finds the lesson on 端口发布 (the book's word, in
    docs/assets/search/synonyms.txt). That result marks the words found in its title and is not said to lack
    端口映射 (Material's 缺少: …)."""
    seen = _search(device, "端口映射", server, request)
    found = result_pages(seen.page, server)
    assert "traffic/ports.md" in found[:TOP], f"the lesson on 端口发布 is not among the first: {found[:8]}"
    item = seen.page.locator(".md-search-result__item", has=seen.page.locator(
        "a.md-search-result__link[href*='traffic/ports/']")).first
    title = item.locator("a.md-search-result__link h1").inner_html()
    assert "<mark>" in title, title
    assert "缺少" not in item.inner_text(), item.inner_text()
    assert not seen.console_errors, seen.console_errors


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_readers_search_finds_no_maintainer_page(device: str, server: Server,
                                                 request: pytest.FixtureRequest) -> None:
    """The maintainers' pages (how to write the book) took 2 of the results for 数据卷: they are not searched."""
    seen = _search(device, "数据卷", server, request)
    found = result_pages(seen.page, server)
    assert not [p for p in found if p.startswith("maintainers/")], found


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_result_title_links_carry_the_query(device: str, server: Server, request: pytest.FixtureRequest) -> None:
    """Each result's title link marks the query in the title where it is, and, like the links of its sections,
    asks the page it opens to highlight the query (?h=): Material left both out for a page listed only for its
    sections."""
    seen = _search(device, "数据卷", server, request)
    titles = seen.page.eval_on_selector_all(
        ".md-search-result__item > a.md-search-result__link:first-child",  # the page's; its sections follow
        "links => links.map(a => [a.href, a.querySelector('h1').innerHTML])")
    assert "<mark>数据卷</mark>" in titles[0][1], titles[0]
    for href, title in titles:
        highlight = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query).get("h", [""])[0]
        assert "数据卷" in highlight, f"{href} ({title}) does not highlight 数据卷 on the page it opens"


def test_search_index_is_downloaded_once_for_several_pages(site: Path, browser: Any) -> None:
    """A reader opens three pages and searches on each: the index (hundreds of KB) reaches the browser once.
    The server asks the browser to check every file again before using its copy (Cache-Control: no-cache, as
    some hosts do): Material's own request for the index was sent on every page load; the worker's request for
    the content-named copy (hooks/search_index.py) uses the browser's copy without asking."""
    prefix = site_prefix()
    with serve(site, prefix, cache_control="no-cache") as own:
        # Not conftest.new_context: Playwright turns the browser's cache off in a context that routes requests.
        context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
        try:
            for page in ("", "basics/veth/", "traffic/ports/"):
                seen = visit(context, own.url(page + "?q=" + urllib.parse.quote("网桥")))
                assert "basics/docker0.md" in result_pages(seen.page, own)[:TOP]
                assert not seen.foreign_requests(own.origin), seen.foreign_requests(own.origin)
                seen.page.close()
        finally:
            context.close()
    index = [path for path, _ in own.answered if path.startswith(prefix + "search/")
             and (site / path[len(prefix):]).stat().st_size > 64 * 1024]
    assert len(index) == 1, f"the search index was asked for {len(index)} times over 3 page loads: {index}"
