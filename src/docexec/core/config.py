"""The project's settings, read once from `[tool.docexec]` in pyproject.toml (Settings); one engine's, as a
page runs on it (EngineSettings); and what the policy checks of one run see (RunContext)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from docexec.core.errors import DocexecError
from docexec.core.tomltable import Table


@dataclass(frozen=True)
class Allowance:
    """A use of a refused flag or host command that the project allows, with the reason it is needed."""

    page: str
    match: str  # the exact argument (docker flag with its value) or host command line allowed
    reason: str


@dataclass(frozen=True)
class DebianPackage:
    """A .deb pinned by version and sha256, fetched with apt from the suite of its engine."""

    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class EngineSpec:
    """A Docker version every page is recorded on: its binaries (folders put first on a lab's PATH), the CLI
    that records, other CLIs the drift check also runs the pages with, and where its recordings live.
    `debian_suite`/`packages`/`into`: how `docexec engines fetch` gets the binaries (empty: the machine's own).
    `cli_version`: the version of the CLI that records on it ("20.10", "28.5"), as pyproject.toml says (checked
    against the pinned packages by tests/test_config.py): the lint lets a block limited to this engine use what that
    CLI has (policy.docker_rules); '' (not said): only what every CLI has."""

    name: str
    path: tuple[Path, ...] = ()
    cli: Path | None = None
    check_clis: tuple[Path, ...] = ()
    snippets_dir: Path = Path("snippets")
    debian_suite: str = ""
    packages: tuple[DebianPackage, ...] = ()
    into: Path | None = None
    cli_plugins: Path | None = None  # the project's CliPlugins.path, which every engine's labs get
    cli_version: str = ""

    @property
    def label(self) -> str:
        return f"Engine {self.name}" if self.name else "Engine"

    @property
    def what(self) -> str:
        return f"engine {self.name or 'default'}"

    def missing(self) -> str:
        """Why this engine cannot run here ('' when its binaries are in place)."""
        for path in (*self.path, *([self.cli] if self.cli else [])):
            if not path.exists():
                how = " (fetch it: ./nox -s engines)" if self.packages else ""
                return f"engine {self.name or 'default'}: {path} is missing{how}"
        return ""


@dataclass(frozen=True)
class CliPlugins:
    """Docker CLI plugins (`docker compose`) that the labs of every engine get: `path` is a folder of docker-<name>
    programs, bound read-only where every docker CLI looks for plugins; fetched like an engine's binaries."""

    path: Path
    debian_suite: str = ""
    packages: tuple[DebianPackage, ...] = ()
    into: Path | None = None
    what: str = "CLI plugins"

    def missing(self) -> str:
        if not self.path.is_dir():
            return f"CLI plugins: {self.path} is missing" + (" (fetch them: ./nox -s engines)" if self.packages else "")
        return ""


@dataclass(frozen=True)
class Settings:
    """The project's settings (`[tool.docexec]`): where its pages, images and caches are, the limits of a page's
    commands, the uses it allows, and every engine the pages are recorded on (the first: the machine's own)."""

    root: Path
    docs_dir: Path
    images_dir: Path
    workdir: Path  # on the shared daemon, each page's working folder is made below it
    cache_dir: Path
    default_timeout: float = 30.0
    max_output_bytes: int = 256 * 1024
    memory_limit: str = "256m"
    pids_limit: int = 256
    allow: tuple[Allowance, ...] = field(default_factory=tuple)
    # load_config gives at least one: a book that lists no engines has one named '' (with engine_path)
    engines: tuple[EngineSpec, ...] = ()
    cli_plugins: CliPlugins | None = None

    def engine_spec(self, name: str) -> EngineSpec:
        for spec in self.engines:
            if spec.name == name:
                return spec
        raise DocexecError(f"unknown engine '{name}': pyproject.toml lists {', '.join(e.name for e in self.engines)}")

    def page_name(self, path: Path) -> str:
        """A page's stable name: its path below docs_dir, with forward slashes."""
        return path.resolve().relative_to(self.docs_dir.resolve()).as_posix()

    def run_context(self, workdir: Path | None = None, *, isolated: bool = True) -> RunContext:
        """What the policy checks of a run see: its working folder and whether it runs in a lab, with the
        project's allowances. By default, the static lint's: a lab, below the configured working folder."""
        return RunContext(self.workdir if workdir is None else workdir, isolated, self.allow)


@dataclass(frozen=True)
class EngineSettings:
    """One engine as its pages run on it: its EngineSpec, and the docker CLI their commands run with (the
    engine's own, or another one the drift check also runs them with; None: the first `docker` on PATH)."""

    spec: EngineSpec
    cli: Path | None = None

    @classmethod
    def of(cls, spec: EngineSpec, cli: Path | None = None) -> EngineSettings:
        """`spec` with `cli`, or else with its own CLI."""
        return cls(spec, cli or spec.cli)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> tuple[Path, ...]:
        """Folders whose dockerd, containerd, runc and docker a lab uses before the machine's."""
        return self.spec.path

    @property
    def snippets_dir(self) -> Path:
        """Where this engine's recordings are."""
        return self.spec.snippets_dir


@dataclass(frozen=True)
class RunContext:
    """Where one run's commands are checked: its working folder as they see it (/lab in a lab), whether every
    path and change is the run's own (a lab, and what the static lint assumes; the shared daemon is not), and
    the uses the project allows."""

    workdir: Path
    isolated: bool = True
    allow: tuple[Allowance, ...] = ()
    # Of a block limited to some engines (engines="..."): the versions of the CLIs that record on them
    # (EngineSpec.cli_version; empty: any CLI a reader may have, the rule for every other block), and the exit code
    # the block expects: the lint then lets through what those CLIs have, or stop on with that exit code.
    clis: tuple[str, ...] = ()
    returncode: int = 0


class NoProject(DocexecError):
    """No pyproject.toml with a [tool.docexec] table: not a docexec project (the pytest plugin then stays out)."""


def find_root(start: Path | None = None) -> Path:
    """The nearest folder upwards from `start` that holds a pyproject.toml with a [tool.docexec] table."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and re.search(r"^\s*\[+\s*tool\.docexec\b", candidate.read_text(encoding="utf-8"),
                                             re.MULTILINE):
            return folder
    raise NoProject(f"no pyproject.toml with a [tool.docexec] table above {here}")


_KNOWN = ("docs_dir", "snippets_dir", "images_dir", "workdir", "default_timeout", "max_output_bytes",
          "memory_limit", "pids_limit", "allow", "engine_path", "engines", "cli_plugins")


def load_config(root: Path | None = None) -> Settings:
    """The project's settings; DocexecError names pyproject.toml, the key, the bad value and what it should be."""
    root = find_root(root)
    try:
        with open(root / "pyproject.toml", "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise DocexecError(f"{root / 'pyproject.toml'}: not valid TOML ({exc})") from None
    tool = data.get("tool", {})
    table = Table(tool.get("docexec", {}) if isinstance(tool, dict) else {}, "[tool.docexec]")
    table.only(_KNOWN)
    allow = []
    for entry in table.tables("allow"):
        entry.only(("page", "match", "reason"))
        allow.append(Allowance(page=entry.text("page"), match=entry.text("match"), reason=entry.text("reason")))
    snippets_dir = root / table.text("snippets_dir", "snippets")
    engines = _engines(root, table.tables("engines"), snippets_dir)
    plugins = _cli_plugins(root, table)
    if plugins is not None:
        engines = tuple(replace(spec, cli_plugins=plugins.path) for spec in engines)
    settings = Settings(
        root=root,
        docs_dir=root / table.text("docs_dir", "docs"),
        images_dir=root / table.text("images_dir", "images"),
        workdir=Path(table.text("workdir", "/tmp/docexec-work")),
        cache_dir=root / ".cache" / "docexec",
        default_timeout=table.number("default_timeout", 30.0),
        max_output_bytes=table.count("max_output_bytes", 256 * 1024),
        memory_limit=table.text("memory_limit", "256m", pattern=r"(?i)\d+(\.\d+)?\s*([kmgtp]i?b?|b)?",
                                expected='a size such as "256m"'),
        pids_limit=table.count("pids_limit", 256),
        allow=tuple(allow),
        engines=engines,
        cli_plugins=plugins,
    )
    # DOCEXEC_ENGINE_PATH (folders separated by ':') overrides engine_path: the folders whose dockerd, containerd,
    # runc and docker a lab uses before the machine's, for a book that lists no engines.
    engine_path = _engine_path(root, table.texts("engine_path"))
    if not engines:
        return replace(settings, engines=(EngineSpec("", engine_path, None, (), snippets_dir,
                                                     cli_plugins=plugins.path if plugins else None),))
    if "engine_path" in table.data:
        raise DocexecError("pyproject.toml: with [[tool.docexec.engines]], give each engine its path there "
                           "instead of [tool.docexec] engine_path")
    if "DOCEXEC_ENGINE_PATH" in os.environ:
        raise DocexecError("DOCEXEC_ENGINE_PATH cannot be used with [[tool.docexec.engines]]: set their paths there")
    return settings


_ENGINE_KEYS = ("name", "path", "cli", "cli_version", "check_clis", "snippets_dir", "debian")
_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,30}")


def _engines(root: Path, entries: list[Table], snippets_dir: Path) -> tuple[EngineSpec, ...]:
    """[[tool.docexec.engines]]: the first engine's recordings are in snippets_dir, the others' in the folder
    each names."""
    specs: list[EngineSpec] = []
    for n, entry in enumerate(entries):
        name = entry.text("name", pattern=_NAME.pattern, expected='a version such as "20.10" (letters, digits, '
                                                                  "'.', '_', '-')")
        entry.where = f"[[tool.docexec.engines]] '{name}'"
        entry.only(_ENGINE_KEYS)
        if any(s.name == name for s in specs):
            raise DocexecError(f"pyproject.toml: [[tool.docexec.engines]]: engine '{name}' is listed twice")
        if ("snippets_dir" in entry.data) == (n == 0):
            raise DocexecError(f"pyproject.toml: {entry.where}: " + (
                "the first engine records into snippets_dir" if n == 0 else "needs snippets_dir (its own recordings)"))
        folder = entry.text("snippets_dir", "")
        cli = entry.text("cli", "", expected="the path of a docker CLI")
        suite, packages, into = _debian(root, Table(entry.data.get("debian", {}), f"{entry.where} debian"))
        specs.append(EngineSpec(
            name=name, path=tuple(root / p for p in entry.texts("path", "a list of folders")),
            cli=root / cli if cli else None,
            cli_version=entry.text("cli_version", "", pattern=r"(\d+\.\d+)?", expected='a version such as "28.5"'),
            check_clis=tuple(root / c for c in entry.texts("check_clis", "a list of paths of docker CLIs")),
            snippets_dir=root / folder if folder else snippets_dir,
            debian_suite=suite, packages=packages, into=into))
    return tuple(specs)


def _debian(root: Path, debian: Table) -> tuple[str, tuple[DebianPackage, ...], Path | None]:
    """A `debian` table: the suite, the pinned packages and the folder they are unpacked into."""
    debian.only(("suite", "into", "packages"))
    packages = []
    for pkg in debian.tables("packages"):
        pkg.only(("name", "version", "sha256"))
        if {"name", "version", "sha256"} - set(pkg.data):
            raise DocexecError(f"pyproject.toml: {debian.where}: each package needs name, version and sha256")
        packages.append(DebianPackage(pkg.text("name"), pkg.text("version"),
                                      pkg.text("sha256", pattern="[0-9a-f]{64}", expected="a sha256 in hex")))
    into = debian.text("into", "")
    return debian.text("suite", ""), tuple(packages), root / into if into else None


def _cli_plugins(root: Path, tool: Table) -> CliPlugins | None:
    """[tool.docexec.cli_plugins]: a folder of docker CLI plugins and, in its `debian` table, how to fetch it."""
    if "cli_plugins" not in tool.data:
        return None
    table = Table(tool.data["cli_plugins"], "[tool.docexec.cli_plugins]")
    table.only(("path", "debian"))
    suite, packages, into = _debian(root, Table(table.data.get("debian", {}), "[tool.docexec.cli_plugins.debian]"))
    path = table.text("path", expected="the folder of the plugins (docker-compose), relative to pyproject.toml")
    return CliPlugins(root / path, suite, packages, into)


def _engine_path(root: Path, configured: list[str]) -> tuple[Path, ...]:
    override = os.environ.get("DOCEXEC_ENGINE_PATH")
    folders = override.split(":") if override is not None else configured
    paths = tuple(root / f for f in folders if f)
    for path in paths:
        if not path.is_dir():
            raise DocexecError(f"engine_path: {path} is not a folder (it should hold dockerd, containerd, runc and "
                               "docker of the engine to run in labs)")
    return paths
