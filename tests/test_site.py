"""The site builds from the recordings alone, and shows every recorded output on its page."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from docexec import Project, Settings, load_config
from docexec.store import recording

from .counts import counts

ROOT = Path(__file__).resolve().parent.parent


PUBLISHING = ("SITE_URL", "REPO_URL", "EDIT_URI", "ISSUES_URL")  # read by mkdocs.yml with !ENV
SITE_URL = "https://book.test/docker-net/"
REPO_URL = "https://git.test/someone/docker-net-zh"


def build(out: Path, **settings: str) -> Path:
    """`mkdocs build --strict` of the repository into out, with only the given publishing settings, from the
    recordings alone: offline, so that it never runs a page nor rewrites a recording (labs ignore DOCKER_HOST); a
    stale or missing recording is a warning, which --strict fails."""
    env = {k: v for k, v in os.environ.items() if k not in PUBLISHING}
    env.update({"DOCKER_HOST": "unix:///nonexistent", "DOCEXEC_MODE": "offline", "NO_MKDOCS_2_WARNING": "1",
                **settings})
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    # One summary line per engine, each saying that no page ran.
    runs = counts(done.stderr, "page(s) run and recorded, ")
    assert runs == [0] * len(load_config(ROOT).engines), done.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built as a preview or a mirror is: no SITE_URL, no REPO_URL."""
    return build(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("published"), SITE_URL=SITE_URL, REPO_URL=REPO_URL)


def _html(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html"))}


def _code_text(page_html: str) -> str:
    """The text of the transcripts, without the badges of keys pressed in terminal sessions."""
    blocks = re.findall(r'<div class="docexec(?: [^"]*)?".*?<code>(.*?)</code>', page_html, re.S)
    text = re.sub(r"<kbd\b[^>]*>.*?</kbd>", "", "\n".join(blocks))
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_every_recorded_output_is_on_its_page(site: Path, config: Settings) -> None:
    project = Project(config, mode="offline")
    checked = 0
    for page in map(project.here, project.pages()):  # blocks limited to another engine are not in its recording
        stored = recording.load(project.engine.snippets_dir, page)
        if not page.executed:
            continue
        assert stored is not None, f"{page.where} has no recording"
        built = site / page.name.removesuffix(".md") / "index.html"
        if page.name.endswith("index.md"):
            built = site / page.name.removesuffix("index.md") / "index.html"
        raw = built.read_text(encoding="utf-8")
        text = _code_text(raw)
        for block in page.executed:
            if not block.show:
                continue
            if block.exec_kind.pictured:  # a measured picture: its recorded SVG is on the page, and its caption
                (record,) = stored.blocks[block.id]
                assert record.figure and record.figure.strip() in raw, f"{page.where}:{block.line}: picture missing"
                assert block.text.strip() in raw, f"{page.where}:{block.line}: caption missing from {built}"
                checked += 1
                continue
            if not block.exec_kind.holds_commands:  # a file (exec="file"): its text is shown, not its command
                assert block.text.rstrip("\n") in text, f"{page.where}:{block.line}: file missing from {built}"
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


def test_without_site_url_no_page_claims_an_address(site: Path) -> None:
    """No made-up canonical address, no sitemap of addresses the site does not have, no placeholder domain."""
    assert not (site / "sitemap.xml").exists() and not (site / "sitemap.xml.gz").exists()
    for name, text in _html(site).items():
        assert 'rel="canonical"' not in text and 'property="og:url"' not in text, name
    placeholder = re.compile(r"https?://(www\.)?example\.(org|com)/docker")  # mkdocs.yml's old site_url
    for path in site.rglob("*"):
        if path.suffix in (".html", ".xml", ".json", ".js", ".css") and path.is_file():
            assert not placeholder.search(path.read_text(encoding="utf-8", errors="replace")), path


def test_without_repo_url_no_edit_or_report_link(site: Path) -> None:
    for name, text in _html(site).items():
        assert 'rel="edit"' not in text and "md-report" not in text and 'class="md-source"' not in text, name


def test_site_url_gives_canonical_links_and_a_sitemap(published: Path) -> None:
    pages = {name: text for name, text in _html(published).items() if name != "404.html"}
    for name, text in pages.items():
        address = SITE_URL + name.removesuffix("index.html")
        assert f'<link rel="canonical" href="{address}">' in text, name
        assert f'<meta property="og:url" content="{address}">' in text, name
    sitemap = (published / "sitemap.xml").read_text(encoding="utf-8")
    listed = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert sorted(listed) == sorted(SITE_URL + n.removesuffix("index.html") for n in pages)
    assert "example.org" not in sitemap


def test_repo_url_gives_edit_and_report_links(published: Path, config: Settings) -> None:
    for name, text in _html(published).items():
        if name == "404.html":
            assert 'rel="edit"' not in text and "md-report" not in text
            continue
        source = name.removesuffix("index.html").rstrip("/") or "index"
        source += "/index.md" if (config.docs_dir / source / "index.md").is_file() else ".md"
        edit = f"{REPO_URL}/edit/main/docs/{source}"
        assert f'href="{edit}" title="编辑此页"' in text, name  # Material's button above the page
        report = re.search(r'<p class="md-report">.*?<a href="([^"]+)"[^>]*>报告问题</a>.*?href="([^"]+)"', text, re.S)
        assert report, f"{name}: no 报告问题 line"
        assert report.group(1).startswith(f"{REPO_URL}/issues/new?title=") and report.group(2) == edit, name
        # The repository link in the header, without Material's component that asks the host's API for stars.
        assert f'<a href="{REPO_URL}" title="前往仓库" class="md-source">' in text, name
        assert 'data-md-component="source"' not in text, name


def test_every_page_states_the_licences(site: Path) -> None:
    for name, text in _html(site).items():
        footer = text.split('class="md-copyright"', 1)[-1]
        assert "CC BY-SA 4.0" in footer and "MIT" in footer, name
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in licence and "MIT License" in licence and (ROOT / "LICENSES" / "CC-BY-SA-4.0.txt").is_file()
