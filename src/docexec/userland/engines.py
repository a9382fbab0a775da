"""Fetch another Docker engine from Debian's packages, pinned, without touching the system.

An engine listed in `[[tool.docexec.engines]]` with a `debian` table is a set of .deb files (dockerd, containerd,
the docker CLI), each pinned by version and sha256, put first on the PATH of a lab whose other programs are the lab
userland's (userland.py). `fetch` asks apt for them with a private sources list and
state folder (the machine's own mirror, from its apt sources, with the engine's suite), checks every sum, and
unpacks them with `dpkg-deb -x` into the engine's folder. Nothing is installed and the system's apt state is not
changed. A finished fetch leaves a stamp naming the pins, so the next one costs nothing.

The project's docker CLI plugins ([tool.docexec.cli_plugins]: Debian's docker-compose, the Go `docker compose`)
are fetched the same way into their own folder, which every engine's labs get.

When Debian no longer serves a pinned version (a suite like sid moves on), the fetch fails and says which version
it serves now and how to move the pin.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from docexec.core.config import CliPlugins, DebianPackage, EngineSpec
from docexec.core.errors import DocexecError
from docexec.userland.apt import PrivateApt
from docexec.userland.debs import sha256

STAMP = ".fetched.json"


def fetch(spec: EngineSpec | CliPlugins, cache: Path, notify: Callable[[str], None] = print) -> bool:
    """Make sure the engine's binaries (or the CLI plugins) are unpacked in `spec.into`; False when they already
    were."""
    if not spec.packages or spec.into is None:
        return False
    stamp = spec.into / STAMP
    wanted = _pins(spec)
    try:
        if json.loads(stamp.read_text()) == wanted and not spec.missing():
            return False
    except (OSError, ValueError):
        pass
    for tool in ("apt-get", "apt-cache", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise DocexecError(f"{spec.what}: fetching it needs {tool} (Debian's apt and dpkg)")
    apt = PrivateApt(cache / "apt" / spec.debian_suite, [spec.debian_suite])
    notify(f"docexec: fetching {spec.what} from Debian {spec.debian_suite} "
           f"({', '.join(f'{p.name} {p.version}' for p in spec.packages)})")
    apt.update()
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    files = [_download(apt, pkg, debs, spec.what) for pkg in spec.packages]
    target = spec.into.with_name(spec.into.name + ".partial")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for deb in files:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
    (target / STAMP).write_text(json.dumps(wanted, indent=2) + "\n")
    shutil.rmtree(spec.into, ignore_errors=True)
    target.rename(spec.into)
    problem = spec.missing()
    if problem:
        raise DocexecError(f"{problem} after unpacking {', '.join(p.name for p in spec.packages)}: "
                           "the path or cli in pyproject.toml does not match the packages")
    notify(f"docexec: {spec.what} in {spec.into}")
    return True


def _pins(spec: EngineSpec | CliPlugins) -> dict[str, object]:
    return {"suite": spec.debian_suite, "packages": [[p.name, p.version, p.sha256] for p in spec.packages]}


def _download(apt: PrivateApt, pkg: DebianPackage, into: Path, what: str) -> Path:
    for deb in into.glob(f"{pkg.name}_*.deb"):
        if sha256(deb) == pkg.sha256:
            return deb
    served = apt.served(pkg.name)
    if served != pkg.version:
        now = f"it now serves {served}" if served else f"it no longer has {pkg.name}"
        raise DocexecError(
            f"{what}: Debian {apt.suites[0]} no longer serves {pkg.name} {pkg.version} ({now}). "
            f"To move the pin: put the new version and its sha256 (apt-cache show {pkg.name}) in "
            "pyproject.toml's debian table, run ./nox -s engines, record the book again "
            f"({_record(what)}) and review the changed recordings like any other diff")
    deb = apt.download(pkg.name, pkg.version, into)
    actual = sha256(deb)
    if actual != pkg.sha256:
        deb.unlink()
        raise DocexecError(f"{what}: {deb.name} has sha256 {actual}, but pyproject.toml pins "
                           f"{pkg.sha256}; not using it")
    return deb


def _record(what: str) -> str:
    """The command that records the book again after `what` moved: an engine's pages, or every page."""
    return f"docexec record --engine {what.removeprefix('engine ')}" if what.startswith("engine ") else "docexec record"
