"""The contributors' container (README: 在容器里运行): a container run without the option labs need is told so
in one line."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from docexec.lab import cgroups, unsupported_reason


def test_a_container_sharing_the_machines_cgroup_namespace_is_told_why_labs_cannot_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Docker's default on cgroup v1: /proc/self/cgroup names /docker/<id>, which the container sees as the root."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda tool: f"/usr/bin/{tool}")
    here = tmp_path / "memory"
    here.mkdir()
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: [here])
    assert unsupported_reason() == ""
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: [here, tmp_path / "memory/docker/0123abcd"])
    assert unsupported_reason() == (f"labs need this process's cgroup, but {tmp_path}/memory/docker/0123abcd does "
                                    "not exist (in a container: run it with --cgroupns=private, README: 在容器里运行)")
