"""MkDocs hook: the offline edition (README: 离线版) in the published site, and the home page's link to it.

`./nox -s publish` makes the edition first (tools/offline.py, into build/offline/) and builds the site with
OFFLINE_EDITION=build/offline: the PDF and the single-page HTML are then published as offline/<name>, and 导读 gets
a line linking to them where docs/index.md has the marker below. Without OFFLINE_EDITION (./nox -s docs, serve, a
mirror's build) there is no such file and no link: the marker is removed, so no build has a dead link, and MkDocs
checks the link (--strict) whenever there is one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

ENV = "OFFLINE_EDITION"
NAME = "docker-network-volumes"  # tools/offline.py writes NAME.pdf and NAME.html
MARKER = "<!-- offline-edition -->"


def _folder() -> Path | None:
    value = os.environ.get(ENV)
    return Path(value) if value else None


def on_files(files: Files, config: MkDocsConfig) -> Files:
    folder = _folder()
    if folder is None:
        return files
    for suffix in (".pdf", ".html"):
        made = folder / (NAME + suffix)
        if not made.is_file():
            raise PluginError(f"{ENV}={folder}: there is no {made.name} (./nox -s pdf makes it)")
        files.append(File.generated(config, f"offline/{made.name}", abs_src_path=str(made.resolve())))
    return files


def on_page_markdown(markdown: str, page: Page, **_: object) -> str:
    if MARKER not in markdown:
        return markdown
    folder = _folder()
    line = ""
    if folder is not None:
        size = (folder / f"{NAME}.pdf").stat().st_size / 1e6
        line = (f"离线阅读：[全书 PDF](offline/{NAME}.pdf)（A4，{size:.0f} MB）或[单页 HTML](offline/{NAME}.html)，"
                "内容与本站相同，包括每条命令的真实输出。")
    return markdown.replace(MARKER, line)
