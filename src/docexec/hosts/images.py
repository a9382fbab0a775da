"""Lesson images, built from folders under images/ with nothing pulled from a registry and nothing of the machine.

A folder holds a Dockerfile and an `image.toml`:

    tag = "busybox:latest"
    [files]                 # copied into the build context from the lab userland (pinned Debian packages)
    busybox = "/usr/bin/busybox"

An image's content hash covers its folder and the sha256 the userland's lock gives for each of its files, so it is
known without Docker, without the packages and without any file of the machine (the offline build needs it).
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from docexec.core.errors import DocexecError
from docexec.policy.page_images import normalize
from docexec.userland.debs import resolve_in, sha256
from docexec.userland.lock import Lock


@dataclass(frozen=True)
class ImageSpec:
    name: str
    tag: str
    folder: Path
    files: dict[str, str]  # name in the build context -> its path in the lab userland

    def digest(self, lock: Lock | None = None) -> str:
        """Content hash of everything that goes into the build: it decides whether to rebuild. image.toml itself
        is left out: what it says that matters (the tag, each file's content) is hashed as such."""
        lock = lock or Lock.load()
        h = hashlib.sha256(self.tag.encode())
        for path in sorted(p for p in self.folder.rglob("*") if p.is_file() and p.name != "image.toml"):
            h.update(path.relative_to(self.folder).as_posix().encode() + b"\0" + path.read_bytes())
        for dest, source in sorted(self.files.items()):
            h.update(dest.encode() + b"\0" + bytes.fromhex(lock.file_sha256(source)))
        return h.hexdigest()

    def make_context(self, context: Path, userland: Path, lock: Lock | None = None) -> None:
        """Write the build context: the folder, and each file from the unpacked userland (checked against the
        lock)."""
        lock = lock or Lock.load()
        shutil.copytree(self.folder, context, dirs_exist_ok=True)
        for dest, source in self.files.items():
            found = resolve_in(userland, source)
            if sha256(found) != lock.file_sha256(source):
                raise DocexecError(f"{self.folder / 'image.toml'}: the userland's {source} is not the pinned file")
            shutil.copy(found, context / dest)  # with its mode: busybox must stay executable

    def used_by(self, words: list[str]) -> bool:
        """Whether a page with these words names the image, spelled any way Docker reads it (`busybox`,
        `busybox:latest`, `docker.io/library/busybox`): the lab gets the images its page names."""
        tag = normalize(self.tag)
        return any(normalize(w) == tag for w in words if w)


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
        if "host_files" in table:
            raise DocexecError(f"{meta}: [host_files] (files of this machine) is no longer read: name the files "
                               "of the lab userland under [files] instead, e.g. busybox = \"/usr/bin/busybox\"")
        files = table.get("files", {})
        if not isinstance(files, dict) or not all(isinstance(v, str) and v.startswith("/") for v in files.values()):
            raise DocexecError(f"{meta}: [files] maps names in the build context to absolute paths in the lab "
                               "userland, e.g. busybox = \"/usr/bin/busybox\"")
        specs.append(ImageSpec(name=folder.name, tag=str(table["tag"]), folder=folder, files=dict(files)))
    return specs
