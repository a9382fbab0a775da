"""The drift-check plugin itself, run with pytester on small throwaway projects."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import env_for_throwaway_recording

ROOT = Path(__file__).resolve().parent.parent
PAGE = '''
# t

```console exec="docker" id="two"
$ docker run -d --name master busybox sleep 1d
$ docker exec master ip addr show eth0
$ docker exec master ping -c 1 172.17.0.2
```
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyprojecttoml(textwrap.dedent(f'''
        [tool.docexec]
        images_dir = "{ROOT / "images"}"
        workdir = "{pytester.path / "work"}"
        [tool.pytest.ini_options]
        addopts = "-p docexec.pytest_plugin -p no:cacheprovider"
        '''))
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "t.md").write_text(PAGE)
    return pytester


def record(project: pytest.Pytester) -> None:
    # A throwaway project: recording it is allowed even when CI=true protects the repository's recordings.
    done = subprocess.run([sys.executable, "-m", "docexec", "record"], cwd=project.path, capture_output=True,
                          text=True, env=env_for_throwaway_recording(), timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without Docker: labs cannot run (their tools are missing) and no daemon answers."""
    from docexec import lab
    from docexec.hosts import mode as hosts

    for module in (hosts, lab):
        monkeypatch.setattr(module, "unsupported_reason", lambda settings=None: "labs need dockerd (simulated)")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent")
    monkeypatch.delenv("DOCEXEC_LAB", raising=False)
    monkeypatch.delenv("CI", raising=False)


@pytest.mark.parametrize("docker", ["as this machine has it", "none"])
def test_items_are_named_after_page_block_and_line(project: pytest.Pytester, docker: str,
                                                   request: pytest.FixtureRequest) -> None:
    """Listing the items needs no Docker: whether they can run is decided when they run, not when listed."""
    if docker == "none":
        request.getfixturevalue("no_docker")
    result = project.runpytest("--collect-only", "-q", "docs")
    result.stdout.fnmatch_lines(["docs/t.md::recording", "docs/t.md::two-L5", "docs/t.md::two-L6",
                                 "docs/t.md::two-L7"])


def test_a_page_without_recording_fails_its_recording_item(project: pytest.Pytester,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCEXEC_LAB", "no")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent")
    monkeypatch.delenv("CI", raising=False)
    result = project.runpytest("docs")
    result.assert_outcomes(failed=1, passed=1, deselected=3)  # passed: no recording is unused
    result.stdout.fnmatch_lines(["*docs/t.md: recording is missing*nox -s record*",
                                 "docexec: 3 drift-check commands not run: no Docker daemon answers*"])


def test_where_labs_cannot_run_the_drift_check_is_not_run_on_another_daemon(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, daemon: object) -> None:
    """A shared daemon answers (as on a laptop with Docker Desktop), but the recordings come from labs: the
    commands are deselected with one line saying why, instead of failing on that machine's hostname."""
    from docexec import lab
    from docexec.hosts import mode as hosts

    monkeypatch.setenv("DOCEXEC_LAB", "auto")
    monkeypatch.delenv("CI", raising=False)
    for module in (hosts, lab):
        monkeypatch.setattr(module, "unsupported_reason", lambda settings=None: "labs need root")
    monkeypatch.setattr("docexec.drift.variants.unsupported_reason", lambda settings=None: "labs need root")
    record_env = {**env_for_throwaway_recording(), "DOCEXEC_LAB": "yes"}
    subprocess.run([sys.executable, "-m", "docexec", "record"], cwd=project.path, env=record_env, check=True,
                   capture_output=True, timeout=300)
    result = project.runpytest("docs")
    result.assert_outcomes(passed=2, deselected=3)
    result.stdout.fnmatch_lines(["docexec: 3 drift-check commands not run: labs need root; the recordings were "
                                 "made in labs*"])


