"""MkDocs hook of the offline edition (mkdocs-print.yml; README: 离线版): the whole book on one page, made to be
printed to PDF by tools/offline.py (`./nox -s pdf`).

Only the print build loads this hook; the normal site (mkdocs.yml) never does. The pages are joined in the order
of the navigation by mkdocs-print-site-plugin's renderer (it makes every page's heading ids and links unique on
the joined page), and the page around them is this hook's own: no theme scripts, so no search, no copy or replay
buttons, nothing fetched from anywhere; a table of contents written out in the HTML; each block of engine tabs
shown as consecutive blocks, each under its label (「Docker Engine 28.5」, then 「Docker Engine 20.10」).

Diagrams: a page's Mermaid block (`<pre class="mermaid">`, drawn in the browser) is drawn here by the site's own
copy of Mermaid, and the page says when it is done (`<html data-diagrams="ready">`), which tools/offline.py waits
for before it prints; diagrams already in the HTML as SVG need none of this.
"""

from __future__ import annotations

import datetime
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.structure.nav import Section
from mkdocs_print_site_plugin.exclude import exclude
from mkdocs_print_site_plugin.renderer import Renderer
from mkdocs_print_site_plugin.urls import get_page_key

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page
    from mkdocs.structure.toc import AnchorLink

PAGE = "offline/index.html"  # the joined page, in the print build's site folder
CSS = Path(__file__).with_name("print_edition.css")
_items: list[Any] = []
_left_out: dict[str, str] = {}  # page key on the joined page -> the page's URL in the site, for pages left out

_TABS = re.compile(r'<div class="tabbed-set [^"]*"[^>]*>((?:<input [^>]*>)*)<div class="tabbed-labels">(.*?)</div>',
                   re.S)
_LABEL = re.compile(r"<label [^>]*>(.*?)</label>", re.S)
_BLOCK = '<div class="tabbed-block">'
# Nothing to press on paper: the replay buttons of terminal sessions, the headings' permalinks (¶).
_BUTTONS = re.compile(r'\s*<button type="button" class="docexec-replay"[^>]*>.*?</button>'
                      r"""|<a class=["']headerlink["'][^>]*>.*?</a>""", re.S)


def _settings(config: MkDocsConfig) -> dict[str, Any]:
    return dict(config.extra.get("offline_edition") or {})


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """Keep the navigation's pages and sections, less those `extra.offline_edition.exclude` leaves out (a section
    left with no page goes too)."""
    patterns = list(_settings(config).get("exclude", []))
    _left_out.clear()

    def kept(items: list[Any]) -> list[Any]:
        out = []
        for item in items:
            if item.is_section:
                children = kept(item.children)
                if children:
                    out.append(Section(item.title, children))
            elif item.is_page and not exclude(item.file.src_path, patterns):
                out.append(item)
            elif item.is_page:
                _left_out[get_page_key(item.url)] = item.url
        return out

    _items[:] = kept(nav.items)
    # Pages outside the navigation (the maintainers' index) are left out too: links to them go to the site.
    in_nav = {page.file.src_uri for page in nav.pages}
    for file in files.documentation_pages():
        if file.src_uri not in in_nav:
            _left_out[get_page_key(file.url)] = file.url
    return nav


def on_page_content(html_: str, page: Page, **_: object) -> str:
    # Paper has no search: the site's hooks' data-search-exclude marks go, so the markup is Material's own again.
    # On paper the page note's provenance (engines' full versions, API, storage driver) is shown, not folded away.
    printed = re.sub(r" data-search-exclude\b", "", html_)
    printed = re.sub(r'(<div class="docexec-page-source[^"]*">\s*)<details>', r"\1<details open>", printed)
    page.html = printed  # type: ignore[attr-defined]  # what the renderer joins
    return html_


def tabs_in_sequence(text: str) -> str:
    """Each set of tabs becomes its blocks one after the other, each opened by its label: nothing is hidden on
    paper. An engine's tab label (Engine 28.5) is written out in full (Docker Engine 28.5)."""
    out, at = [], 0
    for match in _TABS.finditer(text):
        labels = [re.sub(r"^Engine ", "Docker Engine ", label.strip()) for label in _LABEL.findall(match.group(2))]
        out.append(text[at:match.start()])
        out.append(match.group(0).replace(match.group(1), "").replace(
            '<div class="tabbed-labels">' + match.group(2) + "</div>", ""))
        at = match.end()
        for label in labels:
            found = text.find(_BLOCK, at)
            if found < 0:
                break
            found += len(_BLOCK)
            out.append(text[at:found] + f'<p class="print-tab-label">{label}</p>')
            at = found
    out.append(text[at:])
    return "".join(out)


