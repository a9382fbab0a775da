"""apt with a state of its own: a private sources list, lists and cache, so that nothing of the system's apt
changes. It answers what Debian's archive serves now (versions, sums, dependencies); the pins it finds are then
fetched without apt (debs.py)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from docexec.core.errors import DocexecError
from docexec.userland.debs import KEYRING, archives
from docexec.userland.lock import Pin


class PrivateApt:
    """apt-get and apt-cache over the given suites of Debian's archive (a suite named *-security from the security
    archive), with their own sources list, lists and cache."""

    def __init__(self, folder: Path, suites: Sequence[str]) -> None:
        self.folder, self.suites = folder, tuple(suites)
        for sub in ("lists/partial", "cache/archives/partial"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self.arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                                   check=True).stdout.strip()  # apt-get download names files with it
        main, security = archives()
        if not Path(KEYRING).is_file():
            raise DocexecError(f"asking Debian's archive needs its keyring {KEYRING} "
                               "(apt-get install debian-archive-keyring)")
        signed = f"signed-by={KEYRING}"
        (folder / "sources.list").write_text("".join(
            f"deb [{signed}] {security if suite.endswith('-security') else main} {suite} main\n" for suite in suites))
        self.options = ["-o", f"Dir::Etc::sourcelist={folder / 'sources.list'}", "-o", "Dir::Etc::sourceparts=-",
                        "-o", f"Dir::State::Lists={folder / 'lists'}", "-o", f"Dir::Cache={folder / 'cache'}",
                        "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root",
                        "-o", "Acquire::GzipIndexes=false"]
        self._shown: dict[str, dict[str, str] | None] = {}

    def _run(self, tool: str, *args: str, cwd: Path | None = None, check: bool = True) -> str:
        done = subprocess.run([tool, *self.options, *args], capture_output=True, text=True, cwd=cwd, check=False)
        if done.returncode != 0 and check:
            raise DocexecError(f"{tool} {' '.join(args)} failed: {(done.stderr or done.stdout).strip()[-600:]}")
        return done.stdout

    def update(self) -> None:
        self._run("apt-get", "-qq", "update")

    def served(self, name: str) -> str:
        """The version of `name` the suites serve now ('' if none)."""
        match = re.search(r"(?m)^\s*Candidate:\s*(\S+)", self._run("apt-cache", "policy", name))
        return match.group(1) if match and match.group(1) != "(none)" else ""

    def download(self, name: str, version: str, into: Path) -> Path:
        self._run("apt-get", "-qq", "download", f"{name}={version}", cwd=into)
        deb = into / f"{name}_{re.sub(r'^[0-9]+:', '', version).replace(':', '%3a')}_{self.arch}.deb"
        if not deb.is_file():
            found = sorted(into.glob(f"{name}_*.deb"))
            if not found:
                raise DocexecError(f"apt-get download {name}={version} left no .deb in {into}")
            deb = found[-1]
        return deb

    def show(self, name: str) -> dict[str, str] | None:
        """The candidate's record of a real package (None for a purely virtual or unknown name)."""
        if name not in self._shown:
            text = self._run("apt-cache", "show", "--no-all-versions", name, check=False)
            fields = dict(re.findall(r"(?m)^([A-Za-z0-9-]+): ?(.*)$", text.split("\n\n")[0])) if text else {}
            self._shown[name] = fields if fields.get("Package") == name else None
        return self._shown[name]

    def provider(self, name: str) -> str:
        """A package that provides the virtual `name` ('' if none)."""
        text = self._run("apt-cache", "showpkg", name, check=False)
        _, _, provides = text.partition("Reverse Provides:")
        found = re.findall(r"(?m)^(\S+) \S+", provides)
        return found[0] if found else ""

    def closure(self, roots: Iterable[str], excluded: Iterable[str], kept: Iterable[Pin] = ()) -> list[Pin]:
        """The candidates of `roots` and of everything they depend on (Depends and Pre-Depends; the first
        alternative that exists), less `excluded`. A package of `kept` (a lock's pins, closed under their own
        dependencies) keeps its pin: it is neither looked up again nor its dependencies followed, and a new
        package's versioned dependency on it must be met by the pinned version."""
        skip = set(excluded)
        pinned = {pin.name: pin for pin in kept}
        chosen: dict[str, dict[str, str]] = {}
        provided: set[str] = set()
        queue = list(roots)
        while queue:
            name = queue.pop(0)
            if name in chosen or name in skip or name in pinned:
                continue
            record = self.show(name)
            if record is None:
                raise DocexecError(f"{name}: Debian {'/'.join(self.suites)} has no such package")
            chosen[name] = record
            provided.update(re.findall(r"([a-z0-9][a-z0-9+.-]*)", record.get("Provides", "")))
            depends = record.get("Pre-Depends", "") + "," + record.get("Depends", "")
            _check_pinned(name, depends, pinned)
            for group in _groups(depends):
                if any(alt in chosen or alt in provided or alt in skip or alt in pinned for alt in group):
                    continue
                pick = next((alt for alt in group if self.show(alt) is not None), "")
                pick = pick or next((p for p in map(self.provider, group) if p), "")
                if not pick:
                    raise DocexecError(f"{name} depends on {' | '.join(group)}, which Debian does not serve")
                queue.append(pick)
        found = {n: Pin(n, r["Version"], r["SHA256"], r["Filename"]) for n, r in chosen.items()}
        return [found.get(n) or pinned[n] for n in sorted({*found, *pinned})]


# One alternative of a dependency: 'libc6 (>= 2.34)', 'python3:any' -> (name, relation or None, version or None)
_ALTERNATIVE = re.compile(r"\s*([^\s(:]+)(?::\w+)?\s*(?:\(\s*([<>=]+)\s*([^)\s]+)\s*\))?")


def _check_pinned(name: str, depends: str, pinned: dict[str, Pin]) -> None:
    """Refuse `name` when a versioned dependency of it names a pinned package whose pin does not meet it (and no
    alternative of the group does): keeping the pin would make a userland whose programs do not load."""
    for group in depends.split(","):
        alts = [m for m in map(_ALTERNATIVE.match, group.split("|")) if m]
        if not alts or not all(m.group(1) in pinned for m in alts):
            continue
        if not any(m.group(2) is None or _meets(pinned[m.group(1)].version, m.group(2), m.group(3)) for m in alts):
            raise DocexecError(f"{name} needs {group.strip()}, but the lock pins "
                               + ", ".join(f"{m.group(1)} {pinned[m.group(1)].version}" for m in alts)
                               + ": resolve every package anew with `docexec engines --update`")


def _meets(version: str, relation: str, wanted: str) -> bool:
    """Debian's version comparison (dpkg --compare-versions)."""
    op = {"<<": "lt", "<=": "le", "=": "eq", ">=": "ge", ">>": "gt", "<": "le", ">": "ge"}[relation]
    return subprocess.run(["dpkg", "--compare-versions", version, op, wanted], check=False).returncode == 0


def _groups(depends: str) -> list[list[str]]:
    """'a (>= 1) | b, c:any' -> [['a', 'b'], ['c']] (versions and architecture qualifiers dropped)."""
    groups = []
    for group in depends.split(","):
        names = [re.sub(r"[\s(].*$|:\w+$", "", alt.strip()) for alt in group.split("|")]
        names = [n for n in names if n]
        if names:
            groups.append(names)
    return groups
