"""exec="file": a block whose text is a file, written to `path` in the page's working folder before the next blocks
run. Its options and size are checked when the page is parsed (with the page and line), the write follows no link
out of the working folder, the file is part of the block's digest, it shows as a titled code block that copies the
file, and on real Docker the next block reads what was written."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from docexec import CommandRecord, PageError, Project, parse_page, render_page
from docexec.kinds.file import MAX_BYTES, write_beneath
from docexec.run.runner import Session
from docexec.store.recording import PageRecording
from docexec.store.store import NewRecording
from tests.conftest import Engine, MakeProject
from tests.rendering import book_labels, convert
from tests.test_session_local import LocalBackend

COMPOSE = "services:\n  web:\n    image: busybox\n\n    command: [\"sleep\", \"1d\"]\n"
PAGE = f"""\
# Files

```yaml exec="file" id="compose-file" path="compose.yaml"
{COMPOSE}```

```dockerfile exec="file" id="dockerfile" path="app/Dockerfile" title="The app's Dockerfile"
FROM busybox
RUN echo hi \\
\t&& echo there
```

```console exec="host" id="show"
$ cat compose.yaml
$ cat app/Dockerfile
```
"""


def error(source: str) -> PageError:
    with pytest.raises(PageError) as info:
        parse_page("p.md", source, "docs/p.md")
    return info.value


def test_the_text_is_the_file_as_shown_and_one_command_stands_for_the_write() -> None:
    page = parse_page("p.md", PAGE)
    compose, dockerfile, _ = page.blocks
    assert (compose.kind, compose.path, compose.text) == ("file", "compose.yaml", COMPOSE)
    assert dockerfile.text == "FROM busybox\nRUN echo hi \\\n\t&& echo there\n", "continuations and tabs kept"
    assert [(c.line, c.display, c.shell) for c in compose.commands] == [(3, "cat > compose.yaml", None)]
    assert "busybox" in page.plain_words(), "the image a file names is loaded into the lab"


def test_an_indented_file_is_dedented_like_other_blocks() -> None:
    page = parse_page("p.md", '!!! tip\n\n    ```ini exec="file" id="f" path="a.ini"\n    [x]\n      y = 1\n    ```\n')
    assert page.blocks[0].text == "[x]\n  y = 1\n"


@pytest.mark.parametrize(("options", "message"), [
    ('path="/etc/passwd"', 'path="/etc/passwd" is absolute'),
    ('path="../x"', 'path="../x" has an empty name, "." or ".."'),
    ('path="app/../../x"', "has an empty name"),
    ('path="app//x"', "has an empty name"),
    ('path="app/"', "has an empty name"),
    ('path="./x"', "has an empty name"),
    ('path=""', 'path="" names no file'),
    ('', 'exec="file" needs path="..."'),
    ('path="x" returncode="1"', 'returncode="..." does not go with exec="file"'),
    ('path="x" volatile="x"', 'volatile="..." does not go with exec="file"'),
    ('path="x" retry="5"', 'retry="..." does not go with exec="file"'),
    ('path="x" timeout="5"', 'timeout="..." does not go with exec="file"'),
    ('path="x" prompt="#"', 'prompt="..." only goes with exec="session"'),
])
def test_bad_options_are_refused_with_the_page_and_line(options: str, message: str) -> None:
    err = error(f'# t\n\n```yaml exec="file" id="f" {options}\na: 1\n```\n')
    assert (err.page, err.line) == ("docs/p.md", 3)
    assert message in err.message


def test_path_goes_only_with_a_file() -> None:
    err = error('```console exec="docker" id="x" path="a"\n$ docker ps\n```\n')
    assert 'path="..." only goes with exec="file"' in err.message


def test_a_file_over_the_limit_is_refused() -> None:
    fits = "a" * (MAX_BYTES - 1) + "\n"
    assert parse_page("p.md", f'```text exec="file" id="f" path="x"\n{fits}```\n').blocks[0].text == fits
    err = error(f'# t\n\n```text exec="file" id="f" path="x"\n{fits}b\n```\n')
    assert (err.line, f"is {MAX_BYTES + 2} bytes") == (3, err.message.split("; ")[0].removeprefix("the file "))


def test_show_no_and_run_no_are_allowed() -> None:
    page = parse_page("p.md", '```yaml exec="file" id="a" path="a" show="no"\nx: 1\n```\n\n'
                              '```yaml exec="file" id="b" path="b" run="no" reason="an example"\nx: 1\n```\n')
    assert [(b.show, b.run) for b in page.blocks] == [(False, True), (True, False)]
    assert [b.id for b in page.executed] == ["a"]


def test_the_key_changes_with_the_content_and_the_path() -> None:
    def digest(path: str, text: str) -> str:
        return parse_page("p.md", f'```yaml exec="file" id="f" path="{path}"\n{text}```\n').blocks[0].digest()

    base = digest("compose.yaml", "a: 1\n")
    assert base == digest("compose.yaml", "a: 1\n")
    assert base != digest("compose.yaml", "a: 2\n")
    assert base != digest("compose.yaml", "a: 1\n\n"), "a blank line at the end is part of the file"
    assert base != digest("other.yaml", "a: 1\n")
    assert digest("x", "RUN a \\\n  b\n") != digest("x", "RUN a   b\n"), "no continuation joining"


def test_the_write_makes_folders_and_replaces_the_file(tmp_path: Path) -> None:
    write_beneath(tmp_path, "app/conf/Dockerfile", "FROM busybox\n")
    write_beneath(tmp_path, "app/conf/Dockerfile", "FROM alpine\n")
    target = tmp_path / "app" / "conf" / "Dockerfile"
    assert target.read_text() == "FROM alpine\n"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["Dockerfile", "app", "conf"], "no temporary file left"


@pytest.mark.parametrize("path", ["x/passwd", "app/x/passwd", "x"])
def test_the_write_follows_no_link(tmp_path: Path, path: str) -> None:
    """A page that made `x` a link to a folder outside ($PWD/x -> /etc, say) cannot write through it."""
    outside, work = tmp_path / "etc", tmp_path / "work"
    outside.mkdir()
    (work / "app").mkdir(parents=True)
    (outside / "passwd").write_text("root\n")
    (work / "x").symlink_to(outside)
    (work / "app" / "x").symlink_to(outside)
    with pytest.raises(OSError, match="symbolic link"):
        write_beneath(work, path, "owned\n")
    assert (outside / "passwd").read_text() == "root\n"
    assert sorted(p.name for p in outside.iterdir()) == ["passwd"]


def test_the_write_refuses_a_bad_path_even_if_the_lint_did_not_run(tmp_path: Path) -> None:
    for path in ("../x", "/x", "a//b"):
        with pytest.raises(OSError):
            write_beneath(tmp_path / "work", path, "x\n")


def test_a_page_writes_its_files_for_the_next_blocks(make_project: MakeProject, tmp_path: Path) -> None:
    """Through the real Session and Commands, on a stand-in host that is this machine (no Docker)."""
    config = make_project({"p.md": PAGE})
    work = tmp_path / "here"
    work.mkdir()
    project = Project(config, mode="offline")
    page = project.load_page("p.md")
    with Session(page, config, project.engine, LocalBackend(work), notify=lambda m: None) as session:
        results = {b.id: [session.run(b, c) for c in b.commands] for b in page.executed}
    assert [(r.output, r.returncode) for r in results["compose-file"]] == [("", 0)]
    assert [r.output for r in results["show"]] == [COMPOSE, "FROM busybox\nRUN echo hi \\\n\t&& echo there\n"]
    records = {k: [CommandRecord(c.text, r.output, r.returncode, 0.0) for c, r in
                   zip(next(b for b in page.blocks if b.id == k).commands, v, strict=True)] for k, v in results.items()}
    saved = project.store.save(page, NewRecording(project.digest(page), project.context_digest(page), records,
                                                  {"engine": "28.5.0"}))
    folder = project.engine.snippets_dir / "p"
    assert (folder / "compose-file.txt").read_text() == "$ cat > compose.yaml\n", "the recording names the path"
    assert project.status(page) == "current"
    again = project.store.save(page, NewRecording(project.digest(page), project.context_digest(page), records,
                                                  {"engine": "28.5.0"}))
    assert saved.changed and not again.changed, "recording an unchanged page again changes no file"
    changed = parse_page("p.md", PAGE.replace("image: busybox", "image: alpine"))
    assert project.status(changed) == "stale"


def test_a_link_made_by_the_page_stops_it_with_the_page_and_line(make_project: MakeProject, tmp_path: Path) -> None:
    config = make_project({})
    work, outside = tmp_path / "here", tmp_path / "etc"
    work.mkdir()
    outside.mkdir()
    (work / "x").symlink_to(outside)  # as a page's host command could have made it
    page = parse_page("p.md", '# t\n\n```text exec="file" id="f" path="x/passwd"\nowned\n```\n', "docs/p.md")
    project = Project(config, mode="offline")
    with (Session(page, config, project.engine, LocalBackend(work), notify=lambda m: None) as session,
          pytest.raises(PageError) as info):
        session.run(page.blocks[0], page.blocks[0].commands[0])
    assert (info.value.page, info.value.line) == ("docs/p.md", 3)
    assert "x is a symbolic link or not a folder" in info.value.message
    assert list(outside.iterdir()) == []


def test_it_shows_as_a_titled_code_block_of_its_language_that_copies_the_file() -> None:
    page = parse_page("p.md", PAGE)
    records = {b.id: [CommandRecord(c.text, "", 0, 0.0) for c in b.commands] for b in page.executed}
    stored = PageRecording("p.md", page.digest(), "2026-12-07T00:00:00Z", {"engine": "28.5.0"}, records)
    out = convert(PAGE, render_page(page, stored, labels=book_labels()), languages=("yaml", "dockerfile", "console"))
    compose = re.search(r'<div class="docexec docexec-file" id="run-compose-file" data-copy="([^"]*)">(.*?)\n</div>',
                        out, re.S)
    assert compose is not None, out
    assert html.unescape(compose.group(1)) == COMPOSE, "the copy button copies the file, exactly"
    body = compose.group(2)
    assert '<p class="docexec-title">compose.yaml</p>' in body
    assert '<div class="language-yaml highlight">' in body
    assert '<span class="nt">services</span>' in body, "highlighted as YAML"
    assert 'class="gp"' not in body and 'class="go"' not in body, "no prompt, no output"
    assert html.unescape(re.sub(r"<[^>]+>", "", body.split("<code>")[1].split("</code>")[0])) == COMPOSE.rstrip("\n")
    assert "在运行命令的目录下保存为 compose.yaml" in body
    assert '<p class="docexec-title">The app&#x27;s Dockerfile</p>' in out, "title= wins over the path"
    assert "&#9;&amp;&amp; echo there" in out, "a tab stays a tab"


def test_an_unknown_language_is_shown_plain() -> None:
    page = parse_page("p.md", '```nosuchlang exec="file" id="f" path="a"\n<b>x</b>\n```\n')
    fragment = render_page(page, None).blocks["f"]
    assert "<code>&lt;b&gt;x&lt;/b&gt;</code>" in fragment


@pytest.mark.docker
def test_in_a_lab_the_next_block_reads_the_file(engine: Engine, make_project: MakeProject) -> None:
    config = make_project({"p.md": PAGE + '\n```console exec="docker" id="inside"\n'
                                          '$ docker run --rm -v "$PWD":/w busybox cat /w/compose.yaml\n```\n'})
    project = Project(config, mode="force", notify=lambda m: None)
    outcome = project.record(project.load_page("p.md"))
    assert outcome.stored is not None
    assert outcome.stored.blocks["show"][0].output == COMPOSE
    assert outcome.stored.blocks["inside"][0].output == COMPOSE
    assert outcome.stored.blocks["compose-file"][0].output == ""
    assert not os.path.exists("/lab/compose.yaml"), "written in the lab, not on this machine"
    assert engine.leftovers() == []


@pytest.mark.docker
def test_on_the_shared_daemon_it_is_written_in_the_pages_own_folder(daemon: object, make_project: MakeProject,
                                                                      tmp_path: Path) -> None:
    config = make_project({"p.md": PAGE})
    project = Project(config, mode="force", notify=lambda m: None)
    assert project.hosts_mode() == "shared"
    outcome = project.record(project.load_page("p.md"))
    assert outcome.stored is not None and outcome.stored.blocks["show"][0].output == COMPOSE
    assert not (config.workdir / "p").exists(), "the page's folder goes with the page"
    assert [p.name for p in tmp_path.rglob("compose.yaml")] == []


@pytest.mark.docker
def test_in_a_lab_a_link_a_container_made_is_not_followed(engine: Engine, make_project: MakeProject) -> None:
    """The lab's /lab is written from this machine, where an absolute link below it would point at this machine's
    own files: a link to /etc made by a container must stop the page, not write this machine's /etc."""
    before = Path("/etc/passwd").read_bytes()
    config = make_project({"p.md": '# t\n\n```console exec="docker" id="link"\n'
                                   '$ docker run --rm -v "$PWD":/w busybox ln -s /etc /w/x\n```\n\n'
                                   '```text exec="file" id="f" path="x/passwd"\nowned\n```\n'})
    project = Project(config, mode="force", notify=lambda m: None)
    with pytest.raises(PageError) as info:
        project.record(project.load_page("p.md"))
    assert info.value.line == 7
    assert info.value.message.startswith("cannot write x/passwd: x is a symbolic link or not a folder")
    assert Path("/etc/passwd").read_bytes() == before
    assert engine.leftovers() == []
