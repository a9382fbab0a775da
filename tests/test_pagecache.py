"""The page cache: a warm build parses nothing, and nothing stale or invalid is ever served from it."""

from __future__ import annotations

import dataclasses

import pytest

from docexec.book import pageset as pageset_module
from docexec.book.project import Project
from docexec.core.config import Allowance
from docexec.core.errors import PageError
from tests.conftest import MakeProject

PAGE = '# t\n\n```console exec="docker" id="a"\n$ docker ps\n```\n'


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the page was parsed again")

    monkeypatch.setattr(pageset_module, "parse_page_collecting", fail)


def test_a_second_build_reads_pages_from_the_cache(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_project({"p.md": PAGE})
    first = Project(config, mode="offline")
    page = first.load_page("p.md")
    first.close()
    assert (config.root / ".cache" / "docexec" / "pages.pickle").is_file()
    no_parsing(monkeypatch)
    assert Project(config, mode="offline").load_page("p.md") == page


def test_a_changed_page_or_setting_is_parsed_again(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_project({"p.md": PAGE})
    first = Project(config, mode="offline")
    first.load_page("p.md")
    first.close()
    (config.docs_dir / "p.md").write_text(PAGE.replace("docker ps", "docker ps -a"))
    assert Project(config, mode="offline").load_page("p.md").commands[0][1].text == "docker ps -a"
    other = dataclasses.replace(config, allow=(Allowance("p.md", "x", "y"),))
    no_parsing(monkeypatch)
    with pytest.raises(AssertionError, match="parsed again"):
        Project(other, mode="offline").load_page("p.md")


def test_a_page_with_an_error_is_never_cached(make_project: MakeProject) -> None:
    config = make_project({"p.md": PAGE.replace("docker ps", "docker ps > out")})
    for _ in range(2):
        project = Project(config, mode="offline")
        with pytest.raises(PageError, match="redirections"):
            project.load_page("p.md")
        project.close()


def test_a_corrupt_cache_is_ignored(make_project: MakeProject) -> None:
    config = make_project({"p.md": PAGE})
    cache = config.root / ".cache" / "docexec" / "pages.pickle"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"not a pickle")
    assert Project(config, mode="offline").load_page("p.md").blocks[0].id == "a"


def test_entries_of_other_engine_code_or_settings_are_dropped(make_project: MakeProject) -> None:
    """They can never be hit again; kept, they made every warm build unpickle a cache grown by each change."""
    config = make_project({"p.md": PAGE})
    cache = config.root / ".cache" / "docexec" / "pages.pickle"
    first = Project(config, mode="offline")
    first.load_page("p.md")
    first.close()
    size = cache.stat().st_size
    for n in range(5):  # five other settings, as five edits of the engine would give
        other = Project(dataclasses.replace(config, default_timeout=100.0 + n), mode="offline")
        other.load_page("p.md")
        other.close()
    assert cache.stat().st_size < 2 * size
