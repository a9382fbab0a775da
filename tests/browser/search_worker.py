"""Make docs/assets/javascripts/workers/search-zh.<hash>.min.js: Material's search worker, patched for Chinese.

Material for MkDocs 9.8 segments a Chinese query with the words of the search index (jieba made them at build
time), but its segmenter never tries a word that ends at the end of the query, so the query's last word is lost:
端口映射 is searched as 端口, 数据卷 as 数据 (issue squidfunk/mkdocs-material#3915 added the code). It also keeps
Latin and Han glued together, so `bridge模式` finds nothing. This replaces the segmenter with a forward maximum
match over the index (the longest indexed word at each position, unknown characters skipped) and puts a space
between Han and Latin runs of a query. It also adds (ADDITIONS, below) three things of this book's own:

- synonyms: a query word listed in docs/assets/search/synonyms.txt (端口映射) is searched together with the
  book's word for it (端口发布), and a result that has either is not shown as missing the other;
- the shared index: hooks/search_index.py makes search/search_index.json a small pointer to a content-hashed
  copy of the index, which this worker fetches with `cache: "force-cache"`, so it is downloaded once per site
  version rather than on every page load;
- an article listed only because of its sections carries their query words (the ?h= of its link, which
  highlights them on the page it opens) and marks them in its title, as the sections' titles are marked.

    python tests/browser/search_worker.py          write the patched worker (after upgrading Material)
    python tests/browser/search_worker.py --check  exit 1 when the committed file is not what this makes

hooks/search_index.py points Material at the patched file (overrides/main.html, block `config`).
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import material

ROOT = Path(__file__).resolve().parents[2]
MATERIAL_WORKERS = Path(material.__file__).parent / "templates" / "assets" / "javascripts" / "workers"
OUT_DIR = ROOT / "docs" / "assets" / "javascripts" / "workers"

# Material 9.8.1's segmenter, as minified in its worker.
OLD_SEGMENT = (
    'function fe(t,e){let r=new Set,n=new Uint16Array(t.length);for(let s=0;s<t.length;s++)'
    'for(let o=s+1;o<t.length;o++)t.slice(s,o)in e&&(n[s]=o-s);let i=[0];for(let s=i.length;s>0;)'
    '{let o=i[--s];for(let u=1;u<n[o];u++)n[o+u]>n[o]-u&&(r.add(t.slice(o,o+u)),i[s++]=o+u);'
    'let a=o+n[o];n[a]&&a<t.length-1&&(i[s++]=a),r.add(t.slice(o,a))}return r.has("")?new Set([t]):r}'
)
# Forward maximum matching: at each position the longest word of the index (up to the end of the query);
# a character that starts no indexed word is skipped. No word at all: the query as it is.
NEW_SEGMENT = (
    'function fe(t,e){let r=new Set;for(let s=0;s<t.length;){let o=0;'
    'for(let u=t.length;u>s;u--)if(t.slice(s,u)in e){o=u-s;break}'
    'o?(r.add(t.slice(s,s+o)),s+=o):s++}return r.size?r:new Set([t])}'
)
# The start of the worker's search(): split `bridge模式` into `bridge 模式` before segmenting.
OLD_SEARCH = 'search(e){if(e=e.replace(new RegExp("\\\\p{sc=Han}+","gu"),'
NEW_SEARCH = (
    'search(e){if(e=e.replace(new RegExp("[\\\\p{L}\\\\p{N}_]+","gu"),'
    'w=>w.replace(new RegExp("\\\\p{sc=Han}+","gu")," $& ").trim()),'
    'e=e.replace(new RegExp("\\\\p{sc=Han}+","gu"),'
)
PATCHES = [(OLD_SEGMENT, NEW_SEGMENT), (OLD_SEARCH, NEW_SEARCH)]

# This book's additions: the calls (patched into Material's code) to the functions of ADDITIONS.
PATCHES += [
    # The synonyms come with the index's config (hooks/search_index.py).
    ('var U=class{constructor({config:e,docs:r,options:n}){',
     'var U=class{constructor({config:e,docs:r,options:n}){this.synonyms=e.synonyms||{};'),
    # First of all: add the synonyms of the query's words (zhG: their groups).
    ('search(e){if(', 'search(e){let zhG;if([e,zhG]=zhExpand(e,this.synonyms),'),
    # Each word of a segmented Han run gets one `*` (prefix search) from Material's query parser: joined with
    # "* ", all but the last got two, and a result was said to lack `端口*` (缺少) when it had 端口.
    ('s=>[...fe(s,this.index.invertedIndex)].join("* ")', 's=>[...fe(s,this.index.invertedIndex)].join(" ")'),
    ('let f=he(r,Object.keys(u.metadata));', 'let f=zhFound(he(r,Object.keys(u.metadata)),zhG);'),
    ('o.push(B(_({},a),{score:0,terms:{}}))', 'o.push(zhArticle(B(_({},a),{score:0,terms:{}}),o))'),
    ('case 0:return yield Ie(t.data.config),de=new U(t.data),{type:1};',
     'case 0:return yield Ie(t.data.config),de=new U(yield zhShared(t.data)),{type:1};'),
]

ADDITIONS = r"""
/* docker-net-zh: synonyms, the shared index, article titles (tests/browser/search_worker.py). */
function zhExpand(query, synonyms) {
  // synonyms: {word: [its other words]}, lower case. The longest listed word first; a Han word matches anywhere
  // in the query (Chinese has no spaces), a Latin one only whole. Returns the query with the words it lacks
  // appended (lunr ORs a query's words) and the groups that matched.
  const lower = query.toLowerCase(), taken = new Array(lower.length).fill(false), groups = [], extra = []
  const inWord = c => c !== undefined && /[A-Za-z0-9_]/.test(c)
  for (const word of Object.keys(synonyms).sort((a, b) => b.length - a.length)) {
    for (let at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + 1)) {
      const end = at + word.length
      if (taken.slice(at, end).some(Boolean)) continue
      if (!/\p{sc=Han}/u.test(word) && (inWord(lower[at - 1]) || inWord(lower[end]))) continue
      taken.fill(true, at, end)
      groups.push([word, ...synonyms[word]])
      extra.push(...synonyms[word].filter(other => !lower.includes(other) && !extra.includes(other)))
      break
    }
  }
  return [extra.length ? query + " " + extra.join(" ") : query, groups]
}
function zhFound(terms, groups) {
  // A word of a group is found when any word of its group is: the others are not listed as missing.
  for (const group of groups || []) {
    const members = Object.keys(terms).filter(term => group.some(word => word.includes(term)))
    if (members.some(term => terms[term])) for (const term of members) if (!terms[term]) delete terms[term]
  }
  return terms
}
function zhArticle(article, sections) {
  // Material lists the article of a page whose sections matched with no terms: its link had an empty ?h=.
  const terms = {}
  for (const section of sections)
    for (const [term, found] of Object.entries(section.terms)) if (found) terms[term] = true
  const words = Object.keys(terms).sort((a, b) => b.length - a.length)
  article.terms = terms
  if (words.length && !article.title.includes("<mark")) {
    const pattern = new RegExp("(" + words.map(w => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") + ")", "giu")
    article.title = article.title.split(/(<[^>]*>|&[#\w]+;)/)
      .map((part, n) => n % 2 ? part : part.replace(pattern, "<mark>$1</mark>")).join("")
  }
  return article
}
async function zhShared(data) {
  // hooks/search_index.py: search/search_index.json holds the config and the name of the index itself, a file
  // named by its content, so the browser may keep it as long as it likes. It sits in search/, three folders up.
  const name = data.config.docs_url
  if (!name) return data
  try {
    const url = new URL("../../../search/" + name, self.location.href)
    const response = await fetch(url, { cache: "force-cache", credentials: "same-origin" })
    if (!response.ok) throw new Error(response.status + " " + url)
    const index = await response.json()
    return { ...data, config: { ...index.config, ...data.config }, docs: index.docs }
  } catch (error) {
    console.warn("search index not loaded: " + error)
    return data
  }
}
"""


def material_worker() -> Path:
    found = sorted(p for p in MATERIAL_WORKERS.glob("search.*.min.js"))
    if len(found) != 1:
        raise SystemExit(f"expected one search worker in {MATERIAL_WORKERS}, found {[p.name for p in found]}")
    return found[0]


def output_path(text: str) -> Path:
    """search-zh.<first 8 hex digits of the sha256 of its text>.min.js: a new worker gets a new name, so that no
    browser pairs a page with a worker it kept from before (hooks/search_index.py finds it for the pages)."""
    return OUT_DIR / f"search-zh.{hashlib.sha256(text.encode()).hexdigest()[:8]}.min.js"


def patched() -> str:
    source = material_worker().read_text(encoding="utf-8")
    for old, new in PATCHES:
        if source.count(old) != 1:
            raise SystemExit(
                f"Material's search worker {material_worker().name} changed: this patch no longer applies "
                f"(looked for {old[:60]!r}). Check whether the new Material still needs it, then update "
                "tests/browser/search_worker.py."
            )
        source = source.replace(old, new)
    source = re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", source) + ADDITIONS.lstrip("\n")
    header = (
        f"/* Material for MkDocs {material_version()} search worker ({material_worker().name}; MIT License, "
        "Copyright (c) 2016-2025 Martin Donath), with its Chinese query segmentation replaced and synonyms, a shared "
        "index and marked article titles added. Generated by "
        "tests/browser/search_worker.py: do not edit. */\n"
    )
    return header + source


def material_version() -> str:
    from importlib.metadata import version

    return version("mkdocs-material")


def main(argv: list[str]) -> int:
    text = patched()
    out = output_path(text)
    if "--check" in argv:
        current = out.read_text(encoding="utf-8") if out.is_file() else None
        if current != text or sorted(OUT_DIR.glob("search-zh.*.min.js")) != [out]:
            print(f"{out.relative_to(ROOT)} is out of date: run python tests/browser/search_worker.py")
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob("search-zh.*.min.js"):
        if stale != out:
            stale.unlink()
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
