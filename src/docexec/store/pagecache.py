"""Parsed and checked pages, kept between builds in `.cache/docexec/pages.pickle`.

A warm build then parses no page at all. The key covers everything the result depends on:
the page's name and text, the engine's own source code, and the project's settings (allowances included), so a
changed page, engine or setting is simply a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from pathlib import Path

from docexec.core.config import Config
from docexec.core.files import atomic_writer
from docexec.page.model import Page

_MAX_ENTRIES = 1000


def _code_fingerprint() -> str:
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class PageCache:
    def __init__(self, config: Config) -> None:
        self.path = config.root / ".cache" / "docexec" / "pages.pickle"
        self._salt = _code_fingerprint() + repr(config)
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
