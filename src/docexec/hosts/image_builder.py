"""Lesson images in a Docker daemon: built from images/ (once per content hash, labelled with it), saved as a
tarball in the cache, and loaded from there into each fresh daemon (a lab's)."""

from __future__ import annotations

import glob
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from docexec.core.errors import RefusedToRecord
from docexec.core.files import atomic_writer
from docexec.core.labels import IMAGE_LABEL
from docexec.hosts.images import ImageSpec

if TYPE_CHECKING:
    import docker


TARBALL_DIGITS = 16  # a cached tarball is named <image name>-<the first 16 hex digits of its content hash>.tar


class ImageBuilder:
    """The lesson images of one daemon (through its SDK client)."""

    def __init__(self, client: docker.DockerClient, userland: Path | None = None) -> None:
        self.client = client
        self.userland = userland or Path("/nonexistent")  # the unpacked lab userland (files of lesson images)

    def ensure_image(self, spec: ImageSpec) -> bool:
        """Build `spec` unless an image with the same content hash is there. Returns True if it built."""
        import docker.errors

        digest = spec.digest()
        try:
            image = self.client.images.get(spec.tag)
            labels = image.labels or {}
            if labels.get(IMAGE_LABEL) == digest:
                return False
            if IMAGE_LABEL not in labels:
                raise RefusedToRecord(
                    f"an image tagged {spec.tag} exists that docexec did not build (from a registry?); the "
                    f"lessons' outputs depend on the one built from {spec.folder}. Remove or retag it "
                    f"(docker image tag {spec.tag} {spec.tag.split(':')[0]}:mine && docker image rm {spec.tag}).")
        except docker.errors.ImageNotFound:
            pass
        with tempfile.TemporaryDirectory(prefix="docexec-image-") as tmp:
            context = Path(tmp)
            spec.make_context(context, self.userland)
            # network_mode none: the build's RUN container never joins docker0. Built in a page's own lab (the first
            # page of a fresh clone), it would otherwise leave the bridge with an IPv6 link-local address that a
            # page looking at the empty docker0 then shows.
            self.client.images.build(path=str(context), tag=spec.tag, labels={IMAGE_LABEL: digest},
                                     rm=True, forcerm=True, pull=False, network_mode="none")
        return True

    def load_image(self, spec: ImageSpec, cache: Path) -> None:
        """Give a fresh daemon (a lab's) the lesson image: loaded from a `docker save` tarball cached per content
        hash, which is built (in this daemon) and saved the first time."""
        tarball = cache / f"{spec.name}-{spec.digest()[:TARBALL_DIGITS]}.tar"
        if tarball.is_file():
            with open(tarball, "rb") as fh:
                self.client.images.load(fh)
            return
        self.ensure_image(spec)
        cache.mkdir(parents=True, exist_ok=True)
        # this image's tarballs only: busybox-*.tar would take busybox-net's too
        for old in cache.glob(f"{glob.escape(spec.name)}-{'[0-9a-f]' * TARBALL_DIGITS}.tar"):
            old.unlink(missing_ok=True)
        with atomic_writer(tarball) as fh:
            for chunk in self.client.images.get(spec.tag).save(named=True):
                fh.write(chunk)
