"""Debian packages with nothing but Python: downloading a pinned .deb from the archive by its path (checked against
its sha256 before anything reads it) and unpacking its files into a tree, as a merged-/usr system has them.

No apt, dpkg or tar of the machine is used, so this works on any Linux host (and on macOS, for the lock's file
hashes). What a .deb holds is trusted only once its sha256 matches the pin; even then, a member that would land
outside the tree (an absolute or `..` path, or a path through a symlink) is refused.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import os
import re
import shutil
import subprocess
import tarfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from docexec.core.errors import DocexecError
from docexec.core.files import atomic_writer

DEFAULT_MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Debian 12's packages still ship files in /bin, /sbin and /lib; a merged-/usr system (Debian 12's own default,
# and every lab) has them in /usr.
MERGED = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib32": "usr/lib32", "lib64": "usr/lib64",
          "libx32": "usr/libx32"}
# Files no lab reads: left out of the tree (documentation, translations, manual pages).
SKIPPED = ("usr/share/doc/", "usr/share/man/", "usr/share/info/", "usr/share/locale/", "usr/share/lintian/",
           "usr/share/bug/")


def archives() -> tuple[str, str]:
    """(main, security) base URLs of Debian's archive: DOCEXEC_DEBIAN_MIRROR if set, else the mirror this machine's
    apt uses, else deb.debian.org."""
    main = os.environ.get("DOCEXEC_DEBIAN_MIRROR", "").rstrip("/")
    security = ""
    if not main:
        for uri, suites in _apt_sources():
            if "security" in uri or "security" in suites:
                security = security or uri.rstrip("/")
            elif not main:
                main = uri.rstrip("/")
    main = main or DEFAULT_MIRROR
    return main, security or (main + "-security" if main.endswith("/debian") else main)


def _apt_sources() -> Iterator[tuple[str, str]]:
    """(URI, suites) of each entry of this machine's apt sources, if it has any."""
    folder = Path("/etc/apt/sources.list.d")
    for path in sorted(folder.glob("*.sources")) if folder.is_dir() else []:
        for stanza in path.read_text().split("\n\n"):
            fields = dict(re.findall(r"(?m)^([A-Za-z-]+):\s*(.*)$", stanza))
            if "deb" in fields.get("Types", "deb").split() and fields.get("Enabled", "yes") != "no":
                for uri in fields.get("URIs", "").split():
                    yield uri, fields.get("Suites", "")
    for path in [Path("/etc/apt/sources.list"), *(sorted(folder.glob("*.list")) if folder.is_dir() else [])]:
        if path.is_file():
            for m in re.finditer(r"(?m)^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", path.read_text()):
                yield m.group(1), m.group(2)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(filename: str, expected: str, into: Path, bases: Sequence[str]) -> Path:
    """The .deb at `filename` (its path in the archive, e.g. pool/main/b/bash/bash_5.2.15-2+b2_amd64.deb), from
    the first archive that has it, kept in `into` once its sha256 is `expected`."""
    deb = into / PurePosixPath(filename).name
    if deb.is_file() and sha256(deb) == expected:
        return deb
    into.mkdir(parents=True, exist_ok=True)
    tried = []
    for base in bases:
        url = f"{base}/{filename}"
        try:
            with atomic_writer(deb) as out:  # kept only once its sha256 is the pin's
                with urllib.request.urlopen(url, timeout=60) as response:
                    actual = _copy_hashing(response, out)
                if actual != expected:
                    raise DocexecError(f"{url} has sha256 {actual}, but the pin says {expected}: not using it")
        except (urllib.error.URLError, OSError) as exc:
            tried.append(f"{url}: {getattr(exc, 'code', '') or getattr(exc, 'reason', '') or exc}")
            continue
        return deb
    raise DocexecError(f"{PurePosixPath(filename).name} could not be downloaded ({'; '.join(tried)}). Debian "
                       "removes a version from its archive when a newer one replaces it: move the pins with "
                       "`docexec engines --update` and record the book again")


def _copy_hashing(source: BinaryIO, out: BinaryIO) -> str:
    """Copy `source` to `out`; the sha256 of what was copied."""
    h = hashlib.sha256()
    while chunk := source.read(1 << 20):
        h.update(chunk)
        out.write(chunk)
    return h.hexdigest()


