"""MkDocs hook: the search index, shared by every page and lighter (docs/assets/javascripts/workers/README.md).

- Material's pages fetch search/search_index.json on every page load (a ~1.5 MB XMLHttpRequest the page cannot
  ask the browser to keep). After the build, the index is written once more as search_index.<sha256>.json, a
  name that changes whenever its content does, and search_index.json becomes a small pointer to it: the config
  that the page needs plus `docs_url`. The patched search worker fetches the named file with
  `cache: "force-cache"`, so the browser downloads the index once per version of the site, however many pages
  a reader opens and whatever cache headers the host sends.
- The index is written as UTF-8 (Material escapes every Chinese character as \\uXXXX, twice the bytes), and
  repeated boilerplate is left out of it: the page's recording notes, the caption under each transcript, the
  engine tab labels, and the transcripts of the second engine's tab (the first engine's tab has the same
  commands, and mostly the same outputs).
- docs/assets/search/synonyms.txt goes with the index's config: the worker searches a query word together with
  its synonyms (端口映射 -> 端口发布).
- The pages load the patched worker (overrides/main.html, block `config`, with the names found here).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

SYNONYMS = "assets/search/synonyms.txt"  # below docs_dir
WORKERS = "assets/javascripts/workers"

# The caption under every transcript (src/docexec/render/html.py), marked for Material's search to skip. (The page
# note marks itself: src/docexec/render/note.py.)
_NOTES = re.compile(r'<p class="(docexec-source)')
_TAB_LABELS = re.compile(r'(<div class="tabbed-set tabbed-alternate docexec-engines"[^>]*>(?:<input[^>]*>)*)'
                         r'<div class="tabbed-labels">')
# The engines' tabs after the first: `</div><div class="tabbed-block"><div class="docexec …`.
_LATER_TAB = re.compile(r'(?<=</div>)<div class="tabbed-block">(?=<div class="docexec[ "])')


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    import material

    ours = sorted((Path(config.docs_dir) / WORKERS).glob("search-zh.*.min.js"))
    theirs = sorted((Path(material.__file__).parent / "templates" / WORKERS).glob("search.*.min.js"))
    if len(ours) != 1 or len(theirs) != 1:
        raise SystemExit(f"search worker: expected one of each, found {[p.name for p in ours + theirs]} "
                         "(python tests/browser/search_worker.py)")
    config.extra["search_worker"] = {"material": theirs[0].name, "zh": ours[0].name}
    return config


def on_page_content(html: str, **_: Any) -> str:
    """Runs after docexec rendered the transcripts and before Material's search reads the page."""
    html = _NOTES.sub(r'<p data-search-exclude class="\1', html)
    html = _TAB_LABELS.sub(r'\1<div data-search-exclude class="tabbed-labels">', html)
    return _LATER_TAB.sub('<div data-search-exclude class="tabbed-block">', html)


def read_synonyms(path: Path) -> dict[str, list[str]]:
    """word -> the words to search with it. A line `a b c` is a group (each finds the others); `a => b c` only
    sends a to b and c. `#` starts a comment. Words are lower-cased; Latin words match only whole words."""
    found: dict[str, list[str]] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        left, arrow, right = line.partition("=>")
        words, targets = left.lower().split(), right.lower().split()
        if (arrow and not (words and targets)) or (not arrow and len(words) < 2):
            raise SystemExit(f"{path}:{number}: a group needs two words, `a => b` a word on each side: {raw!r}")
        for word in words:
            others = targets if arrow else [w for w in words if w != word]
            found.setdefault(word, [])
            found[word] += [w for w in others if w not in found[word]]
    return found


def on_post_build(config: MkDocsConfig) -> None:
    """Runs after Material's search plugin wrote search/search_index.json (hooks come after plugins)."""
    folder = Path(config.site_dir) / "search"
    pointer = folder / "search_index.json"
    if not pointer.is_file():
        return  # no search plugin
    index = json.loads(pointer.read_text(encoding="utf-8"))
    if "docs_url" in index["config"]:
        return  # already a pointer: the search plugin did not write the index in this build
    synonyms = Path(config.docs_dir) / SYNONYMS
    index["config"]["synonyms"] = read_synonyms(synonyms) if synonyms.is_file() else {}
    data = json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    name = f"search_index.{hashlib.sha256(data).hexdigest()[:10]}.json"
    for stale in folder.glob("search_index.*.json"):
        if stale.name != name:
            stale.unlink()
    (folder / name).write_bytes(data)
    small = {key: value for key, value in index["config"].items() if key != "synonyms"}
    pointer.write_text(json.dumps({"config": {**small, "docs_url": name}, "docs": []}, ensure_ascii=False,
                                  separators=(",", ":")), encoding="utf-8")

