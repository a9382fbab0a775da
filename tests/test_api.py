"""The public API: what `docexec` itself names (its `__all__`) is what a site, a test or another tool may use, and
it works as its docstring shows. A change to this inventory is a change to the API: make it on purpose."""

from __future__ import annotations

import inspect
import types

import pytest

import docexec
from tests.conftest import MakeProject

API = {
    # settings
    "load_config", "find_root", "Settings", "EngineSettings", "EngineSpec", "RunContext", "Allowance",
    # pages
    "parse_page", "parse_file", "Page", "Block", "Command",
    # a book
    "Project", "Outcome", "MODES",
    # recordings and how they show
    "RecordingStore", "PageRecording", "CommandRecord", "render_page", "Rendered",
    # labs
    "Lab", "LabSettings", "unsupported_reason",
    # errors
    "DocexecError", "NoProject", "PageError", "PageErrors", "Refused", "CommandFailed", "DaemonUnavailable",
    "RefusedToRecord", "RecordingError",
    "__version__",
}

PAGE = '# t\n\n```console exec="docker" id="a"\n$ docker network ls --format "{{.Name}}"\n```\n'


def test_the_inventory() -> None:
    assert set(docexec.__all__) == API
    assert len(docexec.__all__) == len(API), "a name is listed twice"


def test_every_public_name_of_the_package_is_in_the_inventory() -> None:
    """Nothing public by accident: besides __all__, the package holds only its subpackages (the layers)."""
    extra = {name for name, value in vars(docexec).items()
             if not name.startswith("_") and not isinstance(value, types.ModuleType)} - API
    assert not extra


@pytest.mark.parametrize("name", sorted(API - {"__version__", "MODES"}))
def test_each_name_is_the_engines_own_and_documented(name: str) -> None:
    value = getattr(docexec, name)
    assert value.__module__.startswith("docexec."), value.__module__
    assert inspect.getdoc(value), f"docexec.{name} has no docstring"


def test_a_page_through_the_api_as_the_docstring_shows(make_project: MakeProject) -> None:
    settings = make_project({"p.md": PAGE})
    assert docexec.load_config(settings.root) == settings
    with docexec.Project(settings, mode="offline") as project:
        page = project.load_page("p.md")
        assert project.store.load(page) is None  # never recorded
        shown = docexec.render_page(page, None)
    assert isinstance(shown, docexec.Rendered)
    assert [command.text for _, command in page.commands] == ['docker network ls --format "{{.Name}}"']
    assert docexec.parse_page("p.md", PAGE).blocks[0].id == "a"


def test_a_refused_command_is_a_page_error_with_its_page_and_line(make_project: MakeProject) -> None:
    settings = make_project({"p.md": PAGE.replace("network ls", "run --privileged busybox")})
    with docexec.Project(settings, mode="offline") as project, pytest.raises(docexec.PageError) as refused:
        project.load_page("p.md")
    assert (refused.value.page, refused.value.line) == ("docs/p.md", 4)
    assert isinstance(refused.value, docexec.DocexecError)


def test_outside_a_project_the_error_says_so(tmp_path: object) -> None:
    with pytest.raises(docexec.NoProject, match=r"no pyproject.toml with a \[tool.docexec\] table"):
        docexec.find_root(tmp_path)  # type: ignore[arg-type]
