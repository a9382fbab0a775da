"""The contributors' container (README: 在容器里运行): README's docker run, devcontainer.json and the Dockerfile
agree, and a container run without the option labs need is told so in one line."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from docexec import unsupported_reason
from docexec.lab import cgroups

ROOT = Path(__file__).resolve().parent.parent
VOLUMES = (".cache", ".nox", ".venv-nox")  # Linux file systems and environments of their own (README says why)


def readme_run() -> list[str]:
    lines = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if line.startswith("docker run ")]
    assert len(lines) == 1, "README shows one docker run command"
    return shlex.split(lines[0])


def test_readme_and_devcontainer_run_the_container_alike() -> None:
    argv = readme_run()
    for option in ("--privileged", "--cgroupns=private", "--init"):
        assert option in argv
    assert argv[argv.index("-p") + 1] == "127.0.0.1:8000:8000"
    mounts = [argv[n + 1] for n, arg in enumerate(argv) if arg == "-v"]
    assert mounts[0] == "$PWD:/book"
    assert [m.split(":")[1] for m in mounts[1:]] == [f"/book/{folder}" for folder in VOLUMES]

    config = json.loads((ROOT / ".devcontainer/devcontainer.json").read_text(encoding="utf-8"))
    assert config["privileged"] is True and config["init"] is True
    assert config["runArgs"] == ["--cgroupns=private"]
    assert [re.search(r"target=([^,]+)", m)[1] for m in config["mounts"]] == [  # type: ignore[index]
        f"${{containerWorkspaceFolder}}/{folder}" for folder in VOLUMES]
    assert all("type=volume" in m for m in config["mounts"])
    assert config["forwardPorts"] == [8000]


def test_the_dockerfile_installs_what_ci_installs() -> None:
    dockerfile = (ROOT / ".devcontainer/Dockerfile").read_text(encoding="utf-8")
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    for package in sorted(set(re.findall(r"need\+=\(([\w-]+)\)", ci))):  # bubblewrap, chromium, fonts-noto-cjk
        assert re.search(rf"install -y --no-install-recommends [^\n]*\b{package}\b", dockerfile), package
    assert "ENV SERVE_ADDRESS=0.0.0.0:8000" in dockerfile


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
