"""The engine's page parser (blocks.py, without MkDocs) and the site's renderer (SuperFences with the plugin's
fence) find exactly the same exec blocks, on every page of the book; blocks inside an admonition, a content tab and
a list item render as transcripts, in a real MkDocs build too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from docexec import parse_page, render_page
from docexec.render.fence import ExecFence

from .rendering import ROOT, convert, throwaway_site

FIXTURE = Path(__file__).parent / "fixtures" / "nested.md"
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md") if "assets" not in p.parts)


@pytest.mark.parametrize("path", [*PAGES, FIXTURE.relative_to(ROOT).as_posix()])
def test_the_engine_and_the_site_find_the_same_exec_blocks(path: str) -> None:
    source = (ROOT / path).read_text(encoding="utf-8")
    page = parse_page(path, source)
    fence = ExecFence()
    # Fails on an exec fence the engine did not find; the fences of every language the page's blocks use are
    # registered, as the plugin does (a file block's `dockerfile`, say).
    languages = tuple(dict.fromkeys(["console", *(b.lang for b in page.blocks)]))
    convert(source, render_page(page, None), fence, languages=languages)
    assert fence.formatted == [b.id for b in page.blocks]


def test_the_fixture_has_blocks_in_every_kind_of_container() -> None:
    page = parse_page("nested.md", FIXTURE.read_text(encoding="utf-8"))
    assert [b.id for b in page.blocks] == ["in-tip", "in-tab", "in-list", "in-quote"]


def test_other_console_fences_render_exactly_as_without_the_plugin() -> None:
    import markdown

    source = "# t\n\n```console\n$ docker ps\n```\n\n!!! tip\n\n    ```console title=\"x\"\n    $ ls\n    ```\n"
    plain = markdown.markdown(source, extensions=["admonition", "pymdownx.superfences"])
    assert convert(source, render_page(parse_page("p.md", source), None)) == plain


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return throwaway_site(tmp_path, FIXTURE.read_text(encoding="utf-8"), '''
        site_name: t
        theme: mkdocs
        plugins: [docexec]
        markdown_extensions: [admonition, pymdownx.details, {pymdownx.tabbed: {alternate_style: true}}]
        ''')


def test_blocks_in_an_admonition_a_tab_and_a_list_render_as_transcripts(site: Path) -> None:
    env = {**os.environ, "DOCEXEC_MODE": "offline", "NO_MKDOCS_2_WARNING": "1", "DOCKER_HOST": "unix:///nonexistent"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site / "site")], cwd=site,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    html = (site / "site" / "index.html").read_text(encoding="utf-8")
    for block_id, container in [("in-tip", r'<div class="admonition tip">'), ("in-tab", r'<div class="tabbed-block">'),
                                ("in-list", r"<li>"), ("in-quote", r"<details class=\"note\">")]:
        found = re.search(container + r'(?:(?!</div>\s*</div>\s*</div>).)*?<div class="docexec" id="run-' + block_id
                          + r'".*?<span class="go">output of ' + block_id, html, re.S)
        assert found, f"{block_id} is not a transcript inside {container}"
    shown = re.findall(r"<code>(?:(?!</code>).)*exec=(?:(?!</code>).)*</code>", html, re.S)
    assert len(shown) == 1 and "shown-only" in shown[0], "only the fence inside the ````markdown fence is code"
    assert html.count("exec=") == 1, "no exec fence is shown as text"


def test_an_exec_block_the_site_does_not_render_fails_the_build_naming_its_line(tmp_path: Path) -> None:
    page = '# t\n\nText.\n\n    ```console exec="docker" id="x"\n    $ docker ps\n    ```\n'  # an indented code block
    site = throwaway_site(tmp_path, page, "site_name: t\ntheme: mkdocs\nplugins: [docexec]\n")
    env = {**os.environ, "DOCEXEC_MODE": "offline", "NO_MKDOCS_2_WARNING": "1", "DOCKER_HOST": "unix:///nonexistent"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d", str(site / "site")], cwd=site, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "docs/index.md:5: this exec block did not become a transcript" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
