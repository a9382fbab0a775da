"""The project's settings, read once from `[tool.docexec]` in pyproject.toml."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import DocexecError


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
    `debian_suite`/`packages`/`into`: how `docexec engines fetch` gets the binaries (empty: the machine's own)."""

    name: str
    path: tuple[Path, ...] = ()
    cli: Path | None = None
    check_clis: tuple[Path, ...] = ()
    snippets_dir: Path = Path("snippets")
    debian_suite: str = ""
    packages: tuple[DebianPackage, ...] = ()
    into: Path | None = None

    @property
    def label(self) -> str:
        return f"Engine {self.name}" if self.name else "Engine"

    def missing(self) -> str:
        """Why this engine cannot run here ('' when its binaries are in place)."""
        for path in (*self.path, *([self.cli] if self.cli else [])):
            if not path.exists():
                how = " (fetch it: ./nox -s engines)" if self.packages else ""
                return f"engine {self.name or 'default'}: {path} is missing{how}"
        return ""


@dataclass(frozen=True)
class Config:
    root: Path
    docs_dir: Path
    snippets_dir: Path
    images_dir: Path
    workdir: Path
    cache_dir: Path
    default_timeout: float = 30.0
    max_output_bytes: int = 256 * 1024
    memory_limit: str = "256m"
    pids_limit: int = 256
    allow: tuple[Allowance, ...] = field(default_factory=tuple)
    # Folders whose dockerd, containerd, runc and docker a lab uses before the machine's (another Docker version);
    # DOCEXEC_ENGINE_PATH (folders separated by ':') overrides it.
    engine_path: tuple[Path, ...] = ()
    # Whether the page runs in a lab, where every path and change is the lab's own (the default, and what the
    # static lint assumes); the shared-daemon fallback checks its commands with False.
    isolated: bool = True
    # The docker CLI the page's commands run with (None: the first `docker` on PATH).
    cli: Path | None = None
    # Every engine the pages are recorded on; the fields above describe the one this Config is for.
    engines: tuple[EngineSpec, ...] = ()
    engine: str = ""

    def for_engine(self, spec: EngineSpec, cli: Path | None = None) -> Config:
        """This project's settings for running its pages on `spec` (with another CLI than the engine's, if given)."""
        return replace(self, engine=spec.name, engine_path=spec.path, cli=cli or spec.cli,
                       snippets_dir=spec.snippets_dir)

    def engine_spec(self, name: str) -> EngineSpec:
        for spec in self.engines:
            if spec.name == name:
                return spec
        raise DocexecError(f"unknown engine '{name}': pyproject.toml lists {', '.join(e.name for e in self.engines)}")

    def page_name(self, path: Path) -> str:
        """A page's stable name: its path below docs_dir, with forward slashes."""
        return path.resolve().relative_to(self.docs_dir.resolve()).as_posix()


