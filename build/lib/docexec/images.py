"""Lesson images, built from folders under images/ with nothing pulled from a registry.

A folder holds a Dockerfile and an `image.toml`:

    tag = "busybox:latest"
    [host_files]            # files copied into the build context from this machine
    busybox = "/bin/busybox"
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import DocexecError


@dataclass(frozen=True)
class ImageSpec:
    name: str
    tag: str
    folder: Path
    host_files: dict[str, Path]

    def digest(self) -> str:
        """Content hash of everything that goes into the build: it decides whether to rebuild."""
        h = hashlib.sha256(self.tag.encode())
        for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
            h.update(path.relative_to(self.folder).as_posix().encode() + b"\0" + path.read_bytes())
        for dest, source in sorted(self.host_files.items()):
            if not source.is_file():
                raise DocexecError(f"{self.folder / 'image.toml'}: host file {source} is missing "
                                   "(on Debian: apt-get install busybox-static tzdata)")
            h.update(dest.encode() + b"\0" + hashlib.sha256(source.read_bytes()).digest())
        return h.hexdigest()

    def used_by(self, words: list[str]) -> bool:
        repo, _, tag = self.tag.partition(":")
        return any(w == self.tag or (w == repo and tag == "latest") for w in words)


def load_images(images_dir: Path) -> list[ImageSpec]:
    specs: list[ImageSpec] = []
    if not images_dir.is_dir():
        return specs
    for folder in sorted(p for p in images_dir.iterdir() if p.is_dir()):
        meta = folder / "image.toml"
        if not (folder / "Dockerfile").is_file() or not meta.is_file():
            raise DocexecError(f"{folder}: a lesson image folder needs a Dockerfile and an image.toml")
        with open(meta, "rb") as fh:
            table = tomllib.load(fh)
        if "tag" not in table:
            raise DocexecError(f"{meta}: needs tag = \"name:version\"")
        specs.append(ImageSpec(name=folder.name, tag=str(table["tag"]), folder=folder,
                               host_files={k: Path(v) for k, v in table.get("host_files", {}).items()}))
    return specs
