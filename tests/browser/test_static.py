"""Checks of the built files themselves (no browser needed): links and anchors, page metadata, the search index,
nothing from another origin in the markup, and the patched search worker being current."""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest

from . import search_worker
from .conftest import doc_pages
from .sitekit import Build, pages, search_index, site_prefix

pytestmark = pytest.mark.browser

FAKE_ORIGIN = "http://site.invalid"
MAINTAINERS = "maintainers/"  # pages for the book's writers, out of the readers' nav and search


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, dict[str, str | None]]] = []  # (tag, url, attrs)
        self.metas: list[dict[str, str | None]] = []
        self.lang: str | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"] or "")
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta":
            self.metas.append(a)
        if tag == "title":
            self._in_title = True
        for attr in ("href", "src"):
            value = a.get(attr)
            if value is not None and tag in ("a", "link", "script", "img", "iframe", "source", "use"):
                self.links.append((tag, value, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


@pytest.fixture(scope="module")
def parsed(site_build: Build) -> dict[str, _Page]:
    result = {}
    for path in sorted(site_build.site.rglob("*.html")):
        page = _Page()
        page.feed(path.read_text(encoding="utf-8"))
        result[path.relative_to(site_build.site).as_posix()] = page
    return result


def _target(site: Path, prefix: str, page_file: str, url: str) -> tuple[str | None, str] | None:
    """(file below site, fragment) that a URL on page_file points to; None for another origin."""
    page_url = FAKE_ORIGIN + prefix + page_file.removesuffix("index.html")
    full = urllib.parse.urljoin(page_url, url)
    parts = urllib.parse.urlsplit(full)
    if f"{parts.scheme}://{parts.netloc}" != FAKE_ORIGIN:
        return None
    path = urllib.parse.unquote(parts.path)
    fragment = urllib.parse.unquote(parts.fragment)
    if not (path + "/").startswith(prefix):
        return (None, fragment)
    rel = path[len(prefix):]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    elif (site / rel).is_dir():
        rel += "/index.html"
    return (rel if (site / rel).is_file() else None, fragment)


def test_no_broken_link_or_anchor(site_build: Build, parsed: dict[str, _Page]) -> None:
    site, prefix = site_build.site, site_prefix()
    broken = []
    for page_file, page in parsed.items():
        for tag, url, attrs in page.links:
            if url.startswith(("mailto:", "javascript:", "data:", "tel:")) or attrs.get("rel") in ("canonical",):
                continue
            target = _target(site, prefix, page_file, url)
            if target is None:
                continue  # another origin: an ordinary outbound link (checked at run time by test_pages)
            file, fragment = target
            if file is None:
                broken.append(f"{page_file}: <{tag}> {url} -> no such file")
            elif fragment and file.endswith(".html") and fragment not in parsed[file].ids:
                broken.append(f"{page_file}: <{tag}> {url} -> {file} has no id {fragment!r}")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:50])


def test_search_results_point_at_existing_anchors(site_build: Build, parsed: dict[str, _Page]) -> None:
    index = search_index(site_build.site)
    broken = []
    for doc in index["docs"]:
        location = doc["location"]
        target = _target(site_build.site, site_prefix(), "index.html", location)
        assert target is not None, location
        file, fragment = target
        if file is None or (fragment and fragment not in parsed[file].ids):
            broken.append(location)
    assert not broken, broken


def test_every_page_is_built_and_nothing_else(site_build: Build) -> None:
    built = set(pages(site_build.site))
    expected = {*doc_pages(), "404.html"}
    assert expected <= built, f"not built: {sorted(expected - built)}"
    assert built <= expected, f"built but not a page of docs/ (exclude_docs?): {sorted(built - expected)}"


