"""userland.lock: the lab userland's Debian packages, each pinned by version, sha256 and archive path, and the
hashes of the files lesson images take from the tree. One package a line, so a moved pin is one line of a diff."""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from pathlib import Path

from docexec.core.errors import DocexecError

LOCK = Path(__file__).with_name("userland.lock")
SUITES = ("bookworm", "bookworm-updates", "bookworm-security")


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    sha256: str
    filename: str  # its path in the archive (pool/main/...)


@dataclass(frozen=True)
class Lock:
    """userland.lock: the packages (for one architecture) and the hashes of the files lesson images take."""

    architecture: str
    suites: tuple[str, ...]
    packages: tuple[Pin, ...]
    files: dict[str, str]  # absolute path in the tree -> sha256

    @classmethod
    def load(cls, path: Path = LOCK) -> Lock:
        try:
            data = json.loads(path.read_text())
            return cls(data["architecture"], tuple(data["suites"]),
                       tuple(Pin(**p) for p in data["packages"]), dict(data["files"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DocexecError(f"{path}: not a readable userland lock ({exc}); `docexec engines --update` "
                               "writes one") from None

    def digest(self) -> str:
        return hashlib.sha256(json.dumps([p.sha256 for p in self.packages]).encode()).hexdigest()

    def dump(self, path: Path = LOCK) -> None:
        """One package a line, sorted, so that a moved pin is one line of the diff."""
        lines = ['{', f'  "architecture": {json.dumps(self.architecture)},',
                 f'  "suites": {json.dumps(list(self.suites))},', '  "packages": [']
        pins = sorted(self.packages, key=lambda p: p.name)
        lines += [f"    {json.dumps(p.__dict__)}" + ("," if n < len(pins) - 1 else "") for n, p in enumerate(pins)]
        lines += ['  ],', f'  "files": {json.dumps(dict(sorted(self.files.items())), indent=4)[:-1]}  }}', '}']
        path.write_text("\n".join(lines) + "\n")

    def file_sha256(self, path: str) -> str:
        if path not in self.files:
            raise DocexecError(f"{path} is not among the userland's file hashes in {LOCK}: run "
                               "`docexec engines --update` after adding it to an image")
        return self.files[path]


def architecture() -> str:
    """This machine's architecture as Debian names it."""
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf", "i686": "i386"}.get(machine, machine)
