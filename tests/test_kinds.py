"""Exec kinds are objects registered in one place (page.kinds): a new kind is one module. This one is defined here,
in the test, and nowhere else: a page using it parses, lints, runs through the real Session and Commands (on the
stand-in backend of test_session_local) and renders, and an unknown exec= still names the registered kinds."""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from docexec import Block, Command, CommandRecord, PageError, Project, Refused, parse_page, render_page
from docexec.cli.main import main
from docexec.kinds.base import Kind
from docexec.page import kinds
from docexec.policy.check import DockerCall, Rules
from docexec.run.runner import Commands, Result, Session
from docexec.store.store import NewRecording
from tests.conftest import MakeProject
from tests.rendering import convert
from tests.test_session_local import LocalBackend


class Echo(Kind):
    """exec="echo": each command "runs" by showing its own text, with exit code 0. It runs no program, so any may
    be written, but `rm` (its own rule); it shows, copies and is named like a docker block (the defaults)."""

    name = "echo"

    def check(self, program: str, rules: Rules) -> DockerCall | None:
        if program == "rm":
            raise Refused("'rm' is not echoed here")
        return None

    def run(self, commands: Commands, block: Block, command: Command, timeout: float) -> Result:
        return Result(command.text + "\n", 0, 0.0)


@pytest.fixture
def echo() -> Iterator[Echo]:
    """The echo kind, registered for the test only."""
    kind = kinds.register(Echo())
    try:
        yield kind
    finally:
        kinds.unregister("echo")


PAGE = """\
# Echo

```console exec="echo" id="hello" title="Echoed"
$ ip link show "<lo>"
$ docker ps
```

```console exec="docker" id="beside"
$ docker ps
```
"""


def test_a_page_of_a_kind_defined_in_one_module_parses_lints_runs_and_renders(
        echo: Echo, make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = make_project({"echo.md": PAGE})
    monkeypatch.chdir(config.root)
    assert main(["lint"]) == 0  # `docexec lint`, in this process (where the kind is registered)
    assert "1 pages, 2 blocks, 3 commands: ok" in capsys.readouterr().out
    project = Project(config, mode="offline")
    try:
        page = project.load_page("echo.md")
        block = page.blocks[0]
        assert (block.kind, block.exec_kind, block.title) == ("echo", echo, "Echoed")
        assert [c.text for c in block.commands] == ['ip link show "<lo>"', "docker ps"]

        with Session(page, config, project.engine, LocalBackend(tmp_path), notify=lambda m: None) as session:
            outputs = [session.run(block, command).output for command in block.commands]
        assert outputs == ['ip link show "<lo>"\n', "docker ps\n"]

        results = {block.id: [CommandRecord(c.text, out, 0, 0.0) for c, out in zip(block.commands, outputs,
                                                                                    strict=True)],
                   "beside": [CommandRecord("docker ps", "CONTAINER ID\n", 0, 0.1)]}
        project.store.save(page, NewRecording(project.digest(page), project.context_digest(page), results,
                                              {"engine": "28.5.0"}))
        assert project.status(page) == "current"
        assert not project.store.cast_path(page.name, block.id).exists(), "no replay: the kind keeps none"
        html = convert(PAGE, render_page(page, project.store.load(page)))
    finally:
        project.close()
    shown = "ip link show &quot;&lt;lo&gt;&quot;"
    assert f'<span class="docexec-cmd">{shown}</span>\n<span class="go">{shown}\n</span>' in html
    assert f'class="docexec" id="run-hello" data-copy="{shown}\ndocker ps"' in html, \
        "copied as written, no sudo: like a docker block"
    assert html.count('<p class="docexec-source">Real output · ') == 2 and "Real terminal session" not in html


def test_a_kinds_own_rules_are_reported_with_their_page_and_line(
        echo: Echo, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = make_project({"bad.md": '```console exec="echo" id="a" prompt="#"\n$ ls\n```\n\n'
                                     '```console exec="echo" id="b"\n$ ls\n$ rm -rf x\n$ echo $(rm y)\n```\n'})
    monkeypatch.chdir(config.root)
    assert main(["lint"]) == 1
    assert [line for line in capsys.readouterr().out.splitlines() if line.startswith("error:")] == [
        'error: docs/bad.md:1: prompt="..." only goes with exec="session" (the prompt a typed line waits for)',
        "error: docs/bad.md:7: 'rm' is not echoed here (in «rm -rf x»)",
        # a $(...) is checked with the docker kind's rules (Checks.substitutions)
        "error: docs/bad.md:8: 'rm' is not docker: put host commands in a block with exec=\"host\" (in «echo $(rm "
        "y)»)"]


def test_an_unknown_exec_names_the_registered_kinds() -> None:
    source = '# t\n\n```console exec="python" id="x"\n$ docker ps\n```\n'
    with pytest.raises(PageError) as info:
        parse_page("p.md", source, "docs/p.md")
    assert str(info.value) == ('docs/p.md:3: exec="python" is not allowed: use one of "docker", "file", "host", '
                               '"session", "topology"')


def test_a_registered_kind_is_among_those_named(echo: Echo) -> None:
    with pytest.raises(PageError) as info:
        parse_page("p.md", '```console exec="python" id="x"\n$ docker ps\n```\n')
    assert info.value.message.endswith('use one of "docker", "file", "host", "session", "topology", "echo"')
    assert parse_page("p.md", '```console exec="echo" id="x"\n$ anything\n```\n').blocks[0].exec_kind is echo


def test_the_registry_after_a_test_kind_is_the_built_in_one() -> None:
    assert kinds.names() == ("docker", "file", "host", "session", "topology")
    assert all(isinstance(kind, Kind) for kind in kinds.registered())


def test_a_name_is_registered_once(echo: Echo) -> None:
    with pytest.raises(ValueError, match='exec="echo" is registered already'):
        kinds.register(Echo())


def test_without_registered_kinds_the_error_says_what_to_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kinds, "_registered", {})
    with pytest.raises(LookupError, match=r"import docexec\.kinds"):
        parse_page("p.md", '```console exec="docker" id="x"\n$ docker ps\n```\n')


def test_every_module_of_the_kinds_package_is_a_registered_kind() -> None:
    """docexec.kinds imports each of its modules (base excepted, which registers none): a built-in kind is one new
    module there, with no list to add it to."""
    import docexec.kinds

    modules = sorted(m.name for m in pkgutil.iter_modules(docexec.kinds.__path__))
    assert [m for m in modules if m != "base"] == list(kinds.names())
    for name in kinds.names():
        assert type(kinds.get(name)).__module__ == f"docexec.kinds.{name}"
