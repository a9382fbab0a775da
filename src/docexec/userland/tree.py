"""The programs of every lab host: Debian 12 packages, each pinned by version and sha256, unpacked into one tree
that each host gets read-only as its /usr.

A lab uses nothing of the machine's own /usr: dockerd, containerd, runc and the docker CLI of Engine 20.10, the
tools pages run on a host (iproute2, iptables, tcpdump, curl, procps, coreutils ...), BusyBox for the lesson image
and the zone file it carries all come from the packages in `userland.lock`. So a book records the same outputs on
every Linux machine with root, and the offline build needs no file of the machine either: a lesson image's content
hash comes from the lock's file hashes.

`ensure` downloads the pinned .debs with Python alone (debs.py), checks every sum, and unpacks them once per lock
into `~/.cache/docexec/userland/<lock hash>/` (one tree per machine user, shared by every project and clone:
`default_cache`). `update` (`docexec engines --update`) resolves the packages and their
dependencies anew from Debian's archive with apt, with a private state (nothing of the system's apt changes),
writes the lock, and says what moved; `docexec engines --add` resolves only what the lock lacks (a package newly
listed in PACKAGES) and keeps every other pin.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from docexec.core.errors import DocexecError
from docexec.userland.apt import PrivateApt
from docexec.userland.debs import MERGED, archives, download, resolve_in, sha256, unpack
from docexec.userland.lock import LOCK, SUITES, Lock, architecture

STAMP = ".complete"
# What a lab host runs. Their dependencies are resolved into the lock; maintainer scripts never run.
PACKAGES = (
    # the system: shell, core utilities, the dynamic linker's cache, /etc/os-release, /etc/services ...
    "base-files", "netbase", "libc-bin", "dash", "bash", "coreutils", "grep", "sed", "findutils", "util-linux",
    "mount", "bsdextrautils", "hostname", "procps", "mawk", "python3-minimal",
    # the tools pages run on a host; Graphviz's dot draws a topology block's picture (with the fonts
    # fontconfig-config pulls in, fonts-dejavu-core, for its text metrics)
    "iproute2", "iptables", "tcpdump", "curl", "jq", "graphviz",
    # Engine 20.10: Debian 12's docker.io (dockerd and its CLI), containerd, runc, tini (docker-init)
    "docker.io", "containerd", "runc", "tini",
    # the lesson image: BusyBox and the zone file
    "busybox-static", "tzdata",
)
# Dependencies that only maintainer scripts or services use: a lab runs none of them.
EXCLUDED = ("adduser", "debconf", "debconf-2.0", "lsb-base", "init-system-helpers", "perl-base", "dpkg",
            "sensible-utils", "sysvinit-utils", "cgroupfs-mount", "needrestart", "apparmor", "git", "ucf",
            "libpam-modules", "libpam-runtime", "libpam0g", "login", "passwd", "debianutils", "media-types",
            "readline-common", "python3.11", "libpython3.11-stdlib", "gcc-12-base", "tzdata-legacy",
            # Graphviz's plugins for bitmap (gd, webp) and X11 output and its X11 viewers: dot -Tsvg loads none
            "libgd3", "libwebp7", "libxaw7", "libxmu6", "libxt6")
# What dpkg's update-alternatives would have made (Debian 12's defaults): link -> target.
ALTERNATIVES = {name: f"/usr/sbin/{name.replace('tables', 'tables-nft', 1)}" for name in (
    "iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore")}


def default_cache() -> Path:
    """Where the userland is unpacked and its .debs kept: DOCEXEC_CACHE, else $XDG_CACHE_HOME/docexec, else
    ~/.cache/docexec. One place for every project and clone of this machine user: a tree is named by its lock's
    hash and checked against the lock when it is made, so sharing it is safe, and a throwaway project (a test's)
    does not fetch 100 MB again."""
    if os.environ.get("DOCEXEC_CACHE"):
        return Path(os.environ["DOCEXEC_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "docexec"


def tree_for(cache: Path | None = None, lock: Lock | None = None) -> Path:
    """Where the userland of `lock` is (or will be) unpacked."""
    return (cache or default_cache()) / "userland" / (lock or Lock.load()).digest()[:16]


def ensure(cache: Path | None = None, notify: Callable[[str], None] = print, lock: Lock | None = None) -> Path:
    """The unpacked userland of the lock: downloaded, checked and unpacked the first time, then only looked up."""
    from filelock import FileLock

    cache = cache or default_cache()
    lock = lock or Lock.load()
    tree = tree_for(cache, lock)
    if _complete(tree, lock):
        return tree
    if lock.architecture != architecture():
        raise DocexecError(f"the lab userland is pinned for {lock.architecture}, this machine is {architecture()}: "
                           f"pin it for this one with `docexec engines --update` (it rewrites {LOCK})")
    tree.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(tree.parent / ".lock")):
        if _complete(tree, lock):
            return tree
        notify(f"docexec: fetching the lab userland ({len(lock.packages)} Debian packages, pinned in {LOCK.name})")
        bases = archives()
        partial = tree.with_name(tree.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        for pin in lock.packages:
            unpack(download(pin.filename, pin.sha256, cache / "debs", bases), partial)
        _finish(partial)
        for path, expected in lock.files.items():
            if sha256(resolve_in(partial, path)) != expected:
                raise DocexecError(f"the userland's {path} does not have the sha256 {LOCK.name} gives")
        (partial / STAMP).write_text(lock.digest())
        shutil.rmtree(tree, ignore_errors=True)
        partial.rename(tree)
        _prune(tree)
        notify(f"docexec: lab userland in {tree}")
    return tree


KEEP = 3  # trees kept: this lock's and the ones used last (another checkout or worktree on another lock)


def _prune(tree: Path) -> None:
    """Remove other locks' trees but the KEEP - 1 used last: a checkout of another branch may have a lab running on
    its tree right now (each use marks a tree: _complete), and going back to it should not fetch it again."""
    others = [t for t in tree.parent.iterdir() if t.is_dir() and t != tree and not t.name.endswith(".partial")]

    def used(t: Path) -> float:
        try:
            return (t / STAMP).stat().st_mtime
        except OSError:
            return 0.0

    for old in sorted(others, key=used, reverse=True)[KEEP - 1:]:
        shutil.rmtree(old, ignore_errors=True)


_MARKED: set[Path] = set()


def _complete(tree: Path, lock: Lock) -> bool:
    """The tree is this lock's and whole; the first time a process finds it so, its stamp is touched (used last)."""
    try:
        if (tree / STAMP).read_text() != lock.digest():
            return False
    except OSError:
        return False
    if tree not in _MARKED:
        _MARKED.add(tree)
        with contextlib.suppress(OSError):
            os.utime(tree / STAMP)
    return True


def _finish(tree: Path) -> None:
    """What a Debian system has beyond its packages' files: /bin, /sbin and /lib as links into /usr, the
    alternatives dpkg would have chosen, and the dynamic linker's cache."""
    for top, target in MERGED.items():
        if (tree / target).is_dir():
            os.symlink(target, tree / top)
    (tree / "etc/alternatives").mkdir(parents=True, exist_ok=True)
    for name, target in ALTERNATIVES.items():
        link = tree / target.rsplit("/", 1)[0].lstrip("/") / name
        (tree / "etc/alternatives" / name).symlink_to(target)
        link.unlink(missing_ok=True)
        link.symlink_to(f"/etc/alternatives/{name}")
    ldconfig = tree / "usr/sbin/ldconfig"
    if os.geteuid() == 0 and ldconfig.is_file():  # statically linked: it runs on any Linux of this architecture
        subprocess.run([str(ldconfig), "-r", str(tree)], check=True, capture_output=True)
    _graphviz_plugins(tree)


def _graphviz_plugins(tree: Path) -> None:
    """Graphviz's list of its plugins (config6a), which its maintainer script writes with `dot -c`: without it dot
    knows no output format. The tree's dot writes it, run inside the tree (chroot, as root, like ldconfig), so that
    it loads the tree's libraries only; plugins whose libraries the userland leaves out (EXCLUDED) are not listed."""
    if os.geteuid() != 0 or not (tree / "usr/bin/dot").is_file():
        return
    def inside() -> None:
        os.chroot(tree)
        os.chdir("/")

    done = subprocess.run(["/usr/bin/dot", "-c"], capture_output=True, text=True, env={"PATH": "/usr/bin"},
                          preexec_fn=inside, check=False)
    if done.returncode != 0 or not next((tree / "usr/lib").glob("*/graphviz/config6a"), None):
        raise DocexecError(f"dot -c did not list Graphviz's plugins: {done.stderr.strip()[-600:]}")


def update(cache: Path | None = None, notify: Callable[[str], None] = print,
           files: tuple[str, ...] = (), keep: bool = False) -> tuple[Lock, Lock | None]:
    """Resolve PACKAGES and their dependencies from Debian's archive now, unpack them, hash `files`, and write the
    lock. With `keep` (`docexec engines --add`), every package the lock pins keeps its pin and only what it lacks
    (a package added to PACKAGES and its new dependencies) is resolved, so no recording moves. Returns (new
    lock, old lock or None)."""
    try:
        old: Lock | None = Lock.load()
    except DocexecError:
        if keep:
            raise
        old = None
    cache = cache or default_cache()
    apt = PrivateApt(cache / "apt" / "userland", SUITES)
    apt.update()
    pins = apt.closure(PACKAGES, EXCLUDED, old.packages if keep and old else ())
    lock = Lock(architecture(), SUITES, tuple(pins), {})
    tree = ensure(cache, notify, lock)
    lock = Lock(lock.architecture, SUITES, lock.packages, {path: sha256(resolve_in(tree, path)) for path in files})
    lock.dump()
    return lock, old


def moved(old: Lock | None, new: Lock) -> list[str]:
    """What changed between two locks, a line per package or file."""
    before = {p.name: p.version for p in old.packages} if old else {}
    after = {p.name: p.version for p in new.packages}
    lines = [f"{name}: {before.get(name, '(none)')} -> {after.get(name, '(none)')}"
             for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]
    old_files = old.files if old else {}
    lines += [f"{path}: its content changed" for path in sorted(new.files) if old_files.get(path) != new.files[path]]
    return lines
