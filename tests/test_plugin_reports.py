"""What the drift check leaves for review (no Docker: recordings are written directly, and a fake session stands
in for the lab): a drifted block's obtained transcript beside its recording, removed once the block passes again;
and after a run over the whole docs folder, the recordings that no page uses."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

import pytest

from docexec import Block, Command, CommandRecord, Page, Project, load_config
from docexec.run.runner import Result
from docexec.store import recording

from .test_plugin import project  # noqa: F401  (the fixture)

PAGES = {"a.md": '# a\n\n```console exec="docker" id="one"\n$ docker network ls -q\n$ docker ps -q\n```\n',
         "b.md": '# b\n\n```console exec="docker" id="two"\n$ docker volume ls -q\n```\n'}
RECORDED = {"docker network ls -q": "net\n", "docker ps -q": "box\n", "docker volume ls -q": "vol\n"}


@pytest.fixture
def book(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:  # noqa: F811
    """test_plugin's throwaway project, with two pages of its own, recorded."""
    pytester = project
    (pytester.path / "docs" / "t.md").unlink()
    for name, text in PAGES.items():
        (pytester.path / "docs" / name).write_text(text)
    config = load_config(pytester.path)
    book = Project(config, mode="offline")
    for page in book.pages():
        results = {b.id: [CommandRecord(c.text, RECORDED[c.text], 0, 0.1) for c in b.commands] for b in page.executed}
        recording.write(book.engine.snippets_dir, page, book.digest(page), results, {"engine": "20.10.24"},
                        "2026-11-28T00:00:00Z", book.context_digest(page))
    monkeypatch.setenv("DOCEXEC_LAB", "no")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent")
    monkeypatch.delenv("CI", raising=False)
    return pytester


def test_unused_recordings_fail_a_run_over_the_whole_docs_folder(book: pytest.Pytester) -> None:
    book.runpytest("docs").assert_outcomes(passed=3, deselected=3)
    snippets = book.path / "snippets"
    (snippets / "gone").mkdir()
    (snippets / "gone" / "_page.json").write_text("{}")
    (snippets / "gone" / "old.txt").write_text("$ docker ps\n")
    (snippets / "a" / "removed-block.txt").write_text("$ docker ps\n")
    (snippets / "a" / "one.obtained").write_text("$ docker ps\n")  # the drift check's own, for review
    result = book.runpytest("docs")
    result.assert_outcomes(passed=2, failed=1, deselected=3)
    result.stdout.fnmatch_lines(["*recordings that no page uses*: snippets/a/removed-block.txt, snippets/gone/"])
    assert "one.obtained" not in result.stdout.str()
    book.runpytest("docs/a.md").assert_outcomes(passed=1, deselected=2)  # a partial run reports nothing


class FakeSession:
    outputs: ClassVar[dict[str, str]] = {}
    terminal: ClassVar[Exception | None] = None  # raised by a terminal session's command: its terminal failed
    ran: ClassVar[list[str]] = []

    def run(self, block: Block, command: Command, *, check: bool = True) -> Result:
        self.ran.append(command.text)
        if block.kind == "session" and self.terminal is not None:
            raise self.terminal
        return Result(self.outputs.get(command.text, RECORDED.get(command.text, "")), 0, 0.1)


def use_fake_session(monkeypatch: pytest.MonkeyPatch) -> None:
    from docexec.drift.variants import Variant

    @contextmanager
    def session(self: Project, page: Page, progress: object = None) -> Iterator[FakeSession]:
        yield FakeSession()

    monkeypatch.setattr(Project, "session", session)
    monkeypatch.setattr(Variant, "ok", lambda self: True)
    monkeypatch.setattr(FakeSession, "ran", [])


def test_a_drifted_block_leaves_its_obtained_transcript(book: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_session(monkeypatch)
    monkeypatch.setattr(FakeSession, "outputs", {"docker network ls -q": "net\nnew-net\n"})
    result = book.runpytest("docs")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*docs/a.md:4: output differs from the recording*", "+new-net",
                                 "obtained output of block one, for review: snippets/a/one.obtained"])
    obtained = book.path / "snippets" / "a" / "one.obtained"
    assert obtained.read_text() == "$ docker network ls -q\nnet\nnew-net\n$ docker ps -q\nbox\n"
    monkeypatch.setattr(FakeSession, "outputs", {})
    book.runpytest("docs").assert_outcomes(passed=6)
    assert not obtained.exists(), "the block passes again: its obtained transcript is removed"


def test_a_terminal_that_fails_to_open_is_not_tried_again_by_the_pages_later_commands(
        book: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session block whose terminal cannot be opened (no pseudo-terminal left: an OSError, not a PageError) is
    tried once: the page's later command items fail at once, naming that first failure."""
    (book.path / "docs" / "s.md").write_text(
        '# s\n\n```console exec="session" id="s"\n$ docker run -it --name term busybox sh\n> exit\n```\n\n'
        '```console exec="docker" id="d"\n$ docker ps -q\n$ docker volume ls -q\n```\n')
    use_fake_session(monkeypatch)
    monkeypatch.setattr(FakeSession, "terminal", OSError(errno.ENOSPC, "out of pseudo-terminals"))
    result = book.runpytest("docs/s.md", "-k", "not recording")
    result.assert_outcomes(failed=3, deselected=1)
    assert FakeSession.ran == ["docker run -it --name term busybox sh"], "the terminal was tried again"
    later = [line for line in result.stdout.lines if line.startswith("docs/s.md:4: ")]
    assert later == ["docs/s.md:4: OSError: [Errno 28] out of pseudo-terminals"] * 2, result.stdout.str()
    monkeypatch.setattr(FakeSession, "ran", [])
    book.runpytest("docs/s.md", "-k", "d-").assert_outcomes(failed=2, deselected=2)  # the session: caught up on
    assert FakeSession.ran == ["docker run -it --name term busybox sh"], "the terminal was tried again"
