"""The offline edition (README: 离线版; tools/offline.py, mkdocs-print.yml, hooks/print_edition.py): the book joined
on one page, and that page printed to PDF by Chromium and saved as one HTML file.

The checks of the joined page read the print build's files; the PDF needs Chromium (skipped without it, failed when
CI=true, as the other browser tests) and poppler's pdfinfo, pdftotext and pdffonts (likewise; .ci/run installs
poppler-utils)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.utils.yaml import get_yaml_loader

from ..conftest import load_tool
from .conftest import in_ci
from .sitekit import PHONE, ROOT, build_site, chromium_missing

pytestmark = pytest.mark.browser

OFFLINE = load_tool("offline")
EXCLUDED = "maintainers/"  # mkdocs-print.yml: written for contributors, not in the offline edition
SECTION = re.compile(r'<section class="print-page( md-section)?" id="([^"]+)"[^>]*>\s*<h1[^>]*>(.*?)</h1>', re.S)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _config(name: str) -> dict[str, Any]:
    """A MkDocs configuration file of the repository, read as MkDocs reads it (!ENV, python tags; no INHERIT)."""
    loaded: dict[str, Any] = yaml.load((ROOT / name).read_text(encoding="utf-8"), Loader=get_yaml_loader())
    return loaded


def _nav_pages() -> list[str]:
    """The Markdown files of mkdocs.yml's navigation, in order."""
    config = _config("mkdocs.yml")

    def walk(items: list[Any]) -> list[str]:
        found: list[str] = []
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            found.extend(walk(value) if isinstance(value, list) else [value])
        return found

    return walk(config["nav"])


def _key(md: str) -> str:
    """mkdocs-print-site-plugin's id for a page on the joined page (basics/veth.md -> basics-veth)."""
    stem = md.removesuffix(".md").removesuffix("index").rstrip("/")
    return stem.replace("/", "-") or "index"


def _title(md: str) -> str:
    first = (ROOT / "docs" / md).read_text(encoding="utf-8").split("---\n", 2)[-1] if md else ""
    heading = next(line for line in first.splitlines() if line.startswith("# "))
    return heading[2:].replace("`", "").strip()


@pytest.fixture(scope="module")
def print_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(OFFLINE.build_print_site(tmp_path_factory.mktemp("print") / "site", mode="offline"))


@pytest.fixture(scope="module")
def joined(print_build: Path) -> str:
    return print_build.read_text(encoding="utf-8")


def test_the_print_config_keeps_the_sites_hooks() -> None:
    site, printed = _config("mkdocs.yml"), _config("mkdocs-print.yml")
    assert printed["hooks"][:len(site["hooks"])] == site["hooks"], "INHERIT replaces lists: repeat mkdocs.yml's hooks"


def test_every_lesson_once_in_the_order_of_the_navigation(joined: str) -> None:
    pages = [md for md in _nav_pages() if not md.startswith(EXCLUDED)]
    found = [(key, _text(title)) for section, key, title in SECTION.findall(joined) if not section]
    assert [key for key, _ in found] == [_key(md) for md in pages]
    assert [title for _, title in found] == [_title(md) for md in pages]
    assert "maintainers-writing" not in joined


def test_a_table_of_contents_links_every_lesson(joined: str) -> None:
    toc = re.search(r'<nav id="print-toc">(.*?)</nav>', joined, re.S)
    assert toc, "no table of contents"
    assert _text(re.search(r"<h1[^>]*>(.*?)</h1>", toc.group(1)).group(1)) == "目录"  # type: ignore[union-attr]
    linked = re.findall(r'href="#([^"]+)"', toc.group(1))
    keys = [_key(md) for md in _nav_pages() if not md.startswith(EXCLUDED)]
    assert [k for k in linked if k in keys] == keys


def test_every_engines_output_is_shown_under_its_label(joined: str, print_build: Path) -> None:
    site = print_build.parent.parent
    blocks, sets = [], 0
    for md in _nav_pages():
        if md.startswith(EXCLUDED):
            continue
        page = (site / md.removesuffix(".md").removesuffix("index") / "index.html").read_text(encoding="utf-8")
        sets += page.count("docexec-engines")
        blocks += re.findall(r'<div class="docexec[^"]*" id="([^"]+)"', page)
    assert sets > 10
    missing = [b for b in blocks if f'id="{b}"' not in joined]
    assert not missing, f"outputs left out of the offline edition: {missing[:5]}"
    assert "tabbed-labels" not in joined and not re.search(r'<input[^>]*type="radio"', joined), "a tab bar is left"
    engines = re.findall(r'class="tabbed-set [^"]*docexec-engines[^"]*".*?(?=<div class="tabbed-set |\Z)', joined, re.S)
    assert len(engines) == sets
    for one in engines:
        labels = re.findall(r'<p class="print-tab-label">(.*?)</p>', one)
        assert labels[:2] == ["Docker Engine 28.5", "Docker Engine 20.10"], labels


def test_each_pages_recording_setup_is_printed_open(joined: str) -> None:
    """The page note's full provenance (each engine's version, API, storage driver) is folded away on the site;
    paper cannot unfold it."""
    notes = re.findall(r'<div class="docexec-page-source[^"]*">\s*<details( open)?>', joined)
    assert len(notes) > 10 and all(notes), f"{notes.count('')} of {len(notes)} notes folded"


