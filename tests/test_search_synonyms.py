"""The search synonyms (docs/assets/search/synonyms.txt, read by hooks/search_index.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("search_index_hook", ROOT / "hooks" / "search_index.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_groups_and_one_way_lines(tmp_path: Path) -> None:
    listed = tmp_path / "synonyms.txt"
    listed.write_text("# comment\n\n网段 子网   # a group\n端口映射 Port-Mapping => 端口发布 EXPOSE\n",
                      encoding="utf-8")
    assert _hook().read_synonyms(listed) == {
        "网段": ["子网"], "子网": ["网段"],
        "端口映射": ["端口发布", "expose"], "port-mapping": ["端口发布", "expose"],
    }


@pytest.mark.parametrize("line", ["端口映射\n", "端口映射 =>\n", "=> 端口发布\n"])
def test_a_line_that_says_nothing_is_refused(tmp_path: Path, line: str) -> None:
    listed = tmp_path / "synonyms.txt"
    listed.write_text("网段 子网\n" + line, encoding="utf-8")
    with pytest.raises(SystemExit, match=r"synonyms.txt:2:"):
        _hook().read_synonyms(listed)


def test_each_synonym_leads_to_words_of_the_book() -> None:
    """A query word is searched with the words on its right: each of those must be in a lesson (the maintainers'
    pages are not searched), or the line finds nothing new."""
    synonyms = _hook().read_synonyms(ROOT / "docs" / "assets" / "search" / "synonyms.txt")
    lessons = "\n".join(p.read_text(encoding="utf-8").lower() for p in (ROOT / "docs").rglob("*.md")
                        if "maintainers" not in p.parts and "assets" not in p.parts)
    assert "端口发布" in synonyms["端口映射"]
    missing = sorted({w for targets in synonyms.values() for w in targets if w not in lessons})
    assert not missing, f"synonyms.txt sends queries to words no lesson has: {missing}"
