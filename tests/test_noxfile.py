"""The nox sessions install the package once, and again only when pyproject.toml or constraints.txt change."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


class _FakeSession:
    def __init__(self, location: Path) -> None:
        self.virtualenv = types.SimpleNamespace(location=str(location))
        self.installs: list[tuple[str, ...]] = []
        self.logged: list[str] = []

    def install(self, *args: str) -> None:
        self.installs.append(args)

    def log(self, message: str) -> None:
        self.logged.append(message)


def _noxfile(monkeypatch: pytest.MonkeyPatch) -> Any:
    """noxfile.py imported with a stand-in for nox (which runs the sessions but is not installed in them)."""
    fake = types.ModuleType("nox")
    fake.options = types.SimpleNamespace()  # type: ignore[attr-defined]
    fake.Session = _FakeSession  # type: ignore[attr-defined]

    def session(*args: Any, **kwargs: Any) -> Any:
        return args[0] if args and callable(args[0]) else (lambda function: function)

    fake.session = session  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nox", fake)
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_warm_session_skips_the_install_until_pyproject_or_constraints_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    noxfile = _noxfile(monkeypatch)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    venv = tmp_path / "venv"
    venv.mkdir()
    session = _FakeSession(venv)

    noxfile._install(session, ".[docs]")
    noxfile._install(session, ".[docs]")
    assert len(session.installs) == 1, "the second, warm call installed again"
    assert "-c" in session.installs[0] and "constraints.txt" in session.installs[0]

    noxfile._install(session, ".[docs,test]")  # another spec in the same environment
    assert len(session.installs) == 2

    for name in ("constraints.txt", "pyproject.toml"):
        with open(tmp_path / name, "a", encoding="utf-8") as fh:
            fh.write("\n# changed\n")
        noxfile._install(session, ".[docs,test]")
    assert len(session.installs) == 4, "a changed constraints.txt or pyproject.toml did not reinstall"


class _FailingOnce(_FakeSession):
    def install(self, *args: str) -> None:
        if not self.logged:
            self.logged.append("failed")
            raise RuntimeError("pip failed")
        super().install(*args)


def test_a_failed_install_is_tried_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    noxfile = _noxfile(monkeypatch)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    session = _FailingOnce(tmp_path)
    with pytest.raises(RuntimeError):
        noxfile._install(session, ".[docs]")
    noxfile._install(session, ".[docs]")
    assert len(session.installs) == 1


class _Serving(_FakeSession):
    def __init__(self, location: Path, posargs: list[str]) -> None:
        super().__init__(location)
        self.posargs = posargs
        self.ran: list[tuple[str, ...]] = []

    def run(self, *args: str, **kwargs: Any) -> None:
        self.ran.append(args)


@pytest.mark.parametrize(("address", "posargs", "expected"), [
    (None, [], ("-a", "127.0.0.1:8000", "--dirty")),
    ("0.0.0.0:8000", [], ("-a", "0.0.0.0:8000", "--dirty")),  # the contributors' container (README)
    ("0.0.0.0:8000", ["-a", "127.0.0.1:9000"], ("-a", "127.0.0.1:9000")),  # arguments given replace the defaults
])
def test_serve_listens_on_serve_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, address: str | None,
                                        posargs: list[str], expected: tuple[str, ...]) -> None:
    noxfile = _noxfile(monkeypatch)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    if address is None:
        monkeypatch.delenv("SERVE_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("SERVE_ADDRESS", address)
    session = _Serving(tmp_path, posargs)
    noxfile.serve(session)
    assert session.ran == [("mkdocs", "serve", *expected)]
