"""The book's diagrams as static SVG: shared by the build (hooks/site_hook.py) and the maintainer's command that
draws them (tools/diagrams.py, `./nox -s diagrams`).

Each ```mermaid fence is keyed by a hash of its source. `./nox -s diagrams` draws it once, in headless Chromium
with the vendored Mermaid and Material's own settings, into diagrams/<key>.svg (and diagrams/<key>.phone.svg, the
flowchart turned LR <-> TB, when that is narrower and the natural drawing could not fit a phone's column with 12px
text); the files are committed and reviewed like the recordings. The build puts the stored SVG into the page in
place of the fence, so a reader downloads no Mermaid. A fence with no stored drawing is left as it is: Material
draws it in the browser (overrides/main.html loads the vendored Mermaid), and the build warns.

Which drawing a reader sees, and whether the box scrolls with a hint under it, is decided by CSS container queries
on the diagram's own width (static, no script): the natural drawing shrinks with the column down to 3/4 of its
size (16px text -> 12px), the phone drawing takes over below that, and below the phone drawing's 3/4 the box
scrolls sideways and the hint 「图较宽：左右滑动查看全图」 shows.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "diagrams"
READABLE = 0.75  # Mermaid draws 16px text: never shown smaller than 12px
HINT = "图较宽：左右滑动查看全图"

# A fence as Markdown has it (tools/diagrams.py) and as superfences writes it into the page (the build).
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})mermaid\b[^\n]*\n"
                    r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$", re.M | re.S)
_PRE = re.compile(r'<pre class="mermaid"( data-search-exclude)?><code>(?P<code>.*?)</code></pre>', re.S)
_WIDTH = re.compile(r"max-width:\s*([\d.]+)px;?")


def normalized(source: str) -> str:
    lines = [line.rstrip() for line in source.splitlines()]
    return "\n".join(lines).strip("\n")


def key(source: str) -> str:
    return hashlib.sha256(normalized(source).encode()).hexdigest()[:16]


def fences(markdown: str) -> list[str]:
    """The sources of the page's ```mermaid fences, in order."""
    found = []
    for match in _FENCE.finditer(markdown):
        indent = len(match["indent"])
        found.append("".join(line[indent:] for line in match["body"].splitlines(keepends=True)))
    return found


def stored(name: str, store: Path = STORE) -> str | None:
    path = store / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def natural_width(svg: str) -> float:
    match = _WIDTH.search(svg)
    return float(match.group(1)) if match else 0.0


def readable(svg: str) -> str:
    """The drawing shrinks with the column, but not below 3/4 of its size: below that its box scrolls."""
    width = natural_width(svg)
    return _WIDTH.sub(f"max-width: {width:g}px; min-width: {math.ceil(width * READABLE)}px;", svg, count=1)


def figure(k: str, svg: str, phone: str | None, seen: int) -> str:
    """The page's markup for one diagram: both drawings, the hint, and the container queries choosing between
    them. seen > 1 for a second drawing of the same source on a page (its ids made unique)."""
    ident = f"d{k}" if seen == 1 else f"d{k}-{seen}"
    if seen > 1:
        svg = svg.replace(f"d{k}", ident)
        phone = phone and phone.replace(f"d{k}", ident)
    wide = math.ceil(natural_width(svg) * READABLE)
    rules = []
    narrowest = wide
    if phone:
        narrowest = math.ceil(natural_width(phone) * READABLE)
        rules.append(f"@container (width < {wide}px){{#fig-{ident} .diagram__wide{{display:none}}"
                     f"#fig-{ident} .diagram__phone{{display:block}}}}")
    rules.append(f"@container (width < {narrowest}px){{#fig-{ident} .diagram__hint{{display:block}}}}")
    drawings = f'<div class="diagram__wide">{readable(svg)}</div>'
    if phone:
        drawings += f'<div class="diagram__phone">{readable(phone)}</div>'
    return (f'<div class="diagram" id="fig-{ident}" data-diagram="{k}" data-search-exclude>'
            f'<style>{"".join(rules)}</style><div class="diagram__box">{drawings}</div>'
            f'<p class="diagram__hint">{HINT}</p></div>')


def inline(page_html: str, store: Path = STORE) -> tuple[str, list[str]]:
    """The page with each fence that has a stored drawing replaced by it, and the keys of those that have none."""
    missing: list[str] = []
    seen: dict[str, int] = {}

    def replace(match: re.Match[str]) -> str:
        k = key(html.unescape(match["code"]))
        svg = stored(f"{k}.svg", store)
        if svg is None:
            missing.append(k)
            return match.group(0)
        seen[k] = seen.get(k, 0) + 1
        return figure(k, svg, stored(f"{k}.phone.svg", store), seen[k])

    return _PRE.sub(replace, page_html), missing
