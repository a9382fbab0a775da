"""The pins of constraints.txt on the stock Pythons of the Linux distributions README's commands must work on.

    python tools/pins.py          (./nox -s pins: after moving a pin; asks PyPI, through pip)

For each stock Python below, it selects the pins that constraints.txt gives that Python (environment markers such
as `; python_full_version < "3.11.5"` choose an older pin where the newest needs a newer Python), asks pip which file
it would install for each on that Python and on x86-64 Linux with that distribution's glibc (`pip install --dry-run
--no-deps --python-version ... --platform ...`, nothing installed), and writes what pip found — each pin's
Requires-Python and file — to constraints-pythons.json. tests/test_constraints.py checks constraints.txt against that
record without the network: every pin is recorded, its Requires-Python admits each stock Python it is selected for,
and it installs there from a wheel (no compiler in a stock root) or from an sdist known to be pure Python.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

TOP = Path(__file__).resolve().parent.parent
CONSTRAINTS = TOP / "constraints.txt"
RECORD = TOP / "constraints-pythons.json"
# The stock python3 of each distribution README's commands must work on, and that distribution's glibc.
STOCK_PYTHONS = {
    "3.11.2": ("Debian 12", (2, 36)),
    "3.12.3": ("Ubuntu 24.04", (2, 39)),
    "3.13.5": ("Debian 13", (2, 41)),
}


def read_pins(text: str) -> list[Requirement]:
    """The requirements of a constraints file: one `name==version [; marker]` a line, # comments."""
    pins = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if line:
            pins.append(Requirement(line))
    return pins


def environment(python: str) -> dict[str, str]:
    """The marker environment of a stock CPython of this version on x86-64 Linux."""
    env = {key: str(value) for key, value in default_environment().items()}
    env.update(python_version=".".join(python.split(".")[:2]), python_full_version=python,
               implementation_name="cpython", implementation_version=python,
               platform_python_implementation="CPython", sys_platform="linux", platform_system="Linux",
               os_name="posix", platform_machine="x86_64")
    return env


def selected(pins: list[Requirement], python: str) -> dict[str, list[str]]:
    """Each package's pinned versions that apply on this Python (exactly one when the file is right)."""
    env = environment(python)
    chosen: dict[str, list[str]] = {}
    for pin in pins:
        if pin.marker is None or pin.marker.evaluate(env):
            versions = [str(s.version) for s in pin.specifier if s.operator == "=="]
            chosen.setdefault(canonicalize_name(pin.name), []).extend(versions or [str(pin.specifier)])
    return chosen


def platforms(glibc: tuple[int, int]) -> list[str]:
    """The wheel platform tags of x86-64 Linux with this glibc, newest first (pip takes them as given)."""
    return [*(f"manylinux_{glibc[0]}_{m}_x86_64" for m in range(glibc[1], 4, -1)),
            "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]


def pip_report(python: str, glibc: tuple[int, int], requirements: list[str]) -> list[dict[str, object]]:
    """What pip would install for these exact requirements on that Python (no dependencies: the file is complete)."""
    minor = "".join(python.split(".")[:2])
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "requirements.txt").write_text("\n".join(requirements) + "\n")
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--dry-run",
                   "--ignore-installed", "--no-deps", "--python-version", python, "--implementation", "cp",
                   "--abi", f"cp{minor}", *[a for p in platforms(glibc) for a in ("--platform", p)],
                   "--target", str(Path(tmp) / "target"), "--report", str(Path(tmp) / "report.json"),
                   "-r", str(Path(tmp) / "requirements.txt")]
        subprocess.run(command, check=True)
        installs: list[dict[str, object]] = json.loads((Path(tmp) / "report.json").read_text())["install"]
        return installs


def record() -> dict[str, object]:
    pins = read_pins(CONSTRAINTS.read_text())
    found: dict[str, dict[str, object]] = {}
    for python, (distribution, glibc) in STOCK_PYTHONS.items():
        chosen = selected(pins, python)
        for name, versions in chosen.items():
            if len(versions) != 1:
                raise SystemExit(f"constraints.txt pins {name} {len(versions)} times for Python {python}: {versions}")
        print(f"{distribution}, Python {python}: {len(chosen)} pins", file=sys.stderr)
        for item in pip_report(python, glibc, [f"{n}=={v[0]}" for n, v in chosen.items()]):
            metadata, download = item["metadata"], item["download_info"]
            assert isinstance(metadata, dict) and isinstance(download, dict)
            key = f"{canonicalize_name(metadata['name'])}=={metadata['version']}"
            entry = found.setdefault(key, {"requires_python": metadata.get("requires_python") or "", "files": {}})
            files = entry["files"]
            assert isinstance(files, dict)
            files[python] = str(download["url"]).rsplit("/", 1)[-1]
    return {
        "about": "Written by tools/pins.py from pip's answers: for each pin of constraints.txt, its Requires-Python "
                 "and the file pip installs on each stock Python it is selected for (x86-64 Linux).",
        "pythons": {python: distribution for python, (distribution, _) in STOCK_PYTHONS.items()},
        "pins": dict(sorted(found.items())),
    }


def main() -> None:
    RECORD.write_text(json.dumps(record(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {RECORD.relative_to(TOP)}", file=sys.stderr)


if __name__ == "__main__":
    main()
