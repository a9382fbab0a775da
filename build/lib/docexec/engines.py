"""Fetch a second Docker engine from Debian's packages, pinned, without touching the system.

An engine listed in `[[tool.docexec.engines]]` with a `debian` table is a set of .deb files (dockerd, containerd,
the docker CLI), each pinned by version and sha256. `fetch` asks apt for them with a private sources list and
state folder (the machine's own mirror, from its apt sources, with the engine's suite), checks every sum, and
unpacks them with `dpkg-deb -x` into the engine's folder. Nothing is installed and the system's apt state is not
changed. A finished fetch leaves a stamp naming the pins, so the next one costs nothing.

When Debian no longer serves a pinned version (a suite like sid moves on), the fetch fails and says which version
it serves now and how to move the pin.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from .config import DebianPackage, EngineSpec
from .errors import DocexecError

STAMP = ".fetched.json"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def fetch(spec: EngineSpec, cache: Path, notify: Callable[[str], None] = print) -> bool:
    """Make sure the engine's binaries are unpacked in `spec.into`; False when they already were."""
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
            raise DocexecError(f"engine {spec.name}: fetching it needs {tool} (Debian's apt and dpkg)")
    apt = _PrivateApt(cache / "apt" / spec.debian_suite, spec.debian_suite)
    notify(f"docexec: fetching engine {spec.name} from Debian {spec.debian_suite} "
           f"({', '.join(f'{p.name} {p.version}' for p in spec.packages)})")
    apt.update()
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    files = [apt.download(pkg, debs, spec.name) for pkg in spec.packages]
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
                           "the engine's path or cli in pyproject.toml does not match the packages")
    notify(f"docexec: engine {spec.name} is in {spec.into}")
    return True


def _pins(spec: EngineSpec) -> dict[str, object]:
    return {"suite": spec.debian_suite, "packages": [[p.name, p.version, p.sha256] for p in spec.packages]}


def mirror() -> tuple[str, str]:
    """(URI, signed-by keyring) of the machine's main Debian archive, from its apt sources."""
    entries: list[tuple[str, str, str]] = []  # (uri, suites, signed-by)
    sources = Path("/etc/apt/sources.list.d")
    for path in sorted(sources.glob("*.sources")) if sources.is_dir() else []:
        for stanza in path.read_text().split("\n\n"):
            fields = dict(re.findall(r"(?m)^([A-Za-z-]+):\s*(.*)$", stanza))
            for uri in fields.get("URIs", "").split():
                entries.append((uri, fields.get("Suites", ""), fields.get("Signed-By", KEYRING)))
    lists = [Path("/etc/apt/sources.list"), *(sorted(sources.glob("*.list")) if sources.is_dir() else [])]
    for path in lists:
        if path.is_file():
            for m in re.finditer(r"(?m)^deb\s+(?:\[([^]]*)\]\s+)?(\S+)\s+(\S+)", path.read_text()):
                key = re.search(r"signed-by=(\S+)", m.group(1) or "")
                entries.append((m.group(2), m.group(3), key.group(1) if key else KEYRING))
    for uri, suites, signed in entries:
        if "security" not in uri and "security" not in suites:
            return uri, signed
    raise DocexecError("no Debian archive in this machine's apt sources (/etc/apt/sources.list.d); "
                       "engines are fetched from the mirror apt already uses")


class _PrivateApt:
    """apt-get and apt-cache with their own sources list, lists and cache: the system's state is not touched."""

    def __init__(self, folder: Path, suite: str) -> None:
        self.folder, self.suite = folder, suite
        for sub in ("lists/partial", "cache/archives/partial"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self.arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                                   check=True).stdout.strip()  # apt-get download names files with it
        uri, signed = mirror()
        (folder / "sources.list").write_text(f"deb [signed-by={signed}] {uri} {suite} main\n")
        self.options = ["-o", f"Dir::Etc::sourcelist={folder / 'sources.list'}", "-o", "Dir::Etc::sourceparts=-",
                        "-o", f"Dir::State::Lists={folder / 'lists'}", "-o", f"Dir::Cache={folder / 'cache'}",
                        "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root"]

    def _run(self, tool: str, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run([tool, *self.options, *args], capture_output=True, text=True, cwd=cwd, check=False)
        if done.returncode != 0:
            raise DocexecError(f"{tool} {' '.join(args)} failed: {(done.stderr or done.stdout).strip()[-600:]}")
        return done.stdout

    def update(self) -> None:
        self._run("apt-get", "-qq", "update")

    def served(self, name: str) -> str:
        """The version of `name` the suite serves now ('' if none)."""
        match = re.search(r"(?m)^\s*Candidate:\s*(\S+)", self._run("apt-cache", "policy", name))
        return match.group(1) if match and match.group(1) != "(none)" else ""

    def download(self, pkg: DebianPackage, into: Path, engine: str) -> Path:
        deb = into / f"{pkg.name}_{pkg.version.replace(':', '%3a')}_{self.arch}.deb"
        if not (deb.is_file() and _sha256(deb) == pkg.sha256):
            served = self.served(pkg.name)
            if served != pkg.version:
                now = f"it now serves {served}" if served else f"it no longer has {pkg.name}"
                raise DocexecError(
                    f"engine {engine}: Debian {self.suite} no longer serves {pkg.name} {pkg.version} ({now}). "
                    f"To move the pin: put the new version and its sha256 (apt-cache show {pkg.name}) in "
                    "pyproject.toml's [tool.docexec.engines.debian], run ./nox -s engines, record the book again "
                    f"(docexec record --engine {engine}) and review the changed recordings like any other diff")
            self._run("apt-get", "-qq", "download", f"{pkg.name}={pkg.version}", cwd=into)
            if not deb.is_file():
                raise DocexecError(f"engine {engine}: apt-get download left no {deb.name}")
        actual = _sha256(deb)
        if actual != pkg.sha256:
            deb.unlink()
            raise DocexecError(f"engine {engine}: {deb.name} has sha256 {actual}, but pyproject.toml pins "
                               f"{pkg.sha256}; not using it")
        return deb


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
