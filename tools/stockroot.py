"""Try this repository as a new user would, in a stock Debian root made on this machine (issue #21):

    python3 tools/stockroot.py bookworm|trixie [docs|tests|shell]     (as root; ./nox -s stockroot -- ... runs it)

The root is `debootstrap --variant=minbase SUITE` with this machine's Debian sources and package settings copied in
(so its apt and pip reach the registries as this machine's do) and only `python3 python3-venv git` installed (not
even their recommendations); it is made once and kept under .cache/stockroot/SUITE/root (`clean` removes it). Each
run puts a new writable layer (overlayfs) on it, so every run starts from the same stock root: a `git clone` of this
checkout's committed HEAD in /root/docexec, then README's commands there: `docs` (the default) runs `./nox -s docs`;
`tests` also runs README's `apt-get install bubblewrap`, then `CI=true ./nox -s tests -- docs/`; `shell`
opens a shell there. The layer of the last run stays in .cache/stockroot/SUITE/run until the next run, to look at.

The root is entered as bubblewrap needs it (in a plain chroot it fails with "Failed to make / slave"): a private mount
namespace (`unshare -m --propagation private`), /proc, /sys and /dev bound in with what is mounted below them
(/dev/pts, /sys/fs/cgroup/*), then `pivot_root`. Its processes run in a cgroup of their own below this process's, so
labs made inside nest there; whatever is left in it at the end is killed. Every mount is made inside that namespace
and undone at the end, whatever happens: none is ever visible in this machine's /proc/mounts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
CACHE = TOP / ".cache" / "stockroot"
SUITES = {"bookworm": "Debian 12", "trixie": "Debian 13"}
STOCK_PACKAGES = ("python3", "python3-venv", "git")  # what README asks of a reader's machine for `./nox -s docs`
# What README lists for the Docker parts of the tests (`apt-get install bubblewrap`); its browser tests
# (chromium, fonts-noto-cjk) are not run by `-- docs/`.
TEST_PACKAGES = ("bubblewrap",)
# This machine's package settings, copied into the root so that its apt and pip reach the registries.
SETTINGS = ("/etc/resolv.conf", "/etc/pip.conf", "/root/.config/pip/pip.conf", "/etc/ssl/certs/ca-certificates.crt")
SETTINGS_GLOBS = ("/etc/apt/apt.conf.d/99*", "/usr/local/share/ca-certificates/*")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CLONE = "/root/docexec"

# Run by this machine's /bin/sh in the new mount namespace: $1 the folder to make the root, $2 the command for the
# root's shell, then (optional) the overlay's lower, upper and work folders to mount there. After pivot_root the old
# root is detached, so the machine's file systems are out of reach. The EXIT trap unmounts what was mounted (the
# namespace also ends with its last process, and takes its mounts with it).
ENTER = r"""
set -eu
root=$1 command=$2 lower=${3:-} upper=${4:-} work=${5:-} inside=
cleanup() {
    set +e
    if [ -n "$inside" ]; then cd / && umount -R -l /proc /sys /dev
    else umount -R -l "$root/proc" "$root/sys" "$root/dev" "$root"; fi 2>/dev/null
    true
}
trap cleanup EXIT
if [ -n "$lower" ]; then mount -t overlay stockroot -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$root"
else mount --bind "$root" "$root"; fi  # pivot_root wants a mount point
mount --rbind /proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
cd "$root"
mkdir -p .oldroot
pivot_root . .oldroot
inside=1
cd /
umount -R -l /.oldroot
rmdir /.oldroot
set +e
/usr/bin/env -i HOME=/root PATH="$PATH_IN_ROOT" TERM="${TERM:-dumb}" /bin/sh -c "$command"
exit $?
"""


def log(message: str) -> None:
    print(f"stockroot: {message}", file=sys.stderr, flush=True)


def machine_sources() -> tuple[str, str]:
    """This machine's Debian sources (deb822) and its release's code name: the root gets the same, for its suite
    (its release, -updates and -security, as a Debian installer writes them)."""
    release = ""
    for line in Path("/etc/os-release").read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "VERSION_CODENAME":
            release = value.strip('"')
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    return (sources.read_text() if sources.is_file() else ""), release


def mirror() -> str:
    """The Debian mirror this machine's apt uses, or Debian's own."""
    for line in machine_sources()[0].splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "URIs" and value.strip().split()[0].rstrip("/").endswith("/debian"):
            return value.strip().split()[0]
    return "http://deb.debian.org/debian"


def write_sources(root: Path, suite: str) -> None:
    sources, release = machine_sources()
    if not sources or not release:
        return  # debootstrap's sources.list (the suite's main component) stays
    lines = [line.replace(release, suite) if line.startswith("Suites:") else line for line in sources.splitlines()]
    (root / "etc/apt/sources.list.d/debian.sources").write_text("\n".join(lines) + "\n")
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    suites = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Suites:")]
    log(f"apt sources: {'; '.join(suites)}")


def remove(folder: Path) -> None:
    """Remove a folder of the cache, never through a mount (a root still mounted on this machine is refused)."""
    if mounts_below(folder):
        raise SystemExit(f"stockroot: {folder} has mounts on this machine ({', '.join(mounts_below(folder))}): "
                         f"unmount them first")
    shutil.rmtree(folder)


def copy_settings(root: Path) -> None:
    paths = [Path(p) for p in SETTINGS] + [p for pattern in SETTINGS_GLOBS for p in Path("/").glob(pattern[1:])]
    for source in paths:
        if source.is_file():
            target = root / source.relative_to("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)  # a symbolic link in the root (resolv.conf) is replaced, not followed
            shutil.copyfile(source, target)
            log(f"copied {source}")


def make_root(suite: str) -> Path:
    """The stock root of this suite, made once: debootstrap, this machine's settings, python3 python3-venv git."""
    base = CACHE / suite
    root, stamp = base / "root", base / "root.json"
    wanted = {"suite": suite, "packages": list(STOCK_PACKAGES), "sources": "updates, security"}
    if stamp.is_file() and {k: v for k, v in json.loads(stamp.read_text()).items() if k in wanted} == wanted:
        return root
    if base.exists():
        log(f"making {root} again")
        remove(base)
    base.mkdir(parents=True)
    partial = base / "root.partial"
    started = time.monotonic()
    subprocess.run(["debootstrap", "--variant=minbase", suite, str(partial), mirror()], check=True,
                   stdout=subprocess.DEVNULL)
    made = time.monotonic() - started
    log(f"debootstrap --variant=minbase {suite}: {made:.0f} s")
    copy_settings(partial)
    write_sources(partial, suite)
    started = time.monotonic()
    packages = " ".join(STOCK_PACKAGES)
    status = run_in(partial, f"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                    f"--no-install-recommends {packages} >/dev/null && apt-get clean && python3 --version")
    if status:
        raise SystemExit(f"stockroot: installing {packages} in {partial} failed (exit {status})")
    installed = time.monotonic() - started
    log(f"apt-get install {packages}: {installed:.0f} s")
    partial.rename(root)
    stamp.write_text(json.dumps({**wanted, "debootstrap_s": round(made, 1), "install_s": round(installed, 1),
                                 "made": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=1) + "\n")
    return root


def own_cgroups() -> list[Path]:
    """This process's cgroup in each of this machine's hierarchies (v1 controllers and the unified one)."""
    points: dict[frozenset[str], Path] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        head, _, tail = line.partition(" - ")
        fstype, _source, options = tail.split()[:3]
        point = head.split()[4]
        if fstype == "cgroup2" and point.startswith("/sys/fs/cgroup"):
            points[frozenset([""])] = Path(point)
        elif fstype == "cgroup" and point.startswith("/sys/fs/cgroup"):
            points[frozenset(o for o in options.split(",") if o not in ("rw", "ro", "xattr"))] = Path(point)
    found = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        mounted = points.get(frozenset(controllers.split(",")))
        if mounted is not None:
            found.append(mounted / path.lstrip("/"))
    return found


@contextmanager
def child_cgroups(name: str) -> Iterator[list[Path]]:
    """A cgroup of this name below this process's own in each hierarchy; at the end every process left in it (or in
    the cgroups made below it) is killed, and they are removed."""
    made = []
    try:
        for base in own_cgroups():
            folder = base / name
            folder.mkdir()
            made.append(folder)
            if (folder / "cpuset.cpus").exists():  # a new v1 cpuset admits no process until it is set
                for knob in ("cpuset.cpus", "cpuset.mems"):
                    (folder / knob).write_text((base / knob).read_text())
        yield made
    finally:
        for _ in range(50):
            pids = {int(pid) for top in made for procs in top.rglob("cgroup.procs")
                    for pid in _read(procs).split()}
            if not pids:
                break
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        for top in made:
            for folder in [*sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)), top]:
                with suppress(OSError):
                    folder.rmdir()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def mounts_below(path: Path) -> list[str]:
    """This machine's mount points at or below a path (from /proc/mounts)."""
    found = []
    for line in Path("/proc/mounts").read_text().splitlines():
        point = line.split()[1].replace("\\040", " ")
        if point == str(path) or point.startswith(f"{path}/"):
            found.append(point)
    return found


