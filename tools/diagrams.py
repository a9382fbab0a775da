"""Draw every ```mermaid fence of docs/ as static SVG into diagrams/ (`./nox -s diagrams`; hooks/diagram_svg.py
says how the build uses them).

    python tools/diagrams.py [--all]     (--all: draw again those already stored, e.g. after updating Mermaid)

Each diagram is drawn in headless Chromium (Debian's, as the browser tests use it) by the vendored
docs/assets/javascripts/mermaid.min.js, initialised exactly as Material for MkDocs does it in the browser (the
settings are read from the installed Material's bundle), so its colours are Material's CSS variables and an SVG put
into the page follows the light and dark palettes. Text is measured with the site's font stack (docs/assets/site.css).
A flowchart whose natural drawing would need shrinking below 12px text on a phone's 390px column is drawn the other
way round too (LR <-> TB: the whole, its subgraphs, or both), the narrowest kept as <key>.phone.svg
when narrower. Drawings no fence uses any more are removed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "hooks"), str(ROOT)]

import diagram_svg  # noqa: E402

from tests.browser.sitekit import PHONE, chromium_missing, launch  # noqa: E402

MERMAID = ROOT / "docs" / "assets" / "javascripts" / "mermaid.min.js"
SITE_CSS = ROOT / "docs" / "assets" / "site.css"
COLUMN = PHONE["width"]  # a phone's diagram spans the screen (site.css)
_TURN = re.compile(r"^(\s*(?:flowchart|graph)[ \t]+)(LR|RL|TB|TD|BT)\b")
_INNER = re.compile(r"^([ \t]+direction[ \t]+)(LR|RL|TB|TD|BT)\b", re.M)


def material_settings() -> dict[str, Any]:
    """What Material passes to mermaid.initialize, read from its bundle: its theme CSS and sequence font sizes."""
    import material

    bundle = next((Path(material.__file__).parent / "templates" / "assets" / "javascripts").glob("bundle.*.min.js"))
    text = bundle.read_text(encoding="utf-8")
    call = re.search(r"mermaid\.initialize\(\{startOnLoad:!1,themeCSS:(\w+),sequence:(\{[^}]*\})\}\)", text)
    if call is None:
        raise SystemExit(f"{bundle}: Material's mermaid.initialize call not found (Material changed: update this tool)")
    theme = re.search(r"\b" + re.escape(call.group(1)) + r'="((?:[^"\\]|\\.)*)"', text)
    if theme is None:
        raise SystemExit(f"{bundle}: Material's theme CSS ({call.group(1)}) not found")
    sequence = json.loads(re.sub(r"(\w+):", r'"\1":', call.group(2)))
    return {"startOnLoad": False, "themeCSS": json.loads(f'"{theme.group(1)}"'), "sequence": sequence}


def font_stack() -> str:
    match = re.search(r"--md-text-font:\s*([^;]+);", SITE_CSS.read_text(encoding="utf-8"))
    return (match.group(1) if match else "sans-serif").replace("\n", " ")


def _flip(direction: str) -> str:
    return "TB" if direction in ("LR", "RL") else "LR"


def turned(source: str) -> list[str]:
    """The flowchart drawn the other way round: its own direction turned, its subgraphs' directions turned, both."""
    top = _TURN.match(source)
    if top is None:
        return []
    outer = source[:top.start(2)] + _flip(top.group(2)) + source[top.end(2):]
    inner = _INNER.sub(lambda m: m.group(1) + _flip(m.group(2)), source)
    both = _INNER.sub(lambda m: m.group(1) + _flip(m.group(2)), outer)
    return list(dict.fromkeys(c for c in (outer, inner, both) if c != source))


# Draw one diagram; label it for screen readers with its own text when its source gives no accTitle.
_RENDER = """async ([id, text]) => {
  const {svg} = await mermaid.render(id, text)
  const box = document.createElement('div')
  box.innerHTML = svg
  const root = box.firstElementChild
  document.body.append(box)
  if (!root.getAttribute('aria-labelledby')) {
    const parts = [...root.querySelectorAll('.cluster-label, .nodeLabel, .edgeLabel')].map(e => {
      const copy = e.cloneNode(true)
      copy.querySelectorAll('br').forEach(br => br.replaceWith(' '))
      return copy.textContent.replace(/\\s+/g, ' ').trim()
    }).filter(Boolean)
    root.setAttribute('aria-label', '示意图：' + [...new Set(parts)].join('；'))
  }
  root.setAttribute('role', 'img')
  box.remove()
  return root.outerHTML
}"""


def sources() -> dict[str, str]:
    found: dict[str, str] = {}
    for page in sorted((ROOT / "docs").rglob("*.md")):
        if "assets" in page.relative_to(ROOT / "docs").parts:
            continue  # not pages (mkdocs.yml exclude_docs)
        for source in diagram_svg.fences(page.read_text(encoding="utf-8")):
            found.setdefault(diagram_svg.key(source), diagram_svg.normalized(source))
    return found


def draw(todo: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    settings = material_settings()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_content(f"<!doctype html><html><head><style>:root{{--md-mermaid-font-family: {font_stack()};"
                         "--md-text-font-family: var(--md-mermaid-font-family)}"
                         "body{font-family: var(--md-mermaid-font-family)}</style></head><body></body></html>")
        page.add_script_tag(path=str(MERMAID))
        page.evaluate("settings => mermaid.initialize(settings)", settings)
        for k, source in todo.items():
            svg = page.evaluate(_RENDER, [f"d{k}", source])
            (diagram_svg.STORE / f"{k}.svg").write_text(svg + "\n", encoding="utf-8")
            phone = diagram_svg.STORE / f"{k}.phone.svg"
            phone.unlink(missing_ok=True)
            width = diagram_svg.natural_width(svg)
            if width * diagram_svg.READABLE > COLUMN:
                drawn = [page.evaluate(_RENDER, [f"d{k}p", other]) for other in turned(source)]
                narrowest = min(drawn, key=diagram_svg.natural_width, default=None)
                if narrowest is not None and diagram_svg.natural_width(narrowest) < width:
                    phone.write_text(narrowest + "\n", encoding="utf-8")
            print(f"drew diagrams/{k}.svg{' and .phone.svg' if phone.exists() else ''}")
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="draw again the diagrams already stored")
    args = parser.parse_args()
    why = chromium_missing()
    if why is not None:
        print(f"cannot draw the diagrams: {why}", file=sys.stderr)
        return 1
    found = sources()
    diagram_svg.STORE.mkdir(exist_ok=True)
    for path in sorted(diagram_svg.STORE.glob("*.svg")):
        if path.name.split(".")[0] not in found:
            path.unlink()
            print(f"removed {path.relative_to(ROOT)} (no fence draws it any more)")
    todo = {k: s for k, s in found.items() if args.all or not (diagram_svg.STORE / f"{k}.svg").is_file()}
    draw(todo)
    print(f"{len(found)} diagrams, {len(todo)} drawn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
