"""The offline edition (README: 离线版; `./nox -s pdf`): the whole book as one PDF and as one HTML file.

1. `mkdocs build --strict -f mkdocs-print.yml` from the recordings only (DOCEXEC_MODE=publish: a stale or missing
   recording fails it): the book joined on one page, offline/index.html (hooks/print_edition.py).
2. Debian's Chromium (through playwright, as the browser tests drive it) opens that page from the disk, with
   every request that is not for a file of the build refused, waits for its diagrams, and prints it: A4, page
   numbers at the foot of each page, bookmarks from the headings. Fonts: Noto CJK (Debian's fonts-noto-cjk),
   embedded by Chromium.
3. The same page, as Chromium has drawn it, less its scripts and with its style sheets inlined, is the HTML file:
   one file that needs nothing else to be read.

    python tools/offline.py [OUT]     # writes OUT/docker-network-volumes.pdf and .html (default: build/offline)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.sitekit import launch  # noqa: E402

NAME = "docker-network-volumes"
# Foot of every sheet: page number of total, in the book's sans-serif.
FOOTER = ('<div style="width:100%;font-size:8px;text-align:center;color:#666;'
          'font-family:\'Noto Sans CJK SC\',sans-serif"><span class="pageNumber"></span> / '
          '<span class="totalPages"></span></div>')
_SHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">')
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)


def build_print_site(dest: Path, mode: str = "publish") -> Path:
    """The print build into dest (DOCEXEC_MODE=mode); returns its joined page."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DOCEXEC_MODE": mode}
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-q", "-f", "mkdocs-print.yml",
                    "-d", str(dest)], cwd=ROOT, env=env, check=True)
    return dest / "offline" / "index.html"


def _refuse_others(page: Any, allowed: str, refused: list[str]) -> None:
    def route(r: Any) -> None:
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()
    page.route("**/*", route)


def inline_html(rendered: str, page_file: Path) -> str:
    """The page as drawn, without scripts (its diagrams are SVG in it by now), its style sheets inlined."""
    def sheet(match: re.Match[str]) -> str:
        css = (page_file.parent / match.group(1)).resolve().read_text(encoding="utf-8")
        css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
        return "<style>" + css + "</style>"

    return _SHEET.sub(sheet, _SCRIPT.sub("", rendered))


def fonts_used(page: Any) -> set[str]:
    """The fonts Chromium set the book's text in (its paragraphs, headings and code): the fonts the PDF embeds."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    families: set[str] = set()
    for selector in ("#print-site-page p", "#print-site-page h2", "#print-site-page pre code"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        if node:
            for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
                families.add(font["familyName"])
    return families


class Edition(NamedTuple):
    pdf: Path
    html: Path
    fonts: set[str]  # the families the text is set in


def print_page(page_file: Path, out: Path, browser: Any = None) -> Edition:
    """Chromium prints the joined page to OUT/NAME.pdf and saves it, drawn, as OUT/NAME.html. BROWSER: a
    playwright Chromium already running (the tests' own: a second sync playwright in one process is refused);
    without it one is started for the job."""
    out.mkdir(parents=True, exist_ok=True)
    if browser is not None:
        return _print_with(browser, page_file, out)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = launch(p)  # the browser tests' Chromium, with their flags
        try:
            return _print_with(launched, page_file, out)
        finally:
            launched.close()


def _print_with(browser: Any, page_file: Path, out: Path) -> Edition:
    pdf, single = out / f"{NAME}.pdf", out / f"{NAME}.html"
    refused: list[str] = []
    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    try:
        page = context.new_page()
        _refuse_others(page, page_file.parent.parent.as_uri() + "/", refused)
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_function("document.documentElement.dataset.diagrams", timeout=120_000)
        state = page.evaluate("document.documentElement.dataset.diagrams")
        if state != "ready":
            raise RuntimeError(f"the diagrams were not drawn: {state}")
        page.emulate_media(media="print")
        fonts = fonts_used(page)
        page.pdf(path=str(pdf), format="A4", print_background=True, display_header_footer=True,
                 header_template="<span></span>", footer_template=FOOTER, outline=True, tagged=True,
                 margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
        single.write_text(inline_html(page.content(), page_file), encoding="utf-8")
    finally:
        context.close()
    if not any("CJK" in family for family in fonts):
        raise RuntimeError(f"the text was set in {sorted(fonts)}, not Noto CJK: install fonts-noto-cjk")
    if refused:
        raise RuntimeError("the offline edition asked for something outside its build: " + ", ".join(refused))
    return Edition(pdf, single, fonts)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "build" / "offline"
    with tempfile.TemporaryDirectory(prefix="print-edition-") as tmp:
        edition = print_page(build_print_site(Path(tmp) / "site"), out.resolve())
    for made in (edition.pdf, edition.html):
        print(f"offline edition: {made} ({made.stat().st_size / 1e6:.1f} MB)")
    print(f"offline edition: text set in {', '.join(sorted(edition.fonts))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