def test_without_a_daemon_in_ci_the_commands_fail(project: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCEXEC_LAB", "no")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent")
    monkeypatch.setenv("CI", "true")
    result = project.runpytest("docs")
    result.assert_outcomes(failed=4, passed=1)
    result.stdout.fnmatch_lines(["*no Docker daemon answers*CI=true*"])


def test_update_is_refused_in_ci(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    result = project.runpytest("docs", "--docexec-update")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--docexec-update is refused when CI=true*"])


def test_a_malformed_page_is_a_clean_collection_error(project: pytest.Pytester) -> None:
    (project.path / "docs" / "bad.md").write_text('```console exec="docker" id="x"\n$ docker ps > out\n```\n')
    result = project.runpytest("docs/bad.md")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*docs/bad.md:2: redirections*"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.docker
def test_recorded_pages_pass_and_a_changed_address_fails(project: pytest.Pytester, engine: object) -> None:
    record(project)
    project.runpytest("docs").assert_outcomes(passed=5)
    snippet = project.path / "snippets" / "t" / "two.txt"
    good = snippet.read_text()
    snippet.write_text(good.replace("inet 172.17.0.2/16", "inet 172.17.0.9/16"))
    result = project.runpytest("docs")
    result.assert_outcomes(passed=3, failed=2)  # the edited transcript fails its recording item too
    result.stdout.fnmatch_lines([
        "*docs/t.md: recorded output edited by hand after recording*: snippets/t/two.txt*",
        "*docs/t.md:6: output differs from the recording*",
        "*$ docker exec master ip addr show eth0*",
        "--- snippets/t/two.txt:4",
        "-    inet 172.17.0.9/16 brd 172.17.255.255 scope global eth0",
        "+    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0",
        "obtained output of block two, for review: snippets/t/two.obtained",
    ])
    assert "[N]: eth0@if[N]" in result.stdout.str(), "volatile fields show as placeholders, not as a difference"
    obtained = snippet.with_suffix(".obtained")
    def commands(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("$ ")]

    assert commands(obtained.read_text()) == commands(good), "the block's whole transcript, as obtained"
    assert "inet 172.17.0.2/16" in obtained.read_text() and "172.17.0.9" not in obtained.read_text()
    snippet.write_text(good)
    project.runpytest("docs").assert_outcomes(passed=5)
    assert not obtained.exists(), "the block passes again: its obtained output is gone"


@pytest.mark.docker
def test_a_changed_exit_code_fails(project: pytest.Pytester, engine: object) -> None:
    record(project)
    meta = project.path / "snippets" / "t" / "_page.json"
    meta.write_text(meta.read_text().replace('"returncode": 0', '"returncode": 1', 1))
    result = project.runpytest("docs")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*docs/t.md:5: exit code 0, recorded 1*"])


@pytest.mark.docker
def test_a_command_that_now_fails_stops_the_rest_of_its_page(project: pytest.Pytester, engine: object) -> None:
    record(project)
    page = project.path / "docs" / "t.md"
    page.write_text(PAGE.replace("ip addr show eth0", "ip addr show eth9"))
    result = project.runpytest("docs")
    # The recording is stale (the page changed), the edited command fails, the next one is not run.
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines(["*docs/t.md:6: exit code 1, the page expects 0*",
                                 "*not run: an earlier command of this page failed*"])


@pytest.mark.docker
def test_selecting_one_command_runs_the_earlier_ones_first(project: pytest.Pytester, engine: object) -> None:
    record(project)
    project.runpytest("docs/t.md::two-L7").assert_outcomes(passed=1)


@pytest.mark.docker
def test_update_records_and_then_checks(project: pytest.Pytester, engine: object,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    project.runpytest("docs", "--docexec-update").assert_outcomes(passed=5)
    assert (project.path / "snippets" / "t" / "two.txt").is_file()
    project.runpytest("docs").assert_outcomes(passed=5)


def test_environment_is_clean() -> None:
    assert "DOCEXEC_MODE" not in os.environ or os.environ["DOCEXEC_MODE"] in ("auto", "force", "offline")