def data_tar(deb: Path) -> tarfile.TarFile:
    """The file system part of a .deb (an `ar` archive holding data.tar.xz, .gz, .zst or plain .tar)."""
    with open(deb, "rb") as fh:
        if fh.read(8) != b"!<arch>\n":
            raise DocexecError(f"{deb} is not a .deb (no ar header)")
        while header := fh.read(60):
            name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58].decode().strip())
            body = fh.read(size)
            fh.read(size % 2)
            if name.startswith("data.tar"):
                return tarfile.open(fileobj=io.BytesIO(_decompress(name, body, deb)), mode="r:")
    raise DocexecError(f"{deb} has no data.tar member")


def _decompress(name: str, body: bytes, deb: Path) -> bytes:
    if name.endswith(".xz"):
        return lzma.decompress(body)
    if name.endswith(".gz"):
        import gzip

        return gzip.decompress(body)
    if name.endswith(".zst"):
        for tool in (["zstd", "-dc"], ["unzstd", "-c"]):
            if shutil.which(tool[0]):
                return subprocess.run([*tool], input=body, capture_output=True, check=True).stdout
        raise DocexecError(f"{deb} is compressed with zstd: unpacking it needs the zstd program")
    if name == "data.tar":
        return body
    raise DocexecError(f"{deb}: unknown member {name}")


def merged_path(name: str) -> str:
    """A member's path in a merged-/usr tree: './bin/ls' -> 'usr/bin/ls'; '' for the tree's root."""
    parts = PurePosixPath(name.removeprefix("./")).parts
    if not parts or parts == (".",):
        return ""
    if any(p == ".." for p in parts) or PurePosixPath(name).is_absolute():
        raise DocexecError(f"a .deb member leaves its tree: {name}")
    head = MERGED.get(parts[0])
    return "/".join([head, *parts[1:]] if head else parts)


def unpack(deb: Path, tree: Path) -> list[str]:
    """Unpack the files of `deb` into `tree` with a merged /usr; returns the paths written (relative to tree)."""
    written = []
    root = tree.resolve()
    with data_tar(deb) as tar:
        for member in tar:
            path = merged_path(member.name)
            if not path or path.startswith(SKIPPED):
                continue
            dest = tree / path
            if not dest.parent.resolve().is_relative_to(root):  # through a symlink that leaves the tree
                raise DocexecError(f"{deb.name}: member {member.name} would be written outside {tree}")
            if member.isdir():
                dest.mkdir(parents=True, exist_ok=True)
                os.chmod(dest, member.mode & 0o7777)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.is_symlink() or dest.exists():
                dest.unlink()
            if member.issym():
                os.symlink(_link_target(member.name, member.linkname), dest)
            elif member.islnk():
                os.link(tree / merged_path(member.linkname), dest)
            elif member.isfile():
                source = tar.extractfile(member)
                assert source is not None
                with open(dest, "wb") as out:
                    shutil.copyfileobj(source, out)
                os.chmod(dest, member.mode & 0o7777)
            else:
                continue  # device nodes and fifos: no Debian package of a lab ships one
            written.append(path)
    return written


def _link_target(name: str, target: str) -> str:
    """A symlink's target in the merged tree: a relative target of a member that moved into /usr is made absolute
    (it was written relative to /bin, /lib ...), which the lab resolves inside its own root."""
    relative = name.removeprefix("./")
    if target.startswith("/") or PurePosixPath(relative).parts[0] not in MERGED:
        return target
    resolved = os.path.normpath(os.path.join("/" + os.path.dirname(relative), target))
    return "/" + merged_path(resolved.lstrip("/")) if resolved != "/" else "/"


def resolve_in(tree: Path, path: str) -> Path:
    """`path` (absolute, as the lab sees it) inside `tree`, following symlinks as the lab would."""
    current = tree
    parts = list(PurePosixPath(path).parts[1:])
    hops = 0
    while parts:
        part = parts.pop(0)
        nxt = current / part
        if nxt.is_symlink():
            hops += 1
            if hops > 40:
                raise DocexecError(f"{path}: too many symlinks in {tree}")
            target = os.readlink(nxt)
            parts = list(PurePosixPath(target).parts[1:] if target.startswith("/") else PurePosixPath(target).parts
                         ) + parts
            if target.startswith("/"):
                current = tree
        elif part == "..":
            current = current.parent if current != tree else tree
        else:
            current = nxt
    return current
