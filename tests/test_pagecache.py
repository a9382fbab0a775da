"""The page cache: a warm build parses nothing, and nothing stale or invalid is ever served from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from docexec import Allowance, EngineSettings, PageError, Project, RunContext
from docexec.book import pageset as pageset_module
from docexec.policy.docker_flags import OPTIONS
from docexec.store.pagecache import PACKAGE, PageCache, package_files
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


def test_a_changed_option_table_is_checked_again(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> None:
    """The docker CLI's option table (docker_flags.json) is an input of the lint like the page and the settings:
    once --detach is gone from it, a page that used it is checked again and refused, not served from the cache."""
    config = make_project({"p.md": PAGE.replace("docker ps", "docker run --detach --name web busybox sleep 60")})
    first = Project(config, mode="offline")
    first.load_page("p.md")
    first.close()
    monkeypatch.delitem(OPTIONS["container run"], "--detach")
    with pytest.raises(PageError, match="--detach"):
        Project(config, mode="offline").load_page("p.md")


def test_the_engine_code_in_the_key_is_the_whole_package() -> None:
    """Every module and data file of docexec counts, not only the page cache's own package: a changed rule in
    policy/, parser in page/ or option table must be a miss."""
    names = {p.relative_to(PACKAGE).as_posix() for p in package_files()}
    assert {"policy/docker_flags.json", "policy/check.py", "page/model.py", "book/pageset.py"} <= names
    assert not any("__pycache__" in name for name in names)


def test_every_field_of_the_settings_and_the_run_context_is_in_the_key(make_project: MakeProject,
                                                                       tmp_path: Path) -> None:
    """The key walks them field by field: a field added to either counts without being named anywhere."""
    config = make_project({})
    context = config.run_context()
    changed: Any = "changed"

    def key(*inputs: object) -> str:
        return PageCache(tmp_path / "pages.pickle", *inputs).key("p.md", PAGE)

    same = key(config, context)
    assert key(config, context) == same
    for field in dataclasses.fields(config):
        assert key(dataclasses.replace(config, **{field.name: changed}), context) != same, field.name
    for field in dataclasses.fields(RunContext):
        assert key(config, dataclasses.replace(context, **{field.name: changed})) != same, field.name


def test_the_engines_of_a_book_share_its_cached_pages(make_project: MakeProject,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A page is parsed and checked the same whatever engine and CLI it then runs on: the engine is no input."""
    config = make_project({"p.md": PAGE})
    first = Project(config, mode="offline")
    page = first.load_page("p.md")
    first.close()
    no_parsing(monkeypatch)
    other = EngineSettings.of(config.engines[0], Path("/x/docker"))
    assert Project(config, other, mode="offline").load_page("p.md") == page