def run_in(root: Path, command: str, *, cgroups: list[Path] | None = None, layer: Path | None = None) -> int:
    """Run a shell command in the root, entered through a private mount namespace and pivot_root; its exit status.
    With a layer (a folder with upper/, work/ and merged/), in the root seen through that writable overlay; in the
    given cgroups when there are (the unshare process joins them before it starts)."""
    procs = [str(folder / "cgroup.procs") for folder in cgroups or []]

    def join() -> None:
        for path in procs:
            with open(path, "w") as fh:
                fh.write(str(os.getpid()))

    where = [str(layer / "merged"), command, str(root), str(layer / "upper"), str(layer / "work")] if layer else \
        [str(root), command]
    try:
        done = subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", ENTER, "enter",
                               *where],
                              env={"PATH": os.environ.get("PATH", PATH), "PATH_IN_ROOT": PATH,
                                   "TERM": os.environ.get("TERM", "dumb")},
                              preexec_fn=join if procs else None, check=False)
        return done.returncode
    finally:
        left = mounts_below(CACHE)
        for point in sorted(left, key=len, reverse=True):  # never expected: the mounts live in the namespace
            subprocess.run(["umount", "-l", point], check=False)
        if left:
            log(f"unmounted what was left on this machine: {', '.join(left)}")


