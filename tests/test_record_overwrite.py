"""`record` always overwrites the recording there: broken, hand-edited or unreadable (no Docker: a fake session
stands in for the lab, so only the decisions of Project.record are tested)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from docexec import recording
from docexec.blocks import Block, Command, Page
from docexec.config import Config
from docexec.project import Project
from docexec.runner import Result

PAGE = '# t\n\n```console exec="docker" id="a"\n$ docker ps\n$ docker network ls\n```\n'
ENGINE = {"engine": "20.10.24", "client": "20.10.24", "mode": "lab"}


class FakeSession:
    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs

    def run(self, block: Block, command: Command, *, check: bool = True) -> Result:
        return Result(self.outputs[command.text], block.returncode, 0.1)

    def engine(self) -> dict[str, str]:
        return dict(ENGINE)


OUTPUTS = {"docker ps": "CONTAINER ID   IMAGE\n", "docker network ls": "NETWORK ID     NAME\n3f2a1b4c5d6e   bridge\n"}


@pytest.fixture
def recorded(make_project: Callable[..., Config], monkeypatch: pytest.MonkeyPatch) -> tuple[Project, Page, Path]:
    config = make_project({"t.md": PAGE})

    @contextmanager
    def session(self: Project, page: Page, progress: object = None) -> Iterator[FakeSession]:
        yield FakeSession(OUTPUTS)

    monkeypatch.setattr(Project, "session", session)
    project = Project(config, mode="force", notify=lambda m: None)
    page = project.load_page("t.md")
    project.record(page)
    return project, page, recording.page_folder(config.snippets_dir, "t.md")


def test_record_overwrites_a_transcript_edited_out_of_shape(recorded: tuple[Project, Page, Path]) -> None:
    project, page, folder = recorded
    good = (folder / "a.txt").read_text()
    (folder / "a.txt").write_text("$ docker ps\nsomething I typed\nand more\n")
    project.record(page)
    assert (folder / "a.txt").read_text() == good
    assert recording.load(project.config.snippets_dir, page) is not None


def test_record_overwrites_unreadable_metadata(recorded: tuple[Project, Page, Path]) -> None:
    project, page, folder = recorded
    (folder / recording.META).write_text("{not json")
    outcome = project.record(page)
    assert outcome.status == "current" and project.status(page) == "current"


def test_record_overwrites_metadata_without_blocks(recorded: tuple[Project, Page, Path]) -> None:
    project, page, folder = recorded
    (folder / recording.META).write_text('{"format": 1, "hash": "x"}')
    project.record(page)
    assert project.status(page) == "current"



def test_record_replaces_a_hand_edit_that_kept_the_shape(recorded: tuple[Project, Page, Path]) -> None:
    """An edit that only touched a volatile field (an ID) would pass for "only volatile fields moved": it is
    rewritten all the same, since it was never a real output."""
    project, page, folder = recorded
    good = (folder / "a.txt").read_text()
    (folder / "a.txt").write_text(good.replace("3f2a1b4c5d6e", "000000000000"))
    project.record(page)
    assert (folder / "a.txt").read_text() == good
