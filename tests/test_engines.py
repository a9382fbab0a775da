"""A book on several Docker engines: settings, pages that name their engines, pinned fetching, one transcript
where the engines agree and a tab each where they differ, and a drift check per engine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from docexec import (
    Block,
    Command,
    CommandRecord,
    DocexecError,
    EngineSettings,
    EngineSpec,
    PageError,
    PageRecording,
    Project,
    load_config,
)
from docexec.core.config import DebianPackage
from docexec.render.html import EngineRecording, render_engines
from docexec.userland import apt as aptstate
from docexec.userland import debs, engines

from .conftest import Engine, env_for_throwaway_recording
from .rendering import throwaway_site
from .test_publish import build

ROOT = Path(__file__).resolve().parent.parent
BOOK = load_config(ROOT)
NEWER = BOOK.engine_spec("28.5")


def two_engines(tmp_path: Path, second: str = "") -> str:
    return textwrap.dedent(f'''
        [tool.docexec]
        images_dir = "{ROOT / "images"}"
        workdir = "{tmp_path / "work"}"
        [[tool.docexec.engines]]
        name = "20.10"
        [[tool.docexec.engines]]
        name = "28.5"
        {second or 'snippets_dir = "snippets/_engines/28.5"'}
        ''')


def test_each_engine_has_its_own_recordings_and_cli(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(two_engines(tmp_path, 'snippets_dir = "s28"\ncli = "bin/docker"\n'
                                                                   'path = ["bin"]\ncheck_clis = ["/x/docker"]'))
    config = load_config(tmp_path)
    first = Project(config).engine
    assert first.name == "20.10" and first.snippets_dir == tmp_path / "snippets" and first.cli is None
    newer = EngineSettings.of(config.engine_spec("28.5"))
    assert newer.snippets_dir == tmp_path / "s28" and newer.cli == tmp_path / "bin" / "docker"
    assert newer.path == (tmp_path / "bin",)
    assert "bin is missing" in config.engine_spec("28.5").missing()
    other_cli = EngineSettings.of(config.engines[0], Path("/x/docker"))
    assert other_cli.cli == Path("/x/docker") and other_cli.snippets_dir == first.snippets_dir


@pytest.mark.parametrize("second, message", [
    ("", "needs snippets_dir"),
    ('snippets_dir = "s"\ncolour = "red"', "unknown settings: colour"),
    ('snippets_dir = "s"\n[tool.docexec.engines.debian]\npackages = [{name = "docker.io"}]',
     "name, version and sha256"),
])
def test_engine_settings_are_checked(tmp_path: Path, second: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(two_engines(tmp_path, second).replace(
        'snippets_dir = "snippets/_engines/28.5"', ""))
    with pytest.raises(DocexecError, match=message):
        load_config(tmp_path)


def test_a_page_can_name_the_engines_it_runs_on(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(two_engines(tmp_path))
    (tmp_path / "docs").mkdir()
    body = '\n# t\n\n```console exec="docker" id="a"\n$ docker ps -q\n```\n'
    (tmp_path / "docs" / "old.md").write_text('---\nengines: ["20.10"]\n---\n' + body)
    (tmp_path / "docs" / "typo.md").write_text('---\ntitle: x\nengines: ["29.0"]\n---\n' + body)
    (tmp_path / "docs" / "float.md").write_text('---\nengines: [20.10]\n---\n' + body)
    config = load_config(tmp_path)
    first, second = Project(config), Project(config, EngineSettings.of(config.engine_spec("28.5")))
    page = first.load_page("old.md")
    assert first.runs_here(page) and not second.runs_here(page)
    assert second.ensure(second.load_page("old.md")).status == "current"  # nothing to record there
    with pytest.raises(PageError, match=r"docs/typo.md:3: engines: '29.0' is not an engine of this book"):
        first.load_page("typo.md")
    with pytest.raises(PageError, match=r"float.md:2: engines: must be a list of engine names in quotes"):
        first.load_page("float.md")


def test_a_page_that_runs_only_on_a_later_engine_shows_that_engines_recording(tmp_path: Path) -> None:
    page = '---\nengines: ["28.5"]\n---\n\n# t\n\n```console exec="docker" id="a"\n$ docker network ls -q\n```\n'
    throwaway_site(tmp_path, page, "site_name: t\ntheme: mkdocs\nplugins: [docexec]\n",
                   {"a": [CommandRecord("docker network ls -q", "f00d\n", 0, 0.1)]},
                   pyproject=two_engines(tmp_path), engine=("28.5", "28.5.2"))
    done = build(tmp_path, "publish")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<span class="go">f00d\n</span>' in html and "No recorded output yet" not in html
    assert "Real output · Docker Engine 28.5.2 · recorded on <span class=\"docexec-date\">2026-11-28" in html
    note = re.search(r'<div class="docexec-page-source".*?</details>', html, re.S)
    assert note and "Docker 28.5 ·" not in note.group(0) and "Docker Engine 28.5.2" in note.group(0), "the page note"


def _recording(version: str, output: str, code: int = 0) -> PageRecording:
    return PageRecording("p.md", "h", "2026-11-28T00:00:00Z", {"engine": f"{version}+dfsg1"},
                         {"b": [CommandRecord("docker ps", output, code, 0.1)]})


BLOCK = Block(page="p.md", line=3, end_line=5, id="b", kind="docker", lang="console",
              commands=(Command(4, "docker ps", None),))


def test_engines_that_agree_share_one_transcript() -> None:
    old = _recording("20.10.24", "CONTAINER ID   IMAGE\n")
    new = _recording("28.5.2", "CONTAINER ID   IMAGE\n")
    html = render_engines(BLOCK, [EngineRecording("Engine 28.5", new), EngineRecording("Engine 20.10", old)],
                          old)
    assert "tabbed-set" not in html
    assert "Docker Engine 28.5.2 and 20.10.24 (same output)" in html  # labels.Labels: English by default


def test_engines_that_differ_get_a_tab_each_newest_first() -> None:
    old = _recording("20.10.24", "link/ether 02:42:ac:11:00:02\n")
    new = _recording("28.5.2", "link/ether 02:42:ac:11:00:02\ninet6 ::1/128\n")
    html = render_engines(BLOCK, [EngineRecording("Engine 28.5", new), EngineRecording("Engine 20.10", old)],
                          old)
    assert html.count('class="tabbed-block"') == 2
    assert html.index(">Engine 28.5</label>") < html.index(">Engine 20.10</label>")
    assert html.index("inet6 ::1/128") < html.index("Docker Engine 20.10.24")
    # A different exit code is a difference too.
    failing = _recording("28.5.2", "link/ether 02:42:ac:11:00:02\n", code=1)
    assert "tabbed-set" in render_engines(BLOCK, [EngineRecording("Engine 28.5", failing),
                                                  EngineRecording("Engine 20.10", old)], old)


def test_a_pin_that_debian_no_longer_serves_says_how_to_move_it(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aptstate, "archives", lambda: ("http://mirror.invalid/debian", "http://s.invalid"))
    monkeypatch.setattr(aptstate.PrivateApt, "update", lambda self: None)
    monkeypatch.setattr(aptstate.PrivateApt, "served", lambda self, name: "28.5.3+dfsg1-1")
    spec = EngineSpec("28.5", path=(tmp_path / "e" / "usr" / "sbin",), snippets_dir=tmp_path,
                      debian_suite="sid", packages=(DebianPackage("docker.io", "28.5.2+dfsg4-5", "0" * 64),),
                      into=tmp_path / "e")
    with pytest.raises(DocexecError) as caught:
        engines.fetch(spec, tmp_path / "cache", notify=lambda m: None)
    message = str(caught.value)
    assert "no longer serves docker.io 28.5.2+dfsg4-5 (it now serves 28.5.3+dfsg1-1)" in message
    assert "To move the pin" in message and "docexec record --engine 28.5" in message
    assert not (tmp_path / "e").exists()


def test_a_download_with_the_wrong_sum_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aptstate, "archives", lambda: ("http://mirror.invalid/debian", "http://s.invalid"))
    apt = aptstate.PrivateApt(tmp_path / "apt", ["sid"])
    pkg = DebianPackage("docker.io", "1.0", "0" * 64)
    monkeypatch.setattr(apt, "served", lambda name: "1.0")
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()

    def fake_download(tool: str, *args: str, cwd: Path | None = None, check: bool = True) -> str:
        assert cwd is not None
        (cwd / f"docker.io_1.0_{arch}.deb").write_bytes(b"tampered")
        return ""

    monkeypatch.setattr(apt, "_run", fake_download)
    with pytest.raises(DocexecError, match=r"has sha256 .* but pyproject.toml pins 0000"):
        engines._download(apt, pkg, tmp_path, "28.5")
    assert not list(tmp_path.glob("*.deb"))


def test_the_private_sources_use_this_machines_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aptstate, "archives", lambda: ("http://mirror.invalid/debian", "http://s.invalid/sec"))
    aptstate.PrivateApt(tmp_path, ["sid", "bookworm-security"])
    assert (tmp_path / "sources.list").read_text() == (
        f"deb [signed-by={debs.KEYRING}] http://mirror.invalid/debian sid main\n"
        f"deb [signed-by={debs.KEYRING}] http://s.invalid/sec bookworm-security main\n")


@pytest.mark.docker
def test_changing_one_engines_recording_fails_only_that_engines_check(pytester: pytest.Pytester,
                                                                     engine: Engine) -> None:
    if engine.mode != "lab":
        pytest.skip("a book's other engines run only in labs")  # the engine fixture fails instead when CI=true
    if NEWER.missing():
        if os.environ.get("CI") == "true":
            pytest.fail(NEWER.missing())
        pytest.skip(NEWER.missing())
    path = ", ".join(f'"{p}"' for p in NEWER.path)
    pytester.makepyprojecttoml(two_engines(pytester.path, f'snippets_dir = "snippets/_engines/28.5"\n'
                                                          f'path = [{path}]\ncli = "{NEWER.cli}"') +
                               '[tool.pytest.ini_options]\naddopts = "-p docexec.pytest_plugin -p no:cacheprovider"\n')
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "t.md").write_text(
        '# t\n\n```console exec="docker" id="v"\n$ docker version --format "{{.Server.APIVersion}}"\n```\n')
    done = subprocess.run([sys.executable, "-m", "docexec", "record"], cwd=pytester.path, capture_output=True,
                          text=True, env=env_for_throwaway_recording(), timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (pytester.path / "snippets" / "t" / "v.txt").read_text().endswith("1.41\n")
    newer = pytester.path / "snippets" / "_engines" / "28.5" / "t" / "v.txt"
    assert newer.read_text().endswith("1.51\n")
    assert pytester.runpytest("docs").ret == 0
    newer.write_text(newer.read_text().replace("1.51", "1.50"))
    result = pytester.runpytest("docs")
    result.assert_outcomes(passed=4, failed=2)  # + an unused-recordings item per engine; the edit fails 28.5s recording
    # The failure's own report (its header is the node id under xdist, the page's line without it), then the diff:
    result.stdout.fnmatch_lines(["*docs/t.md:4 [[]28.5]: output differs from the recording*", "*-1.50*", "*+1.51*"])
    failed = sorted(line.split()[1] for line in result.stdout.lines if line.startswith("FAILED "))
    assert failed == ["docs/t.md::28.5::recording", "docs/t.md::28.5::v-L4"], failed


@pytest.mark.parametrize("older, newer", [
    ("docker: Error response from daemon: bind source path does not exist: /lab/m.\nSee 'docker run --help'.\n",
     "docker: Error response from daemon: bind source path does not exist: /lab/m\n\n"
     "Run 'docker run --help' for more information\n"),
    ('docker: Error response from daemon: exec: "ls": executable file not found in $PATH: unknown.\n',
     'docker: Error response from daemon: exec: "ls": executable file not found in $PATH: unknown\n\n'
     "Run 'docker run --help' for more information\n"),
    ("80/tcp -> 0.0.0.0:8080\n80/tcp -> :::8080\n", "80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n"),
    ("\nError: No such network: ov\n", "\nError response from daemon: network ov not found\n"),
    ("Error: No such container:path: box:/no/dir\n",
     "Error response from daemon: Could not find the file /no/dir in container box\n"),
    ("follow the instructions.\n\n", "follow the instructions.\n"),
    ("Error response from daemon: error while removing network: network shop id 0123 has active endpoints\n",
     "Error response from daemon: error while removing network: network shop id 0123 has active endpoints\n"
     "exit status 1\n"),
    ("\nStep 1/4 : FROM busybox\n",
     "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n"
     "            Install the buildx component to build images with BuildKit:\n"
     "            https://docs.docker.com/go/buildx/\n\n\nStep 1/4 : FROM busybox\n"),
])
def test_the_newer_clis_wording_is_read_as_the_older_ones(older: str, newer: str) -> None:
    from docexec.drift.clis import as_older_cli

    assert as_older_cli(newer) == as_older_cli(older)


def test_other_differences_between_the_clis_still_count() -> None:
    from docexec.drift.clis import as_older_cli

    assert as_older_cli("Error response from daemon: network ov not found\n") != \
        as_older_cli("Error: No such network: other\n")
    assert as_older_cli("80/tcp -> [::]:8080\n") != as_older_cli("80/tcp -> :::8081\n")
