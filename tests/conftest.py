from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from docexec.config import Config, load_config
from docexec.errors import DaemonUnavailable

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(ROOT)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def env_for_throwaway_recording() -> dict[str, str]:
    """The environment for `docexec record` on a throwaway project in a temp folder. CI=true refuses recording
    to protect the repository's reviewed recordings; these tests record nothing of the repository."""
    return {k: v for k, v in os.environ.items() if k != "CI"}


@pytest.fixture(scope="session")
def daemon():  # type: ignore[no-untyped-def]
    """The real Docker daemon; skipped on a laptop without one, a failure when CI=true."""
    from docexec.daemon import Daemon

    try:
        d = Daemon.connect()
    except DaemonUnavailable as exc:
        if in_ci():
            pytest.fail(f"CI=true and {exc}")
        pytest.skip(str(exc))
    yield d
    d.close()


@pytest.fixture(autouse=True)
def _close_projects(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Close every Project a test made (each holds a Docker client), so no socket is left to the collector."""
    from docexec.project import Project

    made: list[Project] = []
    original = Project.__init__

    def tracking(self: Project, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(Project, "__init__", tracking)
    yield
    for project in made:
        project.close()


@pytest.fixture
def make_project(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A throwaway docexec project with the repository's lesson image and the given pages."""

    def make(pages: dict[str, str], extra_config: str = "") -> Config:
        (tmp_path / "docs").mkdir(exist_ok=True)
        (tmp_path / "pyproject.toml").write_text(
            f'[tool.docexec]\nimages_dir = "{ROOT / "images"}"\nworkdir = "{tmp_path / "work"}"\n{extra_config}')
        for name, text in pages.items():
            path = tmp_path / "docs" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return load_config(tmp_path)

    return make
