"""A block limited to some engines of the book (engines="28.5"): read and checked with the page, run, recorded
and drift-checked only on those engines (not by the drift check's other CLIs), shown in their tabs, with a note in
the others'; the lint lets it use what its engines' CLIs have, or show on purpose where the older one stops."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from docexec import (
    CommandRecord,
    DocexecError,
    EngineSettings,
    PageError,
    PageRecording,
    Project,
    RecordingStore,
    load_config,
    parse_page,
)
from docexec.core.config import RunContext, Settings
from docexec.drift.pagerun import seen_by
from docexec.drift.variants import Variant
from docexec.policy.check import Refused, check_static
from docexec.render.html import EngineRecording, render_engines
from docexec.run.runner import Session
from docexec.store.store import NewRecording

from .rendering import book_labels
from .test_session_local import LocalBackend

ROOT = Path(__file__).resolve().parent.parent
BOOK = load_config(ROOT)


def book(tmp_path: Path, pages: dict[str, str], *, versions: bool = True) -> Settings:
    """A throwaway book with the two engines; `versions`: pyproject.toml says which CLI records on each."""
    old, new = ('cli_version = "20.10"', 'cli_version = "28.5"') if versions else ("", "")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(f'''
        [tool.docexec]
        images_dir = "{ROOT / "images"}"
        workdir = "{tmp_path / "work"}"
        [[tool.docexec.engines]]
        name = "20.10"
        {old}
        [[tool.docexec.engines]]
        name = "28.5"
        {new}
        snippets_dir = "snippets/_engines/28.5"
        '''))
    (tmp_path / "docs").mkdir(exist_ok=True)
    for name, text in pages.items():
        (tmp_path / "docs" / name).write_text(text, encoding="utf-8")
    return load_config(tmp_path)


def block(options: str, command: str = "docker network ls -q", exec_kind: str = "docker") -> str:
    return f'```console exec="{exec_kind}" id="b" {options}\n$ {command}\n```\n'


TWO = ('# t\n\n' + block("", "echo both").replace('id="b"', 'id="a"').replace('"docker"', '"host"')
       + "\n" + block('engines="28.5"', "echo new", "host") + "\n"
       + block('engines="20.10"', "echo old", "host").replace('id="b"', 'id="c"'))


# ----------------------------------------------------------------------------------------------------------------
# reading the option


@pytest.mark.parametrize("written, engines", [
    ('engines="28.5"', ("28.5",)),
    ('engines="20.10, 28.5"', ("20.10", "28.5")),
    ('engines=" 20.10 28.5 "', ("20.10", "28.5")),
    ("", None),
])
def test_the_option_names_engines_separated_by_spaces_or_commas(written: str, engines: tuple[str, ...]) -> None:
    assert parse_page("p.md", block(written)).blocks[0].engines == engines


@pytest.mark.parametrize("written, message", [
    ('engines=""', r'p.md:1: engines="" must name engines of the book'),
    ('engines=" , "', r'p.md:1: engines=" , " must name engines of the book'),
    ('engines="28.5/x"', r'p.md:1: engines="28.5/x" must name engines'),
    ('engines="28.5 28.5"', r'p.md:1: engines="28.5 28.5" names an engine twice'),
    ('engine="28.5"', r"unknown block option 'engine' \(did you mean 'engines'\?\)"),
    ('engines="28.5" run="no" reason="x"', r'p.md:1: engines="..." says where a block runs: a block with run="no"'),
])
def test_a_bad_engines_option_names_the_line(written: str, message: str) -> None:
    with pytest.raises(PageError, match=message):
        parse_page("p.md", block(written))


def test_the_engines_are_part_of_the_blocks_key_only_when_given() -> None:
    plain, limited = (parse_page("p.md", block(o)).blocks[0] for o in ("", 'engines="28.5"'))
    assert "engines" not in plain.key(), "the keys of every other block (and so every recording) stay as they were"
    assert limited.key()["engines"] == ["28.5"] and limited.digest() != plain.digest()


def test_an_engine_the_book_does_not_have_is_refused_where_its_engines_are_known(tmp_path: Path) -> None:
    config = book(tmp_path, {"typo.md": "# t\n\n" + block('engines="28.6"'),
                             "old.md": '---\nengines: ["20.10"]\n---\n\n# t\n\n' + block('engines="28.5"')})
    project = Project(config)
    with pytest.raises(PageError, match=r"docs/typo.md:3: engines=\"28.6\": '28.6' is not an engine of this book "
                                        r"\(20.10, 28.5; see pyproject.toml\)"):
        project.load_page("typo.md")
    with pytest.raises(PageError, match=r"docs/old.md:7: engines=\"28.5\": the page runs only on 20.10"):
        project.load_page("old.md")



def test_a_page_whose_every_block_is_for_one_engine_says_so_in_its_front_matter(tmp_path: Path) -> None:
    project = Project(book(tmp_path, {"p.md": "# t\n\n" + block('engines="28.5"'),
                                      "ok.md": '---\nengines: ["28.5"]\n---\n\n# t\n\n' + block('engines="28.5"')}))
    with pytest.raises(PageError, match=r"docs/p.md:3: no block of this page runs on engine 20.10: limit the page"):
        project.load_page("p.md")
    project.load_page("ok.md")


# ----------------------------------------------------------------------------------------------------------------
# the lint: what a block limited to engines may use of their CLIs


IPV4 = "docker network create --ipv4=false --ipv6 --subnet 2001:db8:4::/64 v6only"
PRUNE_ALL = "docker volume prune -a -f --filter label=lesson=prune"


@pytest.mark.parametrize("command", [IPV4, PRUNE_ALL])
@pytest.mark.parametrize("clis, returncode, allowed", [
    ((), 0, False),  # a block for every engine: only what both CLIs have
    ((), 125, False),
    (("28.5",), 0, True),  # every CLI of its engines has it
    (("20.10",), 125, True),  # the old CLI stops with 'unknown flag', and the block shows that on purpose
    (("20.10",), 0, False),
    (("20.10",), 1, False),  # a failure, but not the CLI's for a bad command line
    (("20.10", "28.5"), 0, False),
    (("20.10", "28.5"), 125, False),
    (("28.0",), 0, False),  # older than the CLI the flag table knows has it (28.2)
    (("24.0",), 125, False),  # nor is it known to lack it
    (("",), 0, False),  # an engine whose CLI is not said: fail closed
    (("28.5", ""), 0, False),
])
def test_an_option_only_cli_28_has_is_let_through_only_where_its_engines_show_it(
        command: str, clis: tuple[str, ...], returncode: int, allowed: bool) -> None:
    shell = parse_page("p.md", block("", command)).blocks[0].commands[0].shell
    assert shell is not None
    context = RunContext(Path("/lab"), clis=clis, returncode=returncode)

    def check() -> None:
        check_static(shell, kind="docker", page="p.md", context=context, line=command)
    if allowed:
        check()
    else:
        with pytest.raises(Refused, match=r"exists only in docker CLI 28 and later"):
            check()


def test_the_other_rules_still_hold_in_a_limited_block() -> None:
    command = "docker run --rm --privileged --cpu-count 1 busybox true"
    shell = parse_page("p.md", block("", command)).blocks[0].commands[0].shell
    assert shell is not None
    with pytest.raises(Refused, match="'--privileged' is refused"):
        check_static(shell, kind="docker", page="p.md", context=RunContext(Path("/lab"), clis=("28.5",)),
                     line=command)


def test_the_lint_knows_each_blocks_clis_from_the_books_engines(tmp_path: Path) -> None:
    common = "\n" + block("", "docker ps -q").replace('id="b"', 'id="a"')  # each engine runs a block of the page
    pages = {"new.md": "# t\n\n" + block('engines="28.5"', IPV4) + common,
             "old.md": "# t\n\n" + block('engines="20.10" returncode="125"', IPV4) + common,
             "old-ok.md": "# t\n\n" + block('engines="20.10"', IPV4) + common,
             "both.md": "# t\n\n" + block("", IPV4)}
    project = Project(book(tmp_path, pages))
    project.load_page("new.md")
    project.load_page("old.md")
    for name in ("old-ok.md", "both.md"):
        with pytest.raises(PageError, match=rf"docs/{name}:4: '--ipv4' exists only in docker CLI 28 and later; "
                                            r".* or limit the block to engines whose CLI has it"):
            project.load_page(name)
    (tmp_path / "unsaid").mkdir()
    unsaid = Project(book(tmp_path / "unsaid", pages, versions=False))
    with pytest.raises(PageError, match="exists only in docker CLI 28"):
        unsaid.load_page("new.md")  # no cli_version in pyproject.toml: the CLI is not known to have it


def test_the_books_cli_versions_are_its_pinned_clis() -> None:
    """pyproject.toml's cli_version of each engine is the version of the CLI that records on it: the 28.5
    engine's docker-cli package, and the lab userland's docker.io for the engine that uses the userland's."""
    lock = (ROOT / "src" / "docexec" / "userland" / "userland.lock").read_text(encoding="utf-8")
    for spec in BOOK.engines:
        if spec.cli is None:
            pinned = next(line for line in lock.splitlines() if '"name": "docker.io"' in line)
            assert f'"version": "{spec.cli_version}.' in pinned, spec.name
        else:
            cli = next(p for p in spec.packages if p.name == "docker-cli")
            assert cli.version.startswith(f"{spec.cli_version}."), spec.name


