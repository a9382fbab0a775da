"""Convert a page as the site does, without MkDocs: Python-Markdown with SuperFences and the exec blocks' fence."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path
from typing import Any

import markdown
import yaml

from docexec import CommandRecord, EngineSettings, Project, Rendered, load_config, parse_page
from docexec.render.fence import ExecFence
from docexec.render.wording import Labels
from docexec.store import recording

ROOT = Path(__file__).resolve().parent.parent

EXTENSIONS = ["admonition", "attr_list", "md_in_html", "pymdownx.details", "pymdownx.superfences",
              "pymdownx.tabbed"]


def convert(source: str, rendered: Rendered, fence: ExecFence | None = None,
            languages: tuple[str, ...] = ("console",)) -> str:
    """The page's HTML with every exec block's transcript; AssertionError if a shown block did not become one.
    `languages`: those of the page's exec fences (the plugin registers each it meets)."""
    fence = fence or ExecFence()
    fence.start("p.md", rendered)
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs={
        "pymdownx.superfences": {"custom_fences": [fence.entry(language) for language in languages]},
        "pymdownx.tabbed": {"alternate_style": True}})
    html, lost = fence.finish(md.convert(rendered.with_note(source)))
    assert not lost, f"not rendered as transcripts: {lost}"
    return html


class _AnyTags(yaml.SafeLoader):
    """mkdocs.yml's !ENV and !!python tags read as plain values."""


_AnyTags.add_multi_constructor("", lambda loader, suffix, node: None)
_AnyTags.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


@functools.cache
def book_labels() -> Labels:
    """The labels this book's mkdocs.yml gives the docexec plugin (its Chinese words)."""
    config: dict[str, Any] = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_AnyTags)
    (options,) = [p["docexec"] for p in config["plugins"] if isinstance(p, dict) and "docexec" in p]
    return Labels(**options["labels"])


def throwaway_site(folder: Path, page: str, mkdocs_yml: str,
                   outputs: dict[str, list[CommandRecord]] | None = None, *, pyproject: str = "",
                   engine: tuple[str, str] = ("", "20.10.24")) -> Path:
    """A MkDocs project in `folder` with one page (docs/index.md) and its recording written directly (no Docker):
    `outputs` by block id, default "output of ID" for each command. `pyproject`: its pyproject.toml (default: the
    lesson images and one engine); `engine`: the book's engine the recording is of (default its first) and the
    version it says."""
    (folder / "pyproject.toml").write_text(pyproject or textwrap.dedent(f'''
        [tool.docexec]
        images_dir = "{ROOT / "images"}"
        workdir = "{folder / "work"}"
        '''))
    (folder / "mkdocs.yml").write_text(textwrap.dedent(mkdocs_yml))
    (folder / "docs").mkdir()
    (folder / "docs" / "index.md").write_text(page)
    config = load_config(folder)
    name, version = engine
    engine_settings = EngineSettings.of(config.engine_spec(name)) if name else None
    parsed = parse_page("index.md", page)
    project = Project(config, engine_settings, mode="offline")
    results = outputs or {b.id: [CommandRecord(c.text, f"output of {b.id}\n", 0, 0.1) for c in b.commands]
                          for b in parsed.blocks}
    recording.write(project.engine.snippets_dir, parsed, project.digest(parsed), results, {"engine": version},
                    "2026-11-28T00:00:00Z", project.context_digest(parsed))
    return folder