_SECTION_TITLE = re.compile(r"(<section class=.print-page md-section.[^>]*>)\s*<h1>\s*([^<]*?)\s*</h1>"
                            r'(\s*<section class="print-page" [^>]*><h1[^>]*>)\2</h1>')


def one_title_per_section(text: str) -> str:
    """A section whose first page bears its name (四种网络模式, whose index page is 四种网络模式) is titled once."""
    return _SECTION_TITLE.sub(r"\1\3\2</h1>", text)


def links_to_left_out(text: str, site_url: str | None) -> str:
    """A link to a page the edition leaves out goes to that page of the published site (SITE_URL), or, with no
    address to go to, is plain text."""
    if not _left_out:
        return text
    keys = "|".join(re.escape(key) for key in sorted(_left_out, key=len, reverse=True))
    link = re.compile(r'<a ([^>]*?)href="#(' + keys + r')(?:-([^"]*))?"([^>]*)>(.*?)</a>', re.S)

    def outside(match: re.Match[str]) -> str:
        if not site_url:
            return match.group(5)
        url = site_url.rstrip("/") + "/" + _left_out[match.group(2)] + ("#" + match.group(3) if match.group(3) else "")
        return f'<a {match.group(1)}href="{html.escape(url)}"{match.group(4)}>{match.group(5)}</a>'

    return link.sub(outside, text)


def _toc(links: list[AnchorLink], depth: int) -> str:
    if not links or depth == 0:
        return ""
    rows = "".join(f'<li><a href="#{link.id}">{link.title}</a>{_toc(link.children, depth - 1)}</li>'
                   for link in links)
    return f"<ul>{rows}</ul>"


def _head(config: MkDocsConfig, site: Path, title: str) -> str:
    sheets = [*(p.relative_to(site).as_posix() for p in sorted((site / "assets/stylesheets").glob("*.min.css"))),
              *config.extra_css]
    links = "".join(f'<link rel="stylesheet" href="../{html.escape(str(sheet))}">' for sheet in sheets)
    return (f'<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{html.escape(title)}</title>{links}<style>{CSS.read_text(encoding='utf-8')}</style>")


_DIAGRAMS = """<script src="../assets/javascripts/mermaid.min.js"></script><script>
(function () {
  var boxes = []
  document.querySelectorAll("pre.mermaid").forEach(function (pre) {
    var box = document.createElement("div")
    box.className = "mermaid"
    box.textContent = pre.textContent
    pre.replaceWith(box)
    boxes.push(box)
  })
  mermaid.initialize({ startOnLoad: false, theme: "neutral", flowchart: { htmlLabels: false } })
  mermaid.run({ nodes: boxes }).then(function () { document.documentElement.dataset.diagrams = "ready" },
    function (error) { document.documentElement.dataset.diagrams = "failed: " + error })
})()
</script>"""


def on_post_build(config: MkDocsConfig) -> None:
    settings = _settings(config)
    renderer = Renderer(plugin_config={"add_table_of_contents": False, "enumerate_headings": False,
                                       "exclude": [], "toc_depth": 3}, mkdocs_config=config)
    renderer.items = _items
    body, toc = renderer.write_combined()
    body = one_title_per_section(links_to_left_out(_BUTTONS.sub("", tabs_in_sequence(body)), config.site_url))
    site = Path(config.site_dir)
    title = config.site_name
    when = datetime.date.today().isoformat()
    url = f'<p class="print-cover-url">{html.escape(config.site_url)}</p>' if config.site_url else ""
    cover = (f'<section id="print-cover"><h1 class="print-cover-title">{html.escape(title)}</h1>'
             f'<p class="print-cover-subtitle">{html.escape(config.site_description or "")}</p>'
             f'<p class="print-cover-edition">{html.escape(settings.get("label", ""))} · {when}</p>{url}'
             f'<p class="print-cover-licence">{config.copyright or ""}</p></section>')
    note = f'<p class="print-note">{html.escape(settings["note"])}</p>' if settings.get("note") else ""
    contents = (f'<nav id="print-toc"><h1 class="print-toc-title">{html.escape(settings.get("toc_title", ""))}</h1>'
                f"{note}{_toc(toc.items, int(settings.get('toc_depth', 2)))}</nav>")
    diagrams = _DIAGRAMS if '<pre class="mermaid"' in body else ""  # none when they come drawn (SVG)
    ready = "" if diagrams else ' data-diagrams="ready"'
    page = (f'<!doctype html><html lang="zh" dir="ltr"{ready}><head>{_head(config, site, title)}</head>'
            '<body dir="ltr" data-md-color-scheme="default" data-md-color-primary="indigo" '
            'data-md-color-accent="indigo">'
            f'<main class="md-main"><div class="md-content"><article class="md-content__inner md-typeset">'
            f"{cover}{contents}{body}</article></div></main>{diagrams}</body></html>")
    out = site / PAGE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
