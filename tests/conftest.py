from __future__ import annotations

import importlib.util
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import docker  # noqa: F401  (see below)
import pytest

import docexec.kinds  # noqa: F401  (the built-in exec kinds, which the book registers: tests read pages without it)
from docexec import DaemonUnavailable, Settings, load_config
from docexec.hosts.daemon import Daemon

ROOT = Path(__file__).resolve().parent.parent


def userland_tool(program: str, *args: str) -> list[str]:
    """argv that runs one of the lab userland's programs on this machine, with the userland's own dynamic loader and
    libraries: tests look at the machine (its links, routes, rules) with the same pinned tools, whatever the machine
    has installed (a fresh machine has no iptables, a minimal one no ip)."""
    from docexec.userland import debs
    from docexec.userland import tree as userland

    tree = userland.ensure(notify=lambda m: None)
    loader = next(tree.glob("usr/lib*/ld-linux*.so*"))
    libs = ":".join(str(p) for p in sorted(tree.glob("usr/lib/*-linux-gnu")))
    path = debs.resolve_in(tree, program)
    return [str(debs.resolve_in(tree, "/" + str(loader.relative_to(tree)))), "--library-path", libs,
            "--argv0", program.rsplit("/", 1)[-1], str(path), *args]
# The Docker SDK is imported above, before any test: pytester's in-process runs (test_plugin, test_engines) drop
# every module first imported during the inner run, and a Docker SDK imported there and dropped leaves this process
# with two copies of http.cookiejar's classes, so every later connection fails ("You can only merge into CookieJar").


@pytest.fixture(scope="session")
def config() -> Settings:
    return load_config(ROOT)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def env_for_throwaway_recording() -> dict[str, str]:
    """The environment for `docexec record` on a throwaway project in a temp folder. CI=true refuses recording
    to protect the repository's reviewed recordings; these tests record nothing of the repository."""
    return {k: v for k, v in os.environ.items() if k != "CI"}


class Engine:
    """Where these tests' pages run: in labs (the default wherever they can run) or on a shared daemon."""

    def __init__(self, mode: str, daemon: Daemon | None = None) -> None:
        self.mode, self.daemon = mode, daemon

    def leftovers(self, names: set[str] | None = None) -> list[str]:
        """What runs left behind: labs, their processes and cgroups; on a shared daemon, labelled objects (only
        those named, if given: other people may be recording on the same daemon)."""
        from docexec import lab

        left = [item for item in lab.leftovers() if not any(keep in item for keep in _SHARED_LABS)]
        if self.daemon is not None:
            labelled = self.daemon.janitor.labelled()
            left += sorted(set(labelled) & names) if names is not None else labelled
        return left


_SHARED_LABS: set[str] = set()  # labs that play a shared daemon: not left over, in use by a fixture


def _skip_or_fail(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def engine():  # type: ignore[no-untyped-def]
    """Pages can run here: in labs, or on the shared daemon where labs cannot run. Skipped on a laptop with
    neither, a failure when CI=true."""
    from docexec.hosts.daemon import Daemon
    from docexec.hosts.mode import choose_mode

    try:
        mode = choose_mode()
        if mode == "lab":
            yield Engine("lab")
            return
        d = Daemon.connect()
    except DaemonUnavailable as exc:
        _skip_or_fail(str(exc))
    yield Engine("shared", d)
    d.close()


@pytest.fixture
def labs(engine: Engine) -> None:
    """Labs can run here (the test runs in one); skipped where only the shared daemon can."""
    if engine.mode != "lab":
        pytest.skip("labs cannot run here")


@pytest.fixture(scope="module")
def shared_lab():  # type: ignore[no-untyped-def]
    """A lab whose Docker daemon plays the machine's shared daemon, for the tests of the shared-daemon mode
    (the fallback where labs cannot run): they need a daemon that other things may share, and CI has none."""
    from docexec.lab import Lab, unsupported_reason

    reason = unsupported_reason()
    if reason:
        _skip_or_fail(reason)
    from docexec.hosts.daemon import load_lesson_images

    with Lab.for_hosts(["shared"], label="tests: a shared daemon") as made:
        _SHARED_LABS.add(made.id)
        load_lesson_images(f"unix://{made.host().socket}", load_config(ROOT))
        yield made


@pytest.fixture
def daemon(shared_lab, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
           tmp_path_factory: pytest.TempPathFactory):
    """The shared-daemon mode, on `shared_lab`'s daemon: DOCEXEC_LAB=no and DOCKER_HOST pointing at it, for this
    test and the processes it starts."""
    from docexec.hosts.daemon import Daemon

    monkeypatch.setenv("DOCEXEC_LAB", "no")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{shared_lab.host().socket}")
    if shutil.which("docker") is None:  # a machine with no docker CLI: the userland's plays the machine's
        folder = tmp_path_factory.mktemp("cli")
        (folder / "docker").write_text("#!/bin/sh\nexec " + " ".join(userland_tool("/usr/bin/docker")) + ' "$@"\n')
        (folder / "docker").chmod(0o755)
        monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    d = Daemon.connect()
    yield d
    d.close()


@pytest.fixture(autouse=True)
def _close_projects(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Close every Project a test made (each holds a Docker client), so no socket is left to the collector."""
    from docexec.book.project import Project

    made: list[Project] = []
    original = Project.__init__

    def tracking(self: Project, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(Project, "__init__", tracking)
    yield
    for project in made:
        project.close()


# What the make_project fixture gives a test: make(pages, extra_config="") -> Settings.
MakeProject = Callable[..., Settings]


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """A throwaway docexec project with the repository's lesson image and the given pages."""

    def make(pages: dict[str, str], extra_config: str = "") -> Settings:
        (tmp_path / "docs").mkdir(exist_ok=True)
        (tmp_path / "pyproject.toml").write_text(
            f'[tool.docexec]\nimages_dir = "{ROOT / "images"}"\nworkdir = "{tmp_path / "work"}"\n{extra_config}')
        for name, text in pages.items():
            path = tmp_path / "docs" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return load_config(tmp_path)

    return make


MACHINE = ("test_lab", "test_hostile", "test_lab_spare", "test_lab_start", "test_compose", "test_contributor",
           "test_file_kind", "test_runner", "test_topology")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist (--dist loadgroup, as `nox -s tests` runs it), a test module stays on one worker, and so
    do all browser tests: they share fixtures that are costly to make twice (the built site, a shared lab)."""
    for item in items:
        path = Path(str(item.fspath))
        if ROOT / "tests" not in path.parents:
            continue  # pages under docs/ are grouped by the drift-check plugin, one group per page
        group = "browser" if (ROOT / "tests" / "browser") in path.parents else path.stem
        # test_lab changes the machine, test_hostile compares it before/after, test_lab_spare kills processes
        # whose labs are left over until it sweeps them: the modules that check the whole machine for leftover labs
        # run on the same worker as it (a full run once saw its killed recorder's lab from test_lab_start)
        if group in MACHINE:
            group = "machine"
        item.add_marker(pytest.mark.xdist_group(group))


def load_tool(name: str) -> ModuleType:
    """A script of tools/ (not a package: run as `python tools/NAME.py`), imported for its tests."""
    spec = importlib.util.spec_from_file_location(f"{name}_under_test", ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
