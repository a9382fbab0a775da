"""MkDocs hook: what a published site needs beyond Material's defaults (README: 发布).

- mkdocs.yml reads SITE_URL, REPO_URL, EDIT_URI and ISSUES_URL with `!ENV`. Without REPO_URL there is no
  repository to edit a page in or to report a problem to: the edit buttons and the 报告问题 links are left out
  (MkDocs would otherwise make edit links of EDIT_URI alone). With it, ISSUES_URL defaults to REPO_URL/issues/new.
- The 404 page works at any depth, in any folder (overrides/404.html).
- A diagram's Mermaid source is not searched: a result's excerpt would show `flowchart LR / subgraph …`.
- Diagrams are static SVG drawn by `./nox -s diagrams` (hooks/diagram_svg.py): the reader loads no Mermaid.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

import diagram_svg  # hooks/diagram_svg.py (MkDocs puts this folder on sys.path while it loads the hook)

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.diagrams")

# What the 404 page loads: its style sheets, icon and scripts (links to pages are not loaded, so not included).
_LOADED = re.compile(r'<link\b[^>]*\bhref="\./[^"]*"[^>]*>|<script\b[^>]*\bsrc="\./[^"]*"[^>]*>\s*</script>')


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    if not config.repo_url:
        config.edit_uri = None
        config.edit_uri_template = None
        config.extra["issues_url"] = None
    elif not config.extra.get("issues_url"):
        config.extra["issues_url"] = config.repo_url.rstrip("/") + "/issues/new"
    return config


def on_page_content(html: str, *, page: Page, **_: object) -> str:
    """Put each diagram's stored drawing in place of its fence; mark those left to be drawn in the browser
    (superfences' `<pre class="mermaid">`) and the drawings for Material's search to skip: runs before the search
    plugin reads the page (on_page_context)."""
    html, missing = diagram_svg.inline(html)
    for k in missing:
        log.warning("%s: a diagram (%s) has no stored drawing and is drawn in the browser with Mermaid (3.5 MB): "
                    "run ./nox -s diagrams and commit diagrams/", page.file.src_uri, k)
    return html.replace('<pre class="mermaid">', '<pre class="mermaid" data-search-exclude>')


def on_serve(server: LiveReloadServer, **_: object) -> LiveReloadServer:
    """`./nox -s diagrams` while `./nox -s serve` runs: the new drawings show at once."""
    if diagram_svg.STORE.is_dir():
        server.watch(str(diagram_svg.STORE))
    return server


def on_post_template(output: str, *, template_name: str, config: MkDocsConfig) -> str:
    """The 404 page's links are relative to the site's root folder, which a script at the top of the page finds and
    makes the page's <base>. Chromium's preload scanner reads ahead of that script and would fetch each style
    sheet and script from below the missing address first (one failed request each): so they are written by
    document.write, after the <base>, where the scanner does not look."""
    if template_name != "404.html":
        return output
    def written(match: re.Match[str]) -> str:
        return "<script>document.write(" + json.dumps(match.group(0)).replace("</", "<\\/") + ")</script>"

    return _LOADED.sub(written, output)
