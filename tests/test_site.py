"""The site builds from the recordings alone, and shows every recorded output on its page."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from docexec import recording
from docexec.config import Config
from docexec.project import Project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent",
           "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "page(s) run and recorded, " in done.stderr and "0 page(s) run" in done.stderr
    return out


def _code_text(page_html: str) -> str:
    """The text of the transcripts, without the badges of keys pressed in terminal sessions."""
    blocks = re.findall(r'<div class="docexec(?: [^"]*)?".*?<code>(.*?)</code>', page_html, re.S)
    text = re.sub(r"<kbd\b[^>]*>.*?</kbd>", "", "\n".join(blocks))
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_every_recorded_output_is_on_its_page(site: Path, config: Config) -> None:
    project = Project(config, mode="offline")
    checked = 0
    for page in project.pages():
        stored = recording.load(config.snippets_dir, page)
        if not page.executed:
            continue
        assert stored is not None, f"{page.where} has no recording"
        built = site / page.name.removesuffix(".md") / "index.html"
        if page.name.endswith("index.md"):
            built = site / page.name.removesuffix("index.md") / "index.html"
        text = _code_text(built.read_text(encoding="utf-8"))
        for block in page.executed:
            if not block.show:
                continue
            for command, record in zip(block.commands, stored.blocks[block.id], strict=True):
                assert command.display in text, f"{page.where}:{command.line}: command missing from {built}"
                assert record.output.rstrip("\n") in text, f"{page.where}:{command.line}: output missing"
                checked += 1
    assert checked > 0


def test_no_page_loads_anything_from_another_origin(site: Path) -> None:
    """Scripts, styles, images and fonts come from the site itself (links to other sites are fine)."""
    loads = re.compile(r'<(?:script|img|iframe|source)\b[^>]*\bsrc="([^"]+)"|<link\b[^>]*\bhref="([^"]+)"')
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for m in loads.finditer(text):
            url = m.group(1) or m.group(2)
            tag = m.group(0)
            if 'rel="canonical"' in tag or 'rel="alternate"' in tag:
                continue
            assert not re.match(r"(https?:)?//", url), f"{page} loads {url}"
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