def test_a_bad_cli_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.docexec]\n[[tool.docexec.engines]]\nname = "a"\n'
                                             'cli_version = "28"\n')
    with pytest.raises(DocexecError, match=r"cli_version = \"28\": expected a version such as \"28\.5\""):
        load_config(tmp_path)


# ----------------------------------------------------------------------------------------------------------------
# running, recording and checking on each engine


def test_the_page_as_each_engine_and_cli_sees_it(tmp_path: Path) -> None:
    config = book(tmp_path, {"p.md": TWO})
    old, new = (Project(config, EngineSettings.of(spec)) for spec in config.engines)
    page = old.load_page("p.md")
    assert [b.id for b in page.executed] == ["a", "b", "c"], "as written: every block is checked"
    assert [b.id for b in old.here(page).executed] == ["a", "c"]
    assert [b.id for b in new.here(page).executed] == ["a", "b"]
    # The drift check's other CLI on the first engine runs neither: each shows what one engine's own CLI does.
    other_cli = Project(config, EngineSettings.of(config.engines[0], Path("/x/docker")))
    assert [b.id for b in seen_by(Variant("20.10+cli28.5", other_cli, False), page).executed] == ["a"]
    assert [b.id for b in seen_by(Variant("20.10", old, True), page).executed] == ["a", "c"]


