"""`record` always overwrites the recording there: broken, hand-edited or unreadable; and keeps it, byte for byte,
when only volatile fields or facts of the machine moved (no Docker: a fake session stands in for the lab, so only
the decisions of Project.record and its RecordingStore are tested)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import docker.errors
import pytest

from docexec import Block, Command, Page, Project, Settings
from docexec.cli import record as record_command
from docexec.run.runner import Result
from docexec.store import recording

PAGE = '# t\n\n```console exec="docker" id="a"\n$ docker ps\n$ docker network ls\n```\n'
ENGINE = {"engine": "20.10.24+dfsg1", "api": "1.41", "kernel": "6.18.44-fc-v669",
          "os": "Debian GNU/Linux 12 (bookworm)", "storage_driver": "overlay2", "cgroup": "1",
          "client": "20.10.24+dfsg1", "mode": "lab"}


class FakeSession:
    engine_facts = ENGINE  # what engine() answers: a test changes it to play another machine

    def __init__(self, outputs: dict[str, str], page: Page) -> None:
        self.outputs, self.page = outputs, page  # the page as its engine sees it (Session.page): here all of it

    def run(self, block: Block, command: Command, *, check: bool = True) -> Result:
        return Result(self.outputs[command.text], block.returncode, 0.1)

    def engine(self) -> dict[str, str]:
        return dict(self.engine_facts)


OUTPUTS = {"docker ps": "CONTAINER ID   IMAGE\n", "docker network ls": "NETWORK ID     NAME\n3f2a1b4c5d6e   bridge\n"}


@pytest.fixture
def recorded(make_project: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> tuple[Project, Page, Path]:
    config = make_project({"t.md": PAGE})

    @contextmanager
    def session(self: Project, page: Page, progress: object = None) -> Iterator[FakeSession]:
        yield FakeSession(OUTPUTS, page)

    monkeypatch.setattr(Project, "session", session)
    project = Project(config, mode="force", notify=lambda m: None)
    page = project.load_page("t.md")
    project.record(page)
    return project, page, project.store.folder("t.md")


def test_record_overwrites_a_transcript_edited_out_of_shape(recorded: tuple[Project, Page, Path]) -> None:
    project, page, folder = recorded
    good = (folder / "a.txt").read_text()
    (folder / "a.txt").write_text("$ docker ps\nsomething I typed\nand more\n")
    project.record(page)
    assert (folder / "a.txt").read_text() == good
    assert project.store.load(page) is not None


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


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("other_machine", [
    {"kernel": "6.18.44-fc-v1272"},
    {"kernel": "6.1.0-28-amd64", "storage_driver": "vfs", "cgroup": "2"},
])
def test_record_on_another_machine_of_the_same_kind_changes_no_file(
        recorded: tuple[Project, Page, Path], monkeypatch: pytest.MonkeyPatch, other_machine: dict[str, str]) -> None:
    """Re-recording where only the kernel's build string (or the machine's storage driver, cgroup version) differs,
    with the same outputs up to volatile fields: every file stays byte for byte, the engine facts included."""
    project, page, folder = recorded
    before = _files(folder)
    monkeypatch.setattr(FakeSession, "engine_facts", {**ENGINE, **other_machine})
    monkeypatch.setitem(OUTPUTS, "docker network ls", "NETWORK ID     NAME\n9e8d7c6b5a41   bridge\n")
    outcome = project.record(page)
    assert outcome.changed == () and _files(folder) == before
    assert outcome.saved is not None and outcome.saved.outcome == "unchanged" and outcome.saved.kept
    assert outcome.stored is not None and outcome.stored.engine == ENGINE


@pytest.mark.parametrize("other_engine", [{"engine": "20.10.25+dfsg1"}, {"api": "1.43"},
                                          {"os": "Debian GNU/Linux 13 (trixie)"}, {"client": "28.2.2"},
                                          {"mode": "shared"}])
def test_record_on_another_engine_rewrites_the_metadata(
        recorded: tuple[Project, Page, Path], monkeypatch: pytest.MonkeyPatch, other_engine: dict[str, str]) -> None:
    """The same outputs from another engine, CLI, OS or mode are a new recording: _page.json says what made it."""
    project, page, folder = recorded
    monkeypatch.setattr(FakeSession, "engine_facts", {**ENGINE, "kernel": "6.18.44-fc-v1272", **other_engine})
    outcome = project.record(page)
    assert folder / recording.META in outcome.changed
    assert outcome.saved is not None and outcome.saved.outcome == "written"
    assert outcome.stored is not None and outcome.stored.engine == {**ENGINE, "kernel": "6.18.44-fc-v1272",
                                                                    **other_engine}


def test_an_unexpected_error_of_one_page_is_reported_and_the_others_are_recorded(
        make_project: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`docexec record`: an error that is not docexec's (the SDK's, loading an image into a page's lab) is that
    page's failure, reported with the page's name; the pages after it are still recorded and reported, the summary
    is printed and the exit code says something failed."""
    monkeypatch.delenv("CI", raising=False)  # `docexec record` is refused in CI: here its report loop is tested
    config = make_project({"a.md": PAGE, "b.md": PAGE, "c.md": PAGE})

    @contextmanager
    def session(self: Project, page: Page, progress: object = None) -> Iterator[FakeSession]:
        if page.name == "b.md":
            raise docker.errors.APIError("500 Server Error: injected while loading busybox")
        yield FakeSession(OUTPUTS, page)

    monkeypatch.setattr(Project, "session", session)
    monkeypatch.setattr(Project, "hosts_mode", lambda self: "lab")
    code = record_command.record(config, argparse.Namespace(engine=[], jobs=1, pages=[]))
    out = capsys.readouterr().out
    assert code == 1, out
    assert "failed    docs/b.md: APIError: 500 Server Error: injected while loading busybox" in out, out
    assert "changed   c.md" in out, out
    assert "recorded 2 of 3 page(s)" in out, out
    project = Project(config)
    assert project.store.load(project.load_page("c.md")) is not None
