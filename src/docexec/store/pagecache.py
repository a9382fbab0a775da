"""Parsed and checked pages, kept between builds in `.cache/docexec/pages.pickle`.

A warm build then parses no page at all. An entry's key is derived from everything the result depends on, so that
a changed page, engine or setting is simply a miss: the page's name and text; every file of the docexec package,
its code and its data (the docker CLI's option table, docker_flags.json, among them); and the inputs the caller
gives (the project's settings, the run context the lint checks in, the option table as loaded), walked field by
field, so that a field added to them counts without anyone remembering to add it here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import pickle
from collections.abc import Mapping
from pathlib import Path

from docexec.core.files import atomic_writer
from docexec.page.model import Page

_MAX_ENTRIES = 1000
PACKAGE = Path(__file__).resolve().parents[1]  # src/docexec


def package_files(package: Path = PACKAGE) -> list[Path]:
    """Every file of the package, its modules and its data, in a stable order."""
    return sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.relative_to(package).parts)


@functools.cache
def code_fingerprint(package: Path = PACKAGE) -> str:
    """A digest of the engine's code and data, as this process loaded them."""
    h = hashlib.sha256()
    for path in package_files(package):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def fingerprint(*inputs: object) -> str:
    """A digest of `inputs`, walked whatever their type: a dataclass field by field, a mapping item by item, a
    sequence element by element, anything else by its type and repr."""
    return hashlib.sha256(repr(_canonical(inputs)).encode()).hexdigest()


def _canonical(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value).__qualname__, tuple((f.name, _canonical(getattr(value, f.name)))
                                               for f in dataclasses.fields(value))
    if isinstance(value, Mapping):
        return "mapping", tuple(sorted((repr(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return type(value).__qualname__, tuple(_canonical(v) for v in value)
    if isinstance(value, set | frozenset):
        return "set", tuple(sorted(repr(_canonical(v)) for v in value))
    return type(value).__qualname__, repr(value)


class PageCache:
    """`inputs`: everything besides a page's name and text and the engine's code that its parse and check read."""

    def __init__(self, path: Path, *inputs: object) -> None:
        self.path = path
        self._salt = fingerprint(code_fingerprint(), *inputs)
        self._entries: dict[str, Page] | None = None
        self._used: set[str] = set()
        self._dirty = False

    def key(self, name: str, source: str) -> str:
        return hashlib.sha256(f"{self._salt}\0{name}\0{source}".encode()).hexdigest()

    def get(self, key: str) -> Page | None:
        page = self._load().get(key)
        if page is not None:
            self._used.add(key)
        return page

    def put(self, key: str, page: Page) -> None:
        self._load()[key] = page
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        """Write the cache if this build added to it (atomically; a failure only costs a re-parse next time)."""
        if not self._dirty or self._entries is None:
            return
        entries = {k: v for k, v in self._entries.items() if k in self._used}
        if len(entries) < _MAX_ENTRIES:
            for k, v in self._entries.items():
                if len(entries) >= _MAX_ENTRIES:
                    break
                entries.setdefault(k, v)
        with contextlib.suppress(OSError), atomic_writer(self.path, make_dirs=True) as fh:
            pickle.dump({"salt": self._salt, "entries": entries}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._dirty = False

    def _load(self) -> dict[str, Page]:
        if self._entries is None:
            try:
                with open(self.path, "rb") as fh:
                    loaded = pickle.load(fh)
                # Entries made by other engine code or settings can never be hit again: they are dropped, so the
                # cache does not grow with every change of the engine.
                fresh = isinstance(loaded, dict) and loaded.get("salt") == self._salt
                self._entries = dict(loaded["entries"]) if fresh else {}
            except Exception:  # missing, truncated or from another Python: start empty
                self._entries = {}
        return self._entries