def test_page_metadata(site_build: Build, parsed: dict[str, _Page]) -> None:
    for page_file, page in parsed.items():
        assert page.lang == "zh", page_file
        assert page.title.strip(), f"{page_file}: no <title>"
        names = [m.get("name") for m in page.metas]
        descriptions = [m.get("content") or "" for m in page.metas if m.get("name") == "description"]
        assert len(descriptions) == 1 and descriptions[0].strip(), f"{page_file}: description {descriptions}"
        assert "viewport" in names, page_file
        # A canonical address only where SITE_URL gives the site one (tests/test_site.py checks both builds).
        canonical = any(tag == "link" and a.get("rel") == "canonical" for tag, _, a in page.links)
        assert canonical == (bool(os.environ.get("SITE_URL")) and page_file != "404.html"), page_file
    assert "页面不存在" in parsed["404.html"].title


def test_nothing_from_another_origin_in_the_markup(parsed: dict[str, _Page]) -> None:
    """Stylesheets, scripts, images, fonts: all from the site itself (outbound <a> links are fine)."""
    for page_file, page in parsed.items():
        for tag, url, attrs in page.links:
            if tag == "a" or attrs.get("rel") in ("canonical", "alternate"):
                continue
            assert not re.match(r"^(https?:)?//", url), f"{page_file}: <{tag}> loads {url}"


def test_build_log_has_no_theme_or_search_warning(site_build: Build) -> None:
    bad = [line for line in site_build.log.splitlines()
           if line.startswith(("WARNING", "ERROR")) and re.search(r"search|jieba|theme|template|overrides", line)]
    assert not bad, bad


def test_search_index_keeps_the_books_terms_whole(site_build: Build) -> None:
    """jieba's user dictionary (docs/assets/search/jieba-userdict.txt) was loaded: 数据卷 is one word."""
    index = search_index(site_build.site)
    words = " ".join(d["title"] + " " + d["text"] for d in index["docs"])
    plain = words.replace("\u200b", "")
    for term in ("数据卷", "命名空间"):
        if term not in plain:
            continue
        assert "\u200b".join(term[:2]) + "\u200b" + term[2:] not in words, f"{term} was cut in two"
        assert f"\u200b{term}" in words or words.startswith(term), f"{term} is not a word of the index"


def test_search_index_holds_no_diagram_source(site_build: Build) -> None:
    """A diagram is not indexed (hooks/site_hook.py marks it data-search-exclude): a search for 网桥 once showed
    `flowchart LR / subgraph H1[...]` as an excerpt, and a drawing's SVG would add its style sheet and its labels,
    cut from their sentences. The diagrams themselves are still in the pages, drawn."""
    index = search_index(site_build.site)
    noisy = [d["location"] for d in index["docs"]
             if re.search(r"\b(flowchart|sequenceDiagram|subgraph)\b|stroke-width|font-family|--md-mermaid", d["text"])]
    assert not noisy, noisy
    pages = [p.read_text(encoding="utf-8") for p in site_build.site.rglob("index.html")]
    drawn = [html for html in pages if 'class="diagram"' in html]
    assert drawn, "no page has a diagram: nothing was checked"
    assert all('data-search-exclude' in html.split('class="diagram"', 1)[1][:200] for html in drawn)
    undrawn = [html.split("<title>")[1].split("</title>")[0] for html in pages if '<pre class="mermaid"' in html]
    assert not undrawn, f"diagrams with no stored drawing (run ./nox -s diagrams): {undrawn}"


def test_patched_search_worker_is_current() -> None:
    assert search_worker.main(["--check"]) == 0, "run: python tests/browser/search_worker.py"


