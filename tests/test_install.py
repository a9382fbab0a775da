"""The real install: in a new virtual environment, `pip install` this repository (not editable), then a throwaway
MkDocs project elsewhere with `plugins: [docexec]` and one exec block records and embeds the real output when it
builds, and `pytest` there collects the block's drift check through the entry point, and passes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from .conftest import ROOT, Engine, env_for_throwaway_recording
from .counts import counts

PAGE = """# Hello

```console exec="docker" id="hi"
$ docker run --rm busybox echo hi
```
"""


@pytest.mark.docker
def test_pip_install_then_build_and_check_a_new_site(tmp_path: Path, engine: Engine) -> None:
    venv, source = tmp_path / "venv", tmp_path / "docexec"
    started = time.monotonic()
    # A copy of what the package is made of: pip builds in the folder it installs from (build/, *.egg-info).
    source.mkdir()
    for name in ["pyproject.toml", "src", "LICENSE", "LICENSES"]:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile
        copy(ROOT / name, source / name)
    shutil.rmtree(source / "src" / "docexec.egg-info", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # The package's own dependencies (lower bounds) and pytest, at the versions this repository tests with.
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-c",
                           str(ROOT / "constraints.txt"), str(source), "pytest"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    installed = time.monotonic() - started
    package = next((venv / "lib").glob("python3*/site-packages/docexec"))
    assert (package / "py.typed").is_file() and (package / "mkdocs_plugin.py").is_file()

    book = tmp_path / "book"
    (book / "docs").mkdir(parents=True)
    (book / "docs" / "index.md").write_text(PAGE)
    (book / "mkdocs.yml").write_text("site_name: hello\nplugins: [docexec]\n")
    (book / "pyproject.toml").write_text(textwrap.dedent(f'''
        [tool.docexec]
        images_dir = "{ROOT / "images"}"
        workdir = "{tmp_path / "work"}"

        [tool.pytest.ini_options]
        testpaths = ["docs"]
        '''))
    env = {**env_for_throwaway_recording(), "NO_MKDOCS_2_WARNING": "1"}
    env.pop("DOCEXEC_MODE", None)
    built = subprocess.run([str(venv / "bin" / "mkdocs"), "build"], cwd=book, env=env, capture_output=True,
                           text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    assert counts(built.stderr, "page(s) run and recorded") == [1], built.stderr[-3000:]
    assert (book / "snippets" / "index" / "hi.txt").read_text().endswith("hi\n")
    html = (book / "site" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<div class="docexec" id="run-hi".*?<span class="go">hi\n</span>', html, re.S), html[-3000:]
    assert "Real output" in html, "the labels' English defaults"

    checked = subprocess.run([str(venv / "bin" / "pytest"), "-v", "-p", "no:cacheprovider"], cwd=book, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert "plugins: docexec-" in checked.stdout, "loaded through the pytest11 entry point: no -p option anywhere"
    assert re.search(r"^docs/index.md::hi-L4 PASSED", checked.stdout, re.M), checked.stdout[-3000:]
    assert "docs/index.md::recording PASSED" in checked.stdout, checked.stdout[-3000:]
    assert re.search(r"unused-recordings\S* PASSED", checked.stdout), checked.stdout[-3000:]  # the whole docs/ ran
    assert " 3 passed" in checked.stdout and "warning" not in checked.stdout.lower(), checked.stdout[-3000:]
    print(f"pip install {installed:.1f} s, the whole test {time.monotonic() - started:.1f} s")
