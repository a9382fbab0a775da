"""constraints.txt installs on the stock python3 of Debian 12 (3.11.2), Ubuntu 24.04 (3.12.3) and Debian 13 (3.13.5),
checked without the network against what pip answered for each pin (constraints-pythons.json, written by
tools/pins.py): each Python gets exactly one pin of each package, that pin's Requires-Python admits it, and pip
installs it there from a wheel built for it (a stock root has no compiler) or from a pure-Python sdist."""

from __future__ import annotations

import importlib.metadata
import json
import sys
from typing import Any

import pytest
from packaging import tags
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename

from .conftest import ROOT, load_tool

# The stock Pythons README's commands must work on: the record must cover each of them.
STOCK = {"3.11.2": "Debian 12", "3.12.3": "Ubuntu 24.04", "3.13.5": "Debian 13"}
# Pins that come as an sdist only, built without a compiler (pure Python, a plain setup.py).
PURE_SDISTS = {"jieba"}
PINS = load_tool("pins")


def _record() -> dict[str, Any]:
    record: dict[str, Any] = json.loads((ROOT / "constraints-pythons.json").read_text())
    return record


def _wheel_fits(filename: str, python: str) -> bool:
    major, minor = (int(n) for n in python.split(".")[:2])
    platforms = PINS.platforms(PINS.STOCK_PYTHONS[python][1])
    supported = {*tags.cpython_tags((major, minor), abis=[f"cp{major}{minor}"], platforms=platforms),
                 *tags.compatible_tags((major, minor), f"cp{major}{minor}", platforms)}
    return bool(parse_wheel_filename(filename)[3] & supported)


def problems(constraints: str, record: dict[str, Any]) -> list[str]:
    """Why this constraints file would not install on a stock Python, given the record: nothing when it does."""
    found = []
    pins = PINS.read_pins(constraints)
    for python, distribution in STOCK.items():
        if python not in record["pythons"]:
            found.append(f"the record has no entry for {distribution}'s Python {python}: run ./nox -s pins")
        for name, versions in PINS.selected(pins, python).items():
            where = f"{distribution}'s Python {python}"
            if len(versions) != 1:
                found.append(f"{name}: {len(versions)} pins apply on {where}: {versions}")
                continue
            key = f"{name}=={versions[0]}"
            entry = record["pins"].get(key)
            if entry is None:
                found.append(f"{key} is not in constraints-pythons.json: run ./nox -s pins")
                continue
            if not SpecifierSet(entry["requires_python"]).contains(python, prereleases=True):
                found.append(f"{key} needs Python {entry['requires_python']}, not {where}: "
                             f"pin an older version there with a marker (; python_full_version < ...)")
                continue
            filename = entry["files"].get(python)
            if filename is None:
                found.append(f"{key}: pip found no file for {where}: run ./nox -s pins")
            elif filename.endswith(".whl"):
                if not _wheel_fits(filename, python):
                    found.append(f"{key}: {filename} does not install on {where}")
            elif name not in PURE_SDISTS:
                found.append(f"{key} has no wheel for {where} ({filename}): building it needs a compiler")
    return found


def test_every_pin_installs_on_each_stock_python() -> None:
    assert problems((ROOT / "constraints.txt").read_text(), _record()) == []


def test_a_pin_that_needs_a_newer_python_is_found() -> None:
    """What constraints.txt was before its markers: pymdown-extensions 13 everywhere, which Debian 12 cannot have."""
    record = _record()
    unmarked = "\n".join(line.split(";")[0] for line in (ROOT / "constraints.txt").read_text().splitlines()
                         if not line.startswith("pymdown-extensions==12."))
    assert problems(unmarked, record) == [
        "pymdown-extensions==13.1.2 needs Python >=3.11.5, not Debian 12's Python 3.11.2: "
        "pin an older version there with a marker (; python_full_version < ...)"]
    assert any("pymdown-extensions==12.3 is not in" in p for p in problems("pymdown-extensions==12.3\n", {
        "pythons": STOCK, "pins": {}}))


def test_a_pin_without_a_wheel_for_a_python_is_found() -> None:
    record = _record()
    key = next(k for k, v in record["pins"].items() if "cp313-cp313" in v["files"].get("3.13.5", ""))
    record["pins"][key]["files"]["3.13.5"] = f"{key.replace('==', '-')}.tar.gz"
    assert any(p.startswith(f"{key} has no wheel for Debian 13's") for p in
               problems((ROOT / "constraints.txt").read_text(), record))
    record["pins"][key]["files"]["3.13.5"] = record["pins"][key]["files"]["3.11.2"]  # a cp311 wheel on 3.13
    assert any(p.startswith(f"{key}: ") and "does not install on Debian 13's" in p for p in
               problems((ROOT / "constraints.txt").read_text(), record))


def test_the_record_agrees_with_what_is_installed_here() -> None:
    """The recorded Requires-Python of each pin installed in this environment is the one of its metadata."""
    record = _record()
    here = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    compared = 0
    for name, versions in PINS.selected(PINS.read_pins((ROOT / "constraints.txt").read_text()), here).items():
        try:
            installed = importlib.metadata.metadata(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if installed["Version"] != versions[0]:
            continue
        compared += 1
        assert canonicalize_name(installed["Name"]) == name
        assert record["pins"][f"{name}=={versions[0]}"]["requires_python"] == (installed["Requires-Python"] or "")
    if compared == 0:
        pytest.skip("no pin of constraints.txt is installed here")