def test_book_navigation(site_build: Build, parsed: dict[str, _Page]) -> None:
    """Sections in the sidebar, a table of contents on each lesson, previous/next at the foot of each page."""
    without_prev, without_next = [], []
    for page in doc_pages():
        file = page + "index.html"
        text = (site_build.site / file).read_text(encoding="utf-8")
        assert "md-nav--primary" in text and "md-nav__item--section" in text, f"{file}: no book sections"
        if page.startswith(MAINTAINERS):
            pass  # not in the nav, so not in its order (test_maintainer_pages_are_out_of_the_readers_way)
        elif "md-footer__link--prev" not in text:
            without_prev.append(page)
        if not page.startswith(MAINTAINERS) and "md-footer__link--next" not in text:
            without_next.append(page)
        headings = re.findall(r'<h2 id="([^"]+)"', text)
        if headings:
            # Material writes the table of contents (nested <nav>s) in the right sidebar, before the content.
            toc = text.split("md-nav--secondary", 1)[-1].split('class="md-content"', 1)[0]
            missing = [h for h in headings if f'href="#{h}"' not in toc]
            assert not missing, f"{file}: table of contents lacks {missing}"
    assert without_prev == [""], f"pages without a previous-page link: {without_prev}"
    assert len(without_next) == 1, f"pages without a next-page link: {without_next}"


def _linked(site_build: Build, page_file: str, page: _Page) -> set[str]:
    """The built files that a page's <a> links point to."""
    found = set()
    for tag, url, _ in page.links:
        target = _target(site_build.site, site_prefix(), page_file, url) if tag == "a" else None
        if target and target[0]:
            found.add(target[0])
    return found


def test_maintainer_pages_are_out_of_the_readers_way(site_build: Build, parsed: dict[str, _Page]) -> None:
    """docs/maintainers/ is for those who write the book: in no page's sidebar and not in the search index, but
    built, listed on maintainers/ (linked from the home page), each page linking back to that list."""
    theirs = [p + "index.html" for p in doc_pages() if p.startswith(MAINTAINERS)]
    listing = MAINTAINERS + "index.html"
    assert listing in theirs and len(theirs) >= 3, theirs
    in_sidebar = []
    for page_file in parsed:
        text = (site_build.site / page_file).read_text(encoding="utf-8")
        sidebar = text.split("md-nav--primary", 1)[-1].split('class="md-content"', 1)[0]
        if re.search(r'href="[^"#]*maintainers/', sidebar):
            in_sidebar.append(page_file)
    assert not in_sidebar, f"the maintainers' pages are in the sidebar of {in_sidebar[:5]}"
    indexed = sorted({d["location"].split("#")[0] for d in search_index(site_build.site)["docs"]
                      if d["location"].startswith(MAINTAINERS)})
    assert not indexed, f"searched by readers: {indexed}"
    assert listing in _linked(site_build, "index.html", parsed["index.html"]), "the home page does not link them"
    assert set(theirs) - {listing} <= _linked(site_build, listing, parsed[listing])
    for page_file in theirs:
        assert page_file == listing or listing in _linked(site_build, page_file, parsed[page_file]), page_file


def test_search_index_is_shared_and_light(site_build: Build) -> None:
    """Every page fetches search/search_index.json: it is a pointer of a few hundred bytes to the index itself,
    a file named by its content (hooks/search_index.py) that the worker may keep; written as UTF-8, not
    \\uXXXX; without the notes every page and transcript repeats."""
    folder = site_build.site / "search"
    pointer = json.loads((folder / "search_index.json").read_text(encoding="utf-8"))
    assert pointer["docs"] == [] and (folder / "search_index.json").stat().st_size < 2048, "not a pointer"
    name = pointer["config"]["docs_url"]
    data = (folder / name).read_bytes()
    assert re.fullmatch(r"search_index\.[0-9a-f]{10}\.json", name), name
    assert name == f"search_index.{hashlib.sha256(data).hexdigest()[:10]}.json", "not named by its content"
    assert sorted(p.name for p in folder.iterdir()) == sorted(["search_index.json", name])
    text = data.decode("utf-8")
    assert "\\u5bb9" not in text and "容器" in text, "Chinese written as \\uXXXX escapes"
    words = " ".join(d["text"] for d in json.loads(text)["docs"])
    for boilerplate in ("本页输出实录于", "真实输出 · Docker Engine", "Engine 28.5Engine 20.10"):
        assert boilerplate not in words.replace("\u200b", ""), boilerplate
    synonyms = json.loads(text)["config"]["synonyms"]
    assert "端口发布" in synonyms["端口映射"], synonyms.get("端口映射")
