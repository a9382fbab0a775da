"""The drift check of a topology block, without Docker (a fake session stands in for the lab, as in
test_plugin_reports): the JSON measured again is compared with ID.json, and a difference fails naming the block's
page and line, with the lines around it that say which interface changed."""

from __future__ import annotations

import pytest

from docexec import CommandRecord, Project, load_config
from docexec.run.topology import build, dumps
from docexec.store import recording

from .test_plugin import project  # noqa: F401  (the fixture book needs)
from .test_plugin_reports import RECORDED, FakeSession, book, use_fake_session  # noqa: F401
from .test_topology import PAGE, raw


def test_a_changed_topology_fails_the_drift_check_naming_page_and_line(
        book: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    (book.path / "docs" / "t.md").write_text(PAGE)
    config = load_config(book.path)
    book_project = Project(config, mode="offline")
    page = book_project.load_page("t.md")
    recorded = dumps(build(raw("veth"), lan=False))
    results = {"up": [CommandRecord(page.blocks[0].commands[0].text, "f00\n", 0, 0.3)],
               "net": [CommandRecord("topology", recorded, 0, 0.04)]}
    recording.write(book_project.engine.snippets_dir, page, book_project.digest(page), results, {"engine": "20.10.24"},
                    "2026-11-28T00:00:00Z", book_project.context_digest(page))
    use_fake_session(monkeypatch)
    monkeypatch.setitem(RECORDED, page.blocks[0].commands[0].text, "f00\n")
    monkeypatch.setattr(FakeSession, "outputs", {"topology": recorded})
    book.runpytest("docs/t.md").assert_outcomes(passed=3)
    monkeypatch.setattr(FakeSession, "outputs", {"topology": recorded.replace("172.17.0.2/16", "172.17.0.9/16", 1)})
    result = book.runpytest("docs/t.md")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*docs/t.md:7: output differs from the recording*", "*snippets/t/net.json:1*",
                                 '-*"172.17.0.2/16"', '+*"172.17.0.9/16"'])
    assert '"name": "eth0"' in result.stdout.str(), "the diff shows which interface"
