"""tools/stockroot.py (./nox -s stockroot) without making a root: what it runs there, its apt sources and its refusal
to remove a folder with mounts. The session itself needs root and the registries: see its docstring."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT, load_tool

STOCKROOT = load_tool("stockroot")


def test_a_new_user_clones_then_runs_readme_commands_with_only_what_readme_lists() -> None:
    docs, tests = STOCKROOT.script("docs"), STOCKROOT.script("tests")
    assert "clone --quiet /tmp/docexec.bundle /root/docexec" in docs
    assert docs.index("clone") < docs.index("./nox -s docs") and "apt-get" not in docs
    assert "CI=true ./nox -s tests -- docs/" in tests
    install = tests.split("&&")[1]
    assert install.split("apt-get install -y -qq")[1].split() == ["bubblewrap", ">/dev/null"]
    assert "`apt-get install bubblewrap`" in (ROOT / "README.md").read_text(), "the list README gives"
    # What README lists is what the root gets: nothing of the machine's own lesson image or lab userland.
    assert "busybox" not in docs + tests and "tzdata" not in docs + tests
    assert STOCKROOT.STOCK_PACKAGES == ("python3", "python3-venv", "git")


def test_the_root_gets_the_machines_sources_for_its_own_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = ("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n\n"
               "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n")
    monkeypatch.setattr(STOCKROOT, "machine_sources", lambda: (sources, "bookworm"))
    (tmp_path / "etc/apt/sources.list.d").mkdir(parents=True)
    (tmp_path / "etc/apt/sources.list").write_text("deb http://mirror.example/debian trixie main\n")
    STOCKROOT.write_sources(tmp_path, "trixie")
    written = (tmp_path / "etc/apt/sources.list.d/debian.sources").read_text()
    assert "Suites: trixie trixie-updates\n" in written and "Suites: trixie-security\n" in written
    assert "URIs: http://mirror.example/debian-security\n" in written
    assert not (tmp_path / "etc/apt/sources.list").exists()
    assert STOCKROOT.mirror() == "http://mirror.example/debian"


def test_a_folder_with_a_mount_is_never_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "root" / "proc").mkdir(parents=True)
    monkeypatch.setattr(STOCKROOT, "mounts_below", lambda path: [f"{tmp_path}/root/proc"])
    with pytest.raises(SystemExit, match="has mounts on this machine"):
        STOCKROOT.remove(tmp_path / "root")
    assert (tmp_path / "root" / "proc").is_dir()
    monkeypatch.undo()
    assert STOCKROOT.mounts_below(tmp_path) == []  # nothing is mounted there: /proc/mounts says so
    STOCKROOT.remove(tmp_path / "root")
    assert not (tmp_path / "root").exists()