def test_nothing_to_click_and_nothing_from_elsewhere(joined: str) -> None:
    for gone in ("docexec-replay", "md-search", "md-clipboard", "assets/javascripts/bundle."):
        assert gone not in joined
    for tag, url in re.findall(r"<(script|link|img)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", joined):
        assert not re.match(r"^(?:[a-z]+:)?//", url), f"<{tag}> asks another host: {url}"
    scripts = re.findall(r'<script\b[^>]*\bsrc="([^"]+)"', joined)
    assert set(scripts) <= {"../assets/javascripts/mermaid.min.js"}


# The home page's link, in the published site only.

def test_a_site_built_without_the_edition_neither_has_it_nor_links_it(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "offline-edition" not in home and "offline/" not in home and "离线阅读" not in home
    assert not (site / "offline").exists() and not (site / "js" / "print-site.js").exists()


def test_publishing_with_the_edition_links_it_from_the_home_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = tmp_path / "offline"
    made.mkdir()
    for suffix in (".pdf", ".html"):
        (made / f"{OFFLINE.NAME}{suffix}").write_bytes(b"stand-in " + suffix.encode())
    monkeypatch.setenv("OFFLINE_EDITION", str(made))
    site = build_site(tmp_path / "site").site
    home = (site / "index.html").read_text(encoding="utf-8")
    for suffix in (".pdf", ".html"):
        assert f'href="offline/{OFFLINE.NAME}{suffix}"' in home
        assert (site / "offline" / f"{OFFLINE.NAME}{suffix}").read_bytes() == b"stand-in " + suffix.encode()
    assert "offline/" not in (site / "basics" / "veth" / "index.html").read_text(encoding="utf-8")


# The PDF and the single HTML file.

def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        why = f"{tool} not found (apt-get install poppler-utils)"
        if in_ci():
            pytest.fail(f"CI=true and the offline edition cannot be checked: {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def edition(print_build: Path, tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Any:
    why = chromium_missing()
    if why is not None:
        if in_ci():
            pytest.fail(f"CI=true and the offline edition cannot be made: {why}")
        pytest.skip(why)
    for tool in ("pdfinfo", "pdftotext", "pdffonts"):
        _need(tool)
    return OFFLINE.print_page(print_build, tmp_path_factory.mktemp("offline"), browser)


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout


def test_the_pdf_is_the_whole_book_with_page_numbers(edition: Any) -> None:
    info = _run("pdfinfo", str(edition.pdf))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    assert pages > 150, info
    assert "A4" in info
    assert b"/Outlines" in edition.pdf.read_bytes(), "no bookmarks"
    text = _run("pdftotext", "-layout", str(edition.pdf), "-").split("\f")
    assert "网络命名空间" in text[1], "the contents (page 2) has no extractable Chinese"
    for number in (1, 2, pages // 2, pages):
        foot = text[number - 1].strip().splitlines()[-1].strip()
        assert foot == f"{number} / {pages}", f"page {number} ends with {foot!r}"
    body = "".join(text)
    for words in ("网络命名空间", "Docker Engine 28.5", "Docker Engine 20.10", "172.17.0.2", "数据卷"):
        assert words in body


def test_the_pdf_embeds_the_cjk_fonts_it_is_set_in(edition: Any) -> None:
    assert {"Noto Serif CJK SC", "Noto Sans CJK SC"} <= edition.fonts
    rows = _run("pdffonts", str(edition.pdf)).splitlines()[2:]
    assert rows
    # Chromium writes Noto CJK's CFF outlines as Type 3 fonts (with a ToUnicode map: the text above was read back)
    not_embedded = [row for row in rows if row.split()[-5] != "yes"]
    assert not not_embedded, not_embedded


def test_the_single_html_file_needs_nothing_else(edition: Any, joined: str) -> None:
    page = edition.html.read_text(encoding="utf-8")
    assert "<script" not in page and 'rel="stylesheet"' not in page
    assert '<pre class="mermaid"' not in page, "a diagram was left undrawn"
    diagrams = joined.count('class="diagram"') + joined.count('class="mermaid"')  # drawn at build, or in Chromium
    assert page.count("<svg") >= diagrams > 5
    assert "Docker Engine 20.10" in page and "网络命名空间" in page


def test_every_link_within_the_edition_has_its_target(joined: str) -> None:
    ids = set(re.findall(r'\bid="([^"]+)"', joined)) | set(re.findall(r"\bid='([^']+)'", joined))
    dead = sorted({t for t in re.findall(r'href="#([^"]*)"', joined) if html.unescape(t) not in ids})
    assert not dead, f"links to nowhere on the joined page: {dead[:10]}"


def test_the_single_html_file_reads_on_a_phone(edition: Any, browser: Any) -> None:
    page = browser.new_page(viewport=PHONE)
    try:
        page.route(re.compile(r"^(?!file:)[a-z]+:"), lambda route: route.abort())
        page.goto(edition.html.as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"
    finally:
        page.close()
