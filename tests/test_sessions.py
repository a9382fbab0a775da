"""Terminal sessions (exec="session") on real Docker: `docker run -it` in a pseudo-terminal on the page's host,
lines typed at its prompt, the screen and the replay recorded; a session that is never ready, or never ends, fails
with its page and line and the screen so far, and nothing of the page is left."""

from __future__ import annotations

import json
import time

import pytest

from docexec import CommandFailed, PageError, Project
from docexec.store import recording
from tests.conftest import MakeProject

from .conftest import Engine

pytestmark = pytest.mark.docker

NAMES = {"container term", "container quiet", "container forever"}


def project_for(make_project: MakeProject, text: str) -> tuple[Project, object]:
    config = make_project({"p.md": text})
    project = Project(config, mode="force", notify=lambda m: None)
    return project, project.load_page("p.md")


def test_a_session_is_typed_at_the_prompt_and_recorded(engine: Engine, make_project: MakeProject) -> None:
    project, page = project_for(make_project, '''
        ```console exec="session" id="s"
        $ docker run -it --name term busybox sh
        > echo "$((6 * 7)) columns: $(stty size)"
        > echo "a line longer than the terminal is wide, typed and printed, comes back whole: $(seq -s ' ' 30)"
        > <Ctrl-P><Ctrl-Q>
        $ docker ps --format '{{.Names}} {{.Status}}'
        ```
        ''')
    outcome = project.record(page)  # type: ignore[arg-type]
    assert outcome.stored is not None
    shell, ps = outcome.stored.blocks["s"]
    lines = shell.output.splitlines()
    assert "built-in shell (ash)" in shell.output
    assert '/ # echo "$((6 * 7)) columns: $(stty size)"' in lines
    assert "42 columns: 30 100" in lines, "the container's terminal is the session's: 100 x 30"
    assert lines[-1] == "/ #", "detached at the prompt"
    assert shell.returncode == 0
    row, column = shell.typed_at[0]
    assert lines[row][:column] == "/ # "
    # Wider than the terminal: the shell's echo of the typed line and the program's output are lines of their own.
    typed = "echo \"a line longer than the terminal is wide, typed and printed, comes back whole: $(seq -s ' ' 30)\""
    row, column = shell.typed_at[1]
    assert lines[row] == f"/ # {typed}" and column == 4
    printed = "a line longer than the terminal is wide, typed and printed, comes back whole: "
    assert lines[row + 1] == printed + " ".join(str(n) for n in range(1, 31))
    assert ps.output.startswith("term Up ")
    cast = recording.cast_path(project.engine.snippets_dir, "p.md", "s").read_text().splitlines()
    assert json.loads(cast[0]) == {"version": 2, "width": 100, "height": 30, "env": {"TERM": "xterm"}}
    shown = "".join(json.loads(line)[2] for line in cast[1:] if json.loads(line)[1] == "o")
    assert "42 columns: 30 100" in shown and "$ docker ps --format" in shown
    assert engine.leftovers(NAMES) == []


def test_a_session_never_ready_fails_at_its_line_with_the_screen(engine: Engine, make_project: MakeProject) -> None:
    project, page = project_for(make_project, '''
        ```console exec="session" id="s" timeout="3"
        $ docker run -it --name quiet busybox sh -c 'echo working; sleep 100'
        > hello
        ```
        ''')
    start = time.monotonic()
    with pytest.raises(PageError) as info:
        project.record(page)  # type: ignore[arg-type]
    assert time.monotonic() - start < 30
    err = info.value
    assert (err.page, err.line) == ("docs/p.md", 3)
    assert "not ready for this line within 3 s: output went quiet without a prompt" in err.message
    assert "  | working\n" in err.message, "the screen so far"
    assert engine.leftovers(NAMES) == []
    assert not (project.engine.snippets_dir / "p").exists(), "a failed page writes no recording"


def test_a_session_that_never_ends_fails_at_its_command(engine: Engine, make_project: MakeProject) -> None:
    project, page = project_for(make_project, '''
        # t

        ```console exec="session" id="s" timeout="2"
        $ docker run -it --name forever busybox sleep 1d
        ```
        ''')
    with pytest.raises(PageError) as info:
        project.record(page)  # type: ignore[arg-type]
    assert info.value.line == 4
    assert "did not end within 2 s" in info.value.message
    assert engine.leftovers(NAMES) == []


def test_a_session_runs_on_the_shared_daemon_too(daemon, make_project: MakeProject) -> None:  # type: ignore[no-untyped-def]
    """Where labs cannot run: the same terminal, on the daemon DOCKER_HOST names; the exit code is checked."""
    project, page = project_for(make_project, '''
        ```console exec="session" id="s"
        $ docker run -it --rm --name term busybox sh
        > hostname | wc -c
        > exit 4
        ```
        ''')
    with pytest.raises(CommandFailed) as info:
        project.record(page)  # type: ignore[arg-type]
    assert (info.value.line, info.value.actual) == (2, 4)
    assert "  | / # hostname | wc -c\n  | 13\n  | / # exit 4\n" in str(info.value), str(info.value)
    assert daemon.janitor.labelled() == []
