"""Passages copied into the lessons: runs of 18 or more Chinese characters that a reference text has too.

    python tools/copycheck.py REFERENCE [REFERENCE ...]      (folders or files of Markdown; exit 1 on a match)

The lessons are written in the book's own words; the original article it grew from and the best-known Chinese Docker
book (docker_practice) are the texts they must not copy. Both stay outside the repository, so this is a tool run by
hand (its rule is tested in tests/test_copycheck.py), not a test. Only Chinese characters count: punctuation, spaces,
Latin words and code are dropped first, so changing a comma or a word's spacing does not hide a copy. Each line is
compared on its own (a paragraph of Markdown is one line). Code blocks are skipped on both sides: commands and their
outputs are allowed to be the same.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

RUN = 18  # this many Chinese characters in a row, the same in both texts, make a copied passage
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
FENCE = re.compile(r"^\s*(```|~~~)")
ROOT = Path(__file__).resolve().parents[1]


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, the line's Chinese characters only) for each line outside code fences."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, "".join(HAN.findall(line))


def windows(han: str) -> Iterator[str]:
    for start in range(len(han) - RUN + 1):
        yield han[start:start + RUN]


def reference_windows(texts: Iterable[str]) -> set[str]:
    return {w for text in texts for _, han in prose_lines(text) for w in windows(han)}


def copies(text: str, seen: set[str]) -> Iterator[tuple[int, str]]:
    """(line, the longest shared run starting at the first shared window) of each line that shares a window."""
    for number, han in prose_lines(text):
        for start in range(len(han) - RUN + 1):
            if han[start:start + RUN] in seen:
                end = start + RUN
                while end < len(han) and han[end - RUN + 1:end + 1] in seen:
                    end += 1
                yield number, han[start:end]
                break


def markdown_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        yield from sorted(path.rglob("*.md")) if path.is_dir() else [path]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    seen = reference_windows(p.read_text(encoding="utf-8", errors="replace")
                             for p in markdown_files(Path(a) for a in argv))
    lessons = [p for p in markdown_files([ROOT / "docs"]) if "maintainers" not in p.parts]
    found = 0
    for page in lessons:
        for line, run in copies(page.read_text(encoding="utf-8"), seen):
            print(f"{page.relative_to(ROOT)}:{line}: {len(run)} Chinese characters in a row as in a reference: {run}")
            found += 1
    print(f"{found} copied passages in {len(lessons)} lessons (references: {len(seen)} runs of {RUN})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