def find_root(start: Path | None = None) -> Path:
    """The nearest folder upwards from `start` that holds a pyproject.toml with a [tool.docexec] table."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "[tool.docexec]" in candidate.read_text(encoding="utf-8"):
            return folder
    raise DocexecError(f"no pyproject.toml with a [tool.docexec] table above {here}")


def load_config(root: Path | None = None) -> Config:
    root = find_root(root)
    with open(root / "pyproject.toml", "rb") as fh:
        table = tomllib.load(fh).get("tool", {}).get("docexec", {})
    known = {"docs_dir", "snippets_dir", "images_dir", "workdir", "default_timeout", "max_output_bytes",
             "memory_limit", "pids_limit", "allow", "engine_path", "engines"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise DocexecError(f"pyproject.toml: unknown [tool.docexec] settings: {', '.join(unknown)}")
    allow = []
    for i, entry in enumerate(table.get("allow", [])):
        try:
            allow.append(Allowance(page=entry["page"], match=entry["match"], reason=entry["reason"]))
        except (KeyError, TypeError):
            raise DocexecError(
                f"pyproject.toml: [[tool.docexec.allow]] entry {i + 1} needs page, match and reason"
            ) from None
    snippets_dir = root / table.get("snippets_dir", "snippets")
    engines = _engines(root, table.get("engines", []), snippets_dir)
    config = Config(
        root=root,
        docs_dir=root / table.get("docs_dir", "docs"),
        snippets_dir=snippets_dir,
        images_dir=root / table.get("images_dir", "images"),
        workdir=Path(table.get("workdir", "/tmp/docexec-work")),
        cache_dir=root / ".cache" / "docexec",
        default_timeout=float(table.get("default_timeout", 30)),
        max_output_bytes=int(table.get("max_output_bytes", 256 * 1024)),
        memory_limit=str(table.get("memory_limit", "256m")),
        pids_limit=int(table.get("pids_limit", 256)),
        allow=tuple(allow),
        engine_path=_engine_path(root, table.get("engine_path", [])),
        engines=engines,
    )
    if not table.get("engines"):
        return replace(config, engines=(EngineSpec("", config.engine_path, None, (), snippets_dir),))
    if "engine_path" in table:
        raise DocexecError("pyproject.toml: with [[tool.docexec.engines]], give each engine its path there "
                           "instead of [tool.docexec] engine_path")
    if "DOCEXEC_ENGINE_PATH" in os.environ:
        raise DocexecError("DOCEXEC_ENGINE_PATH cannot be used with [[tool.docexec.engines]]: set their paths there")
    return config.for_engine(engines[0])


_ENGINE_KEYS = {"name", "path", "cli", "check_clis", "snippets_dir", "debian"}
_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,30}")


def _engines(root: Path, configured: object, snippets_dir: Path) -> tuple[EngineSpec, ...]:
    """[[tool.docexec.engines]]: the first engine's recordings are in snippets_dir, the others' in the folder
    each names."""
    where = "pyproject.toml: [[tool.docexec.engines]]"
    if not isinstance(configured, list) or not all(isinstance(e, dict) for e in configured):
        raise DocexecError(f"{where} must be an array of tables")
    specs: list[EngineSpec] = []
    for n, entry in enumerate(configured):
        unknown = sorted(set(entry) - _ENGINE_KEYS)
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise DocexecError(f"{where} entry {n + 1}: needs name = \"VERSION\" (letters, digits, '.', '_', '-')")
        if unknown:
            raise DocexecError(f"{where} '{name}': unknown settings: {', '.join(unknown)}")
        if any(s.name == name for s in specs):
            raise DocexecError(f"{where}: engine '{name}' is listed twice")
        folder = entry.get("snippets_dir")
        if (folder is None) != (n == 0):
            raise DocexecError(f"{where} '{name}': " + ("the first engine records into snippets_dir" if n == 0
                                                          else "needs snippets_dir (its own recordings)"))
        paths = entry.get("path", [])
        clis = entry.get("check_clis", [])
        if not isinstance(paths, list) or not isinstance(clis, list) or not all(
                isinstance(p, str) for p in [*paths, *clis]) or not isinstance(entry.get("cli", ""), str):
            raise DocexecError(f"{where} '{name}': path and check_clis are lists of paths, cli a path")
        debian = entry.get("debian", {})
        packages = []
        if not isinstance(debian, dict) or set(debian) - {"suite", "into", "packages"}:
            raise DocexecError(f"{where} '{name}': debian = {{suite, into, packages = [{{name, version, sha256}}]}}")
        for pkg in debian.get("packages", []):
            try:
                packages.append(DebianPackage(str(pkg["name"]), str(pkg["version"]), str(pkg["sha256"])))
            except (KeyError, TypeError):
                raise DocexecError(f"{where} '{name}': each debian package needs name, version and sha256") from None
        specs.append(EngineSpec(
            name=name, path=tuple(root / p for p in paths),
            cli=root / entry["cli"] if entry.get("cli") else None,
            check_clis=tuple(root / c for c in clis),
            snippets_dir=snippets_dir if folder is None else root / str(folder),
            debian_suite=str(debian.get("suite", "")), packages=tuple(packages),
            into=root / str(debian["into"]) if "into" in debian else None))
    return tuple(specs)


def _engine_path(root: Path, configured: object) -> tuple[Path, ...]:
    override = os.environ.get("DOCEXEC_ENGINE_PATH")
    folders = override.split(":") if override is not None else configured
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise DocexecError("pyproject.toml: [tool.docexec] engine_path must be a list of folders")
    paths = tuple(root / f for f in folders if f)
    for path in paths:
        if not path.is_dir():
            raise DocexecError(f"engine_path: {path} is not a folder (it should hold dockerd, containerd, runc and "
                               "docker of the engine to run in labs)")
    return paths
