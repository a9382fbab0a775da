"""diagrams/ holds a drawing for every ```mermaid fence of the book and nothing else (tools/diagrams.py draws them,
hooks/diagram_svg.py puts them in the pages): a changed diagram fails here until `./nox -s diagrams` is run."""

from __future__ import annotations

from pathlib import Path

from .conftest import load_tool

DIAGRAMS = load_tool("diagrams")
SVG = DIAGRAMS.diagram_svg


def test_every_diagram_of_the_book_has_its_drawing() -> None:
    sources = DIAGRAMS.sources()
    assert len(sources) > 10, sources
    missing = {k: s.splitlines()[:3] for k, s in sources.items() if not (SVG.STORE / f"{k}.svg").is_file()}
    assert not missing, f"diagrams with no drawing in diagrams/ (run ./nox -s diagrams): {missing}"


def test_no_drawing_is_orphaned() -> None:
    sources = DIAGRAMS.sources()
    orphans = [p.name for p in SVG.STORE.iterdir() if p.name.split(".")[0] not in sources]
    assert not orphans, f"drawings of no diagram of the book (./nox -s diagrams removes them): {orphans}"


def test_each_drawing_is_a_labelled_svg_with_its_own_ids() -> None:
    for path in sorted(SVG.STORE.glob("*.svg")):
        text = path.read_text(encoding="utf-8")
        k = path.name.split(".")[0]
        ident = f"d{k}p" if path.name.endswith(".phone.svg") else f"d{k}"
        assert text.startswith(f'<svg id="{ident}"'), path.name
        assert 'role="img"' in text and ("aria-label=" in text or "aria-labelledby=" in text), path.name
        assert "<script" not in text and SVG.natural_width(text) > 0, path.name


def test_a_fence_without_a_drawing_is_left_for_the_browser(tmp_path: Path) -> None:
    source = "flowchart LR\n    a --> b\n"
    page = f'<p>x</p><pre class="mermaid"><code>{source}</code></pre>'
    html, missing = SVG.inline(page, store=tmp_path)
    assert html == page and missing == [SVG.key(source)]


def test_the_same_diagram_twice_on_a_page_gets_ids_of_its_own(tmp_path: Path) -> None:
    source = "flowchart LR\n    a --&gt; b"
    k = SVG.key("flowchart LR\n    a --> b")
    store = tmp_path
    (store / f"{k}.svg").write_text(f'<svg id="d{k}" style="max-width: 100px;"><style>#d{k} p{{}}</style></svg>')
    pre = f'<pre class="mermaid"><code>{source}</code></pre>'
    html, missing = SVG.inline(pre + pre, store=store)
    assert not missing and html.count(f'id="d{k}"') == 1 and html.count(f'id="d{k}-2"') == 1
    assert html.count('class="diagram__hint"') == 2 and 'min-width: 75px' in html