def test_a_block_for_another_engine_changes_nothing_of_this_engines_recording(tmp_path: Path) -> None:
    """Adding (or changing) a block for the other engine leaves this engine's digest, so its recording stays
    current and is not written again."""
    body = "# t\n\n" + block("", "docker ps -q").replace('id="b"', 'id="a"')
    config = book(tmp_path, {"p.md": body})
    old, new = (Project(config, EngineSettings.of(spec)) for spec in config.engines)
    before = old.load_page("p.md")
    saved = old.store.save(old.here(before), NewRecording(old.digest(before), old.context_digest(before),
                                                          {"a": [CommandRecord("docker ps -q", "", 0, 0.1)]},
                                                          {"engine": "20.10.24", "mode": "lab"}))
    assert saved.outcome == "written"
    files = {p: p.read_bytes() for p in old.store.folder("p.md").iterdir()}
    after = old.load_page("p.md", body + "\n" + block('engines="28.5"', IPV4))
    assert old.digest(after) == old.digest(before) and old.status(after) == "current"
    assert new.digest(after) != new.digest(before)
    again = old.store.save(old.here(after), NewRecording(old.digest(after), old.context_digest(after),
                                                         {"a": [CommandRecord("docker ps -q", "", 0, 0.1)]},
                                                         {"engine": "20.10.24", "mode": "lab"}))
    assert again.outcome == "unchanged" and again.changed == ()
    assert {p: p.read_bytes() for p in old.store.folder("p.md").iterdir()} == files
    assert old.ensure(after).status == "current"
    assert not RecordingStore.for_engine(config, old.engine).unused([old.here(after)])


