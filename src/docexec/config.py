"""The project's settings, read once from `[tool.docexec]` in pyproject.toml."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DocexecError


@dataclass(frozen=True)
class Allowance:
    """A use of a refused flag or host command that the project allows, with the reason it is needed."""

    page: str
    match: str  # the exact argument (docker flag with its value) or host command line allowed
    reason: str


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
             "memory_limit", "pids_limit", "allow", "engine_path"}
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
    return Config(
        root=root,
        docs_dir=root / table.get("docs_dir", "docs"),
        snippets_dir=root / table.get("snippets_dir", "snippets"),
        images_dir=root / table.get("images_dir", "images"),
        workdir=Path(table.get("workdir", "/tmp/docexec-work")),
        cache_dir=root / ".cache" / "docexec",
        default_timeout=float(table.get("default_timeout", 30)),
        max_output_bytes=int(table.get("max_output_bytes", 256 * 1024)),
        memory_limit=str(table.get("memory_limit", "256m")),
        pids_limit=int(table.get("pids_limit", 256)),
        allow=tuple(allow),
        engine_path=_engine_path(root, table.get("engine_path", [])),
    )


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
