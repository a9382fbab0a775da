"""A transcript edited by hand after recording (its sha256 in _page.json no longer matches) is never passed off as
real output: the page says so, `docexec status` lists it, the drift check's recording item fails naming it and
publishing refuses it. On test_publish's throwaway project (no Docker needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .test_publish import build, project  # noqa: F401  (project: the fixture)


def edit_transcript(root: Path) -> Path:
    path = root / "snippets" / "index" / "two.txt"
    path.write_text(path.read_text().replace("lab\n", "my-lab\n"))  # same shape: only the hash tells
    return path


def test_an_offline_build_marks_the_edited_block(project: Path) -> None:  # noqa: F811
    edit_transcript(project)
    done = build(project, "offline")
    assert done.returncode == 0, done.stderr
    html = (project / "site" / "index.html").read_text()
    notes = re.findall(r'<p class="docexec-source">(.*?)</p>', html, re.S)
    assert notes[0].startswith("Real output")  # the plugin's default labels (the book's are in its mkdocs.yml)
    assert "Real output" not in notes[1] and "Edited by hand after it was recorded, not verified" in notes[1]
    assert "The output of 1 block(s) was edited by hand after it was recorded" in html


def test_publishing_refuses_an_edited_transcript(project: Path) -> None:  # noqa: F811
    edit_transcript(project)
    done = build(project, "publish")
    assert done.returncode != 0
    assert "publishing refused" in done.stderr and "index.md: edited by hand after recording: two.txt" in done.stderr


def test_status_lists_edited_recordings(project: Path) -> None:  # noqa: F811
    edit_transcript(project)
    done = subprocess.run([sys.executable, "-m", "docexec", "status"], cwd=project, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1
    assert re.search(r"edited\s+index\.md .*edited by hand after recording: snippets/index/two\.txt", done.stdout), \
        done.stdout


def test_the_recording_item_fails_naming_the_edited_file(project: Path) -> None:  # noqa: F811
    edit_transcript(project)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(DOCEXEC_LAB="no", DOCKER_HOST="unix:///nonexistent")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "docexec.pytest_plugin", "-p", "no:cacheprovider",
                           "-p", "no:xdist", "docs"], cwd=project, capture_output=True, text=True, timeout=120,
                          check=False, env=env)
    assert done.returncode == 1, done.stdout
    assert "index.md: recorded output edited by hand after recording (its sha256 no longer matches): " \
           "snippets/index/two.txt" in done.stdout, done.stdout