def test_a_session_runs_only_the_blocks_for_its_engine(tmp_path: Path) -> None:
    config = book(tmp_path, {"p.md": TWO})
    page = Project(config).load_page("p.md")
    engine = EngineSettings.of(config.engine_spec("20.10"))
    work = tmp_path / "lab"
    work.mkdir()
    with Session(page, config, engine, LocalBackend(work), notify=lambda m: None) as session:
        outputs = {b.id: [session.run(b, c).output for c in b.commands] for b in session.page.executed}
        assert outputs == {"a": ["both\n"], "c": ["old\n"]}
        new_only = page.blocks[1]
        with pytest.raises(DocexecError, match=r"docs/p.md:7: block b does not run on engine 20.10"):
            session.run(new_only, new_only.commands[0])


# ----------------------------------------------------------------------------------------------------------------
# the page


def _recorded(version: str, output: str | None, code: int = 0) -> PageRecording:
    blocks = {} if output is None else {"b": [CommandRecord("docker ps", output, code, 0.1)]}
    return PageRecording("p.md", "h", "2026-12-07T00:00:00Z", {"engine": f"{version}+dfsg1"}, blocks)


def test_a_block_for_one_engine_has_its_output_there_and_a_note_in_the_other_tab() -> None:
    new, old = _recorded("28.5.2", "f00d\n"), _recorded("20.10.24", None)
    engines = [EngineRecording("Engine 28.5", new, engine="28.5"), EngineRecording("Engine 20.10", old,
                                                                                  engine="20.10")]
    page = parse_page("p.md", block('engines="28.5"', "docker ps"))
    html = render_engines(page.blocks[0], engines, old, labels=book_labels())
    assert html.count('class="tabbed-block"') == 2, "tabs labelled like every other, so a reader's choice holds"
    assert html.index(">Engine 28.5</label>") < html.index(">Engine 20.10</label>")
    new_tab, old_tab = html.split('class="tabbed-block"')[1:]
    assert "f00d" in new_tab and "Docker Engine 28.5.2" in new_tab and "data-copy" in new_tab
    assert "此命令只适用于 Engine 28.5" in old_tab and "data-copy" not in old_tab and "no-copy" in old_tab
    assert "docker ps" in old_tab and "f00d" not in old_tab, "the command as written, for the text around it"
    assert 'id="run-b"' in new_tab and 'id="run-b-engine-20-10"' in old_tab


def test_a_block_showing_the_older_clis_failure_has_it_in_that_tab_only() -> None:
    new, old = _recorded("28.5.2", None), _recorded("20.10.24", "unknown flag: --ipv4\n", 125)
    engines = [EngineRecording("Engine 28.5", new, engine="28.5"), EngineRecording("Engine 20.10", old,
                                                                                  engine="20.10")]
    page = parse_page("p.md", block('engines="20.10" returncode="125"', "docker ps"))
    html = render_engines(page.blocks[0], engines, old, labels=book_labels())
    new_tab, old_tab = html.split('class="tabbed-block"')[1:]
    assert "此命令只适用于 Engine 20.10" in new_tab and "unknown flag" not in new_tab
    assert "unknown flag: --ipv4" in old_tab and "退出码 125" in old_tab


def test_a_limited_block_where_only_its_engines_recorded_needs_no_tabs() -> None:
    new = _recorded("28.5.2", "f00d\n")
    page = parse_page("p.md", block('engines="28.5"', "docker ps"))
    html = render_engines(page.blocks[0], [EngineRecording("Engine 28.5", new, engine="28.5")], new)
    assert "tabbed-set" not in html and "f00d" in html
    # Not recorded yet on its engine: said there, the other tab still has its note.
    old = _recorded("20.10.24", None)
    html = render_engines(page.blocks[0], [EngineRecording("Engine 28.5", _recorded("28.5.2", None), engine="28.5"),
                                           EngineRecording("Engine 20.10", old, engine="20.10")], old)
    assert "No recorded output yet" in html and "This command is only for Engine 28.5" in html


def test_the_book_says_the_note_in_its_language() -> None:
    assert book_labels().only_engines == "此命令只适用于 {engines}"
