"""The package's entry points, and the MkDocs plugin's validated options."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from .rendering import throwaway_site

SITE = """
site_name: t
theme: mkdocs
plugins:
  - docexec:
"""


def test_the_plugins_are_registered() -> None:
    (mkdocs,) = [e for e in entry_points(group="mkdocs.plugins") if e.name == "docexec"]
    assert mkdocs.value == "docexec.mkdocs_plugin:DocexecPlugin"
    assert [e.value for e in entry_points(group="pytest11") if e.value.startswith("docexec")] == \
        ["docexec.pytest_plugin"]


def test_the_pytest_plugin_is_silent_where_there_is_no_docexec_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    pytester.makepyprojecttoml("[project]\nname = 'other'\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not [line for line in result.outlines if line.startswith("docexec")]


def build(site: Path, options: str, *args: str) -> subprocess.CompletedProcess[str]:
    (site / "mkdocs.yml").write_text(SITE + options)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DOCKER_HOST": "unix:///nonexistent"}
    env.pop("DOCEXEC_MODE", None)
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", *args, "-d", str(site / "site")], cwd=site, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("options", "message"), [
    ("      mode: sometimes\n", "Expected one of: ('auto', 'force', 'offline', 'publish')"),
    ("      enabled: maybe\n", "Expected type: <class 'bool'>"),
    ("      project_dir: nowhere\n", "isn't an existing directory"),
    ("      labels:\n        outptu: x\n", "Unrecognised configuration name: outptu"),  # a warning: --strict fails
])
def test_bad_options_are_refused(tmp_path: Path, options: str, message: str) -> None:
    done = build(throwaway_site(tmp_path, "# t\n", SITE), options, "--strict")
    assert done.returncode != 0 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_the_options_are_used(tmp_path: Path) -> None:
    site = throwaway_site(tmp_path, '# t\n\n```console exec="docker" id="x"\n$ docker ps\n```\n', SITE)
    done = build(site, "      mode: publish\n      labels:\n        output: 真实输出\n")
    assert done.returncode == 0, done.stderr
    assert "真实输出 · Docker Engine 20.10.24" in (site / "site" / "index.html").read_text(encoding="utf-8")
    (site / "docs" / "index.md").write_text('# t\n\n```console exec="docker" id="x"\n$ docker ps -a\n```\n')
    done = build(site, "      mode: publish\n")
    assert done.returncode != 0 and "publishing refused" in done.stderr, "mode: publish, without DOCEXEC_MODE"
    done = build(site, "      enabled: false\n")
    assert done.returncode == 0 and "docexec" not in done.stderr
    assert "exec=" in (site / "site" / "index.html").read_text(encoding="utf-8"), "disabled: the fence is left as is"


def test_errors_count_lines_from_the_top_of_the_file_front_matter_included(tmp_path: Path) -> None:
    site = throwaway_site(tmp_path, "# t\n", SITE)
    (site / "docs" / "index.md").write_text('---\nhosts: [one, two]\n---\n\n# t\n\n```console exec="docker" id="x" '
                                            'host="three"\n$ docker ps\n```\n')
    done = build(site, "      mode: offline\n")
    assert done.returncode != 0 and 'docs/index.md:7: host="three" is not a host of this page' in done.stderr, \
        done.stderr
