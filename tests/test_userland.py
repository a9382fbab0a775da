"""The lab userland without a network or root: .deb files made here, unpacked into a merged /usr tree; downloads
checked against their pins; the lock's round trip and what `--update` reports; lesson images hashed from the lock
alone (the offline build reads no file of the machine)."""

from __future__ import annotations

import hashlib
import io
import lzma
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from docexec import DocexecError
from docexec.core.labels import IMAGE_LABEL
from docexec.hosts.image_builder import ImageBuilder
from docexec.hosts.images import ImageSpec, load_images
from docexec.userland import debs
from docexec.userland import tree as userland
from docexec.userland.apt import PrivateApt
from docexec.userland.lock import Lock, Pin

if TYPE_CHECKING:
    import docker


def _deb(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    """A .deb (ar archive) whose data.tar.xz holds `members`: (name, content) for files, TarInfo for the rest."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size, info.mode = len(member[1]), 0o755
                tar.addfile(info, io.BytesIO(member[1]))
    body = lzma.compress(data.getvalue())
    out = io.BytesIO()
    out.write(b"!<arch>\n")
    for name, content in ((b"debian-binary", b"2.0\n"), (b"control.tar.xz", lzma.compress(b"")),
                          (b"data.tar.xz", body)):
        out.write(name.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"100644".ljust(8)
                  + str(len(content)).encode().ljust(10) + b"`\n" + content + (b"\n" if len(content) % 2 else b""))
    path.write_bytes(out.getvalue())
    return path


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info


def test_members_land_in_a_merged_usr(tmp_path: Path) -> None:
    deb = _deb(tmp_path / "a.deb", [
        _dir("./"), _dir("./bin/"), ("./bin/ip", b"ip"), ("./usr/bin/curl", b"curl"),
        _dir("./lib/x86_64-linux-gnu/"), ("./lib/x86_64-linux-gnu/libc.so.6", b"libc"),
        _link("./lib/x86_64-linux-gnu/libz.so", "../../usr/lib/x86_64-linux-gnu/libz.so.1"),
        _link("./sbin/ip", "/bin/ip"), _link("./usr/bin/sh", "dash"), _link("./bin/ip2", "./bin/ip", tarfile.LNKTYPE),
        ("./usr/share/doc/curl/copyright", b"text"),
    ])
    tree = tmp_path / "tree"
    tree.mkdir()
    written = debs.unpack(deb, tree)
    assert (tree / "usr/bin/ip").read_bytes() == b"ip" and os.access(tree / "usr/bin/ip", os.X_OK)
    assert (tree / "usr/lib/x86_64-linux-gnu/libc.so.6").is_file()
    assert not (tree / "bin").exists() and not (tree / "lib").exists()
    # A relative link written for /lib points into /usr/lib once the member moved there: made absolute, as the lab
    # (whose / is the tree) resolves it.
    assert os.readlink(tree / "usr/lib/x86_64-linux-gnu/libz.so") == "/usr/lib/x86_64-linux-gnu/libz.so.1"
    assert os.readlink(tree / "usr/sbin/ip") == "/bin/ip" and os.readlink(tree / "usr/bin/sh") == "dash"
    assert (tree / "usr/bin/ip2").stat().st_ino == (tree / "usr/bin/ip").stat().st_ino
    assert "usr/share/doc/curl/copyright" not in written and not (tree / "usr/share/doc").exists()


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "./usr/../../escape"])
def test_a_member_outside_the_tree_is_refused(tmp_path: Path, name: str) -> None:
    deb = _deb(tmp_path / "bad.deb", [(name, b"x")])
    with pytest.raises(DocexecError, match=r"leaves its tree|would be written outside"):
        debs.unpack(deb, tmp_path)
    assert not (tmp_path.parent / "escape").exists()


def test_a_member_through_a_symlink_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    deb = _deb(tmp_path / "bad.deb", [_link("./usr/evil", str(outside)), ("./usr/evil/file", b"x")])
    tree = tmp_path / "tree"
    tree.mkdir()
    with pytest.raises(DocexecError, match="would be written outside"):
        debs.unpack(deb, tree)
    assert not (outside / "file").exists()


def test_resolve_in_follows_links_inside_the_tree(tmp_path: Path) -> None:
    (tmp_path / "usr/share/zoneinfo/Etc").mkdir(parents=True)
    (tmp_path / "usr/share/zoneinfo/Etc/UTC").write_text("utc")
    (tmp_path / "usr/share/zoneinfo/UTC").symlink_to("Etc/UTC")
    os.symlink("usr/share", tmp_path / "share")
    (tmp_path / "usr/share/zoneinfo/Abs").symlink_to("/share/zoneinfo/UTC")
    assert debs.resolve_in(tmp_path, "/usr/share/zoneinfo/UTC").read_text() == "utc"
    assert debs.resolve_in(tmp_path, "/usr/share/zoneinfo/Abs").read_text() == "utc"  # never the machine's /share


def test_a_download_must_match_its_pin(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    (archive / "pool/main/h").mkdir(parents=True)
    (archive / "pool/main/h/hi_1_amd64.deb").write_bytes(b"the real thing")
    good = hashlib.sha256(b"the real thing").hexdigest()
    cache = tmp_path / "debs"
    # Not in the first archive (gone, or in the security archive): the next one is asked.
    found = debs.download("pool/main/h/hi_1_amd64.deb", good, cache, [f"file://{tmp_path}/empty", f"file://{archive}"])
    assert found.read_bytes() == b"the real thing"
    with pytest.raises(DocexecError, match=r"has sha256 .* but the pin says 0000"):
        debs.download("pool/main/h/hi_1_amd64.deb", "0" * 64, tmp_path / "other", [f"file://{archive}"])
    assert not list((tmp_path / "other").iterdir())
    with pytest.raises(DocexecError, match="docexec engines --update"):
        debs.download("pool/main/h/gone_1_amd64.deb", good, cache, [f"file://{archive}"])


def test_the_lock_round_trips_and_says_what_moved(tmp_path: Path) -> None:
    old = Lock("amd64", ("bookworm",), (Pin("curl", "7.88.1-10", "a" * 64, "pool/c/curl.deb"),
                                        Pin("ip", "6.1", "b" * 64, "pool/i/ip.deb")), {"/usr/bin/busybox": "c" * 64})
    path = tmp_path / "userland.lock"
    old.dump(path)
    assert Lock.load(path) == old
    lines = path.read_text().splitlines()
    assert [n for n, line in enumerate(lines) if "curl" in line] == [4], "a moved pin is one line of the diff"
    new = Lock("amd64", ("bookworm",), (Pin("curl", "7.88.1-11", "d" * 64, "pool/c/curl2.deb"),),
               {"/usr/bin/busybox": "e" * 64})
    assert userland.moved(old, new) == ["curl: 7.88.1-10 -> 7.88.1-11", "ip: 6.1 -> (none)",
                                        "/usr/bin/busybox: its content changed"]
    assert userland.moved(old, old) == []
    path.write_text("{")
    with pytest.raises(DocexecError, match="docexec engines --update"):
        Lock.load(path)


def test_the_lesson_image_is_hashed_from_the_lock_alone(tmp_path: Path) -> None:
    folder = tmp_path / "busybox"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM scratch\n")
    (folder / "image.toml").write_text('tag = "busybox:latest"\n[files]\nbusybox = "/nowhere/on/this/machine"\n')
    lock = Lock("amd64", (), (), {"/nowhere/on/this/machine": "1" * 64})
    (spec,) = load_images(tmp_path)
    first = spec.digest(lock)
    assert first == ImageSpec("busybox", "busybox:latest", folder, {"busybox": "/nowhere/on/this/machine"}).digest(lock)
    (folder / "image.toml").write_text("# a comment\n" + (folder / "image.toml").read_text())
    assert load_images(tmp_path)[0].digest(lock) == first, "image.toml's words are not what the image holds"
    assert spec.digest(Lock("amd64", (), (), {"/nowhere/on/this/machine": "2" * 64})) != first
    with pytest.raises(DocexecError, match="not among the userland's file hashes"):
        spec.digest(Lock("amd64", (), (), {}))


class _Images:
    """A daemon's images (the Docker SDK's client.images) that has the built image `tag`, labelled `digest`."""

    def __init__(self, tag: str, digest: str) -> None:
        self.tag, self.labels = tag, {IMAGE_LABEL: digest}

    def get(self, tag: str) -> _Images:
        assert tag == self.tag
        return self

    def save(self, named: bool) -> Iterator[bytes]:
        yield b"the image, saved"


class _Client:
    def __init__(self, tag: str, digest: str) -> None:
        self.images = _Images(tag, digest)


def test_caching_an_image_removes_its_stale_tarballs_and_no_other_images(tmp_path: Path) -> None:
    """The cache holds a tarball per image and content hash (name-<16 hex digits>.tar). Caching busybox anew
    removes busybox's older tarball, not the one of the image busybox-net, whose name begins the same."""
    folder = tmp_path / "images" / "busybox"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM scratch\n")
    spec = ImageSpec("busybox", "busybox:latest", folder, {})
    cache = tmp_path / "cache"
    cache.mkdir()
    stale, other = cache / f"busybox-{'1' * 16}.tar", cache / f"busybox-net-{'2' * 16}.tar"
    stale.write_bytes(b"busybox, as it was")
    other.write_bytes(b"busybox-net")
    ImageBuilder(cast("docker.DockerClient", _Client(spec.tag, spec.digest()))).load_image(spec, cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted([f"busybox-{spec.digest()[:16]}.tar", other.name])
    assert other.read_bytes() == b"busybox-net"


def test_host_files_are_refused_with_the_new_spelling(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img/Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "img/image.toml").write_text('tag = "x:1"\n[host_files]\nbusybox = "/bin/busybox"\n')
    with pytest.raises(DocexecError, match=r"\[files\]"):
        load_images(tmp_path)


def test_the_books_lock_pins_every_package_once_with_its_sum() -> None:
    lock = Lock.load()
    names = [p.name for p in lock.packages]
    assert len(names) == len(set(names))
    assert set(userland.PACKAGES) <= set(names)
    assert not set(userland.EXCLUDED) & set(names)
    for pin in lock.packages:
        assert len(pin.sha256) == 64 and pin.filename.startswith("pool/") and pin.filename.endswith(".deb")
    images = load_images(Path(__file__).parents[1] / "images")
    assert {f for spec in images for f in spec.files.values()} <= set(lock.files)


def _archive(records: dict[str, str]) -> PrivateApt:
    """A PrivateApt that answers from `records` (name -> 'version|Depends') instead of Debian's archive."""
    apt = object.__new__(PrivateApt)
    apt.suites = ("bookworm",)
    shown = {name: {"Package": name, "Version": v, "SHA256": name[0] * 64, "Filename": f"pool/{name}.deb",
                    "Depends": d} for name, (v, _, d) in ((n, r.partition("|")) for n, r in records.items())}
    apt.show = lambda name: shown.get(name)  # type: ignore[method-assign]
    apt.provider = lambda name: ""  # type: ignore[method-assign]
    return apt


def test_adding_a_package_keeps_every_pin_of_the_lock() -> None:
    """`docexec engines --add`: only what the lock lacks is resolved; a pinned package keeps its pin although the
    archive serves a newer version (a point release since), and its dependencies are not looked up again."""
    apt = _archive({"jq": "1.6|libjq1 (= 1.6), libc6 (>= 2.34)", "libjq1": "1.6|libonig5, libc6", "libonig5": "6.9|",
                    "libc6": "2.36-9+deb12u99|libgcc-s1", "curl": "8|libc6"})
    libc6 = Pin("libc6", "2.36-9+deb12u14", "9" * 64, "pool/libc6_old.deb")
    pins = apt.closure(["curl", "jq"], (), [libc6, Pin("curl", "7", "8" * 64, "pool/curl_old.deb")])
    assert [(p.name, p.version) for p in pins] == [("curl", "7"), ("jq", "1.6"), ("libc6", "2.36-9+deb12u14"),
                                                   ("libjq1", "1.6"), ("libonig5", "6.9")]
    assert pins[2] == libc6
    with pytest.raises(DocexecError, match="libgcc-s1, which Debian does not serve"):
        apt.closure(["jq"], ())  # without kept pins, libc6 is the archive's, and its dependencies are followed


def test_a_new_package_that_needs_a_newer_pin_is_refused() -> None:
    apt = _archive({"jq": "1.6|libc6 (>= 2.37) | musl (>> 1.2), curl"})
    pins = [Pin("libc6", "2.36-9", "9" * 64, "pool/libc6.deb"), Pin("musl", "1.2", "8" * 64, "pool/musl.deb")]
    with pytest.raises(DocexecError, match=r"jq needs libc6 \(>= 2.37\) \| musl \(>> 1.2\), but the lock pins "
                       r"libc6 2.36-9, musl 1.2: resolve every package anew"):
        apt.closure(["jq"], (), pins)
    apt = _archive({"jq": "1.6|libc6 (>= 2.36-9) | musl (>> 1.2)"})
    assert [p.name for p in apt.closure(["jq"], (), pins)] == ["jq", "libc6", "musl"]


def test_a_new_tree_keeps_the_trees_used_last(tmp_path: Path) -> None:
    """Unpacking a new lock's tree removes other locks' trees but the ones used last: another checkout's lab may be
    running on one right now."""
    from docexec.userland import tree as userland_tree

    trees = []
    for n in range(5):
        t = tmp_path / f"tree{n}"
        t.mkdir()
        (t / userland_tree.STAMP).write_text("x")
        os.utime(t / userland_tree.STAMP, (1000 + n, 1000 + n))  # tree4 used last
        trees.append(t)
    (tmp_path / "tree9.partial").mkdir()  # another process unpacking: not touched
    new = tmp_path / "new"
    new.mkdir()
    userland_tree._prune(new)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "tree3", "tree4", "tree9.partial"]