def fresh_layer(suite: str) -> Path:
    """A new, empty writable layer for the root of this suite (the last run's is removed)."""
    run = CACHE / suite / "run"
    if run.exists():
        remove(run)
    for name in ("upper", "work", "merged"):
        (run / name).mkdir(parents=True)
    return run


def git_bundle(into: Path) -> str:
    """This checkout's committed HEAD as a git bundle (what a reader would clone); its commit id."""
    head = subprocess.run(["git", "-C", str(TOP), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    subprocess.run(["git", "-C", str(TOP), "bundle", "create", "--quiet", str(into), "HEAD"], check=True)
    return head


def script(what: str) -> str:
    """The commands a new user types in the root, after `git clone`."""
    clone = (f"git -c advice.detachedHead=false clone --quiet /tmp/docexec.bundle {CLONE} && cd {CLONE} "
             f"&& git log --oneline -1 | cut -c1-100")
    timed = 'start=$(date +%s); {0}; status=$?; echo "stockroot: {0}: exit $status after $(( $(date +%s) - start )) s"'
    if what == "docs":
        return f"{clone} && {timed.format('./nox -s docs')} >&2; exit $status"
    if what == "tests":
        # README's own command, with the packages' recommendations as apt gives them.
        install = (f"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                   f"{' '.join(TEST_PACKAGES)} >/dev/null")
        return f"{install} && {clone} && {timed.format('CI=true ./nox -s tests -- docs/')} >&2; exit $status"
    return f"{clone}; cd {CLONE}; exec /bin/bash -i"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", choices=[*SUITES, "clean"])
    parser.add_argument("what", nargs="?", choices=["docs", "tests", "shell"], default="docs")
    args = parser.parse_args(argv)
    if args.suite == "clean":
        if CACHE.exists():
            remove(CACHE)
        return 0
    if os.geteuid() != 0:
        log("needs root (debootstrap, mounts, cgroups)")
        return 2
    root = make_root(args.suite)
    layer = fresh_layer(args.suite)
    (layer / "upper" / "tmp").mkdir()
    (layer / "upper" / "tmp").chmod(0o1777)  # as the root's own /tmp, which it hides (apt's _apt user writes there)
    head = git_bundle(layer / "upper" / "tmp" / "docexec.bundle")
    log(f"{SUITES[args.suite]} ({args.suite}) root, HEAD {head[:12]}: {args.what}")
    with child_cgroups(f"docexec-stockroot-{os.getpid()}") as cgroups:
        status = run_in(root, script(args.what), cgroups=cgroups, layer=layer)
    left = mounts_below(CACHE)
    log(f"exit {status}; mounts of .cache/stockroot left on this machine: {len(left)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
