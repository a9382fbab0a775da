"""Publishing (`nox -s publish`: DOCEXEC_MODE=publish, mkdocs build --strict) refuses a stale or missing recording;
a preview build shows a stale page with only its changed blocks marked. On a small throwaway project whose
recording is written directly (no Docker needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from docexec import CommandRecord

from .counts import counts
from .rendering import throwaway_site

ROOT = Path(__file__).resolve().parent.parent
PAGE = """# 一页

```console exec="docker" id="one"
$ docker network create lab
```

```console exec="docker" id="two"
$ docker network ls --format '{{.Name}}'
```
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return throwaway_site(tmp_path, PAGE, '''
        site_name: t
        theme: mkdocs
        plugins: [docexec]
        ''', {"one": [CommandRecord("docker network create lab", "f00d\n", 0, 0.1)],
              "two": [CommandRecord("docker network ls --format '{{.Name}}'", "bridge\nlab\n", 0, 0.1)]})


def build(project: Path, mode: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCEXEC_MODE": mode, "NO_MKDOCS_2_WARNING": "1", "DOCKER_HOST": "unix:///nonexistent"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(project / "site")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False)


def edit(project: Path, old: str, new: str) -> None:
    page = project / "docs" / "index.md"
    page.write_text(page.read_text().replace(old, new))


def test_current_recordings_publish(project: Path) -> None:
    done = build(project, "publish")
    assert done.returncode == 0, done.stderr
    assert "f00d" in (project / "site" / "index.html").read_text()


def test_a_stale_recording_fails_the_publish_build(project: Path) -> None:
    edit(project, "network ls --format", "network ls -q --format")
    done = build(project, "publish")
    assert done.returncode != 0
    assert "publishing refused" in done.stderr
    assert "index.md: its commands changed since they were recorded (blocks: two)" in done.stderr


def test_a_missing_recording_fails_the_publish_build(project: Path) -> None:
    (project / "snippets" / "index" / "_page.json").unlink()
    done = build(project, "publish")
    assert done.returncode != 0 and "publishing refused" in done.stderr and "has no recorded outputs" in done.stderr


def test_a_preview_marks_only_the_changed_block(project: Path) -> None:
    edit(project, "network ls --format", "network ls -q --format")
    done = build(project, "offline")
    assert done.returncode != 0, "the stale page is a warning: --strict fails"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-d", str(project / "site")], cwd=project,
                          env={**os.environ, "DOCEXEC_MODE": "offline", "NO_MKDOCS_2_WARNING": "1"},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "(blocks: two)" in done.stderr
    html = (project / "site" / "index.html").read_text()
    wrappers = {block: classes for classes, block in re.findall(r'<div class="([^"]*)" id="run-([a-z]+)"', html)}
    assert wrappers == {"one": "docexec", "two": "docexec docexec-stale"}
    notes = re.findall(r'<p class="docexec-source">(.*?)</p>', html, re.S)
    stale = "commands changed, output waits to be recorded again"  # labels.Labels: English by default
    assert stale not in notes[0] and stale in notes[1]
    assert counts(html, "command block(s) of this page changed after they were recorded") == [1]


def test_status_names_the_changed_blocks(project: Path) -> None:
    edit(project, "network ls --format", "network ls -q --format")
    done = subprocess.run([sys.executable, "-m", "docexec", "status"], cwd=project, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1 and "changed: two" in done.stdout, done.stdout + done.stderr
