"""Build the site, serve it on 127.0.0.1, and drive Debian's Chromium: shared by the browser tests and by
benchmarks/page_weight.py.

The site is served under the path of SITE_URL (as it will be published), or in a sub-folder when it is unset, and
an unknown address gets 404.html with status 404, as static hosts do.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Build:
    site: Path
    log: str


def build_site(dest: Path) -> Build:
    """`mkdocs build` of the repository into dest, from the recordings only (no Docker daemon needed)."""
    env = {**os.environ, "DOCEXEC_MODE": "offline", "NO_MKDOCS_2_WARNING": "1"}
    mkdocs = Path(sys.executable).with_name("mkdocs")
    command = [str(mkdocs)] if mkdocs.exists() else [sys.executable, "-m", "mkdocs"]
    result = subprocess.run([*command, "build", "--clean", "-d", str(dest)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build failed ({result.returncode}):\n{log[-4000:]}")
    return Build(dest, log)


SUB_FOLDER = "/docker-net-zh/"


def site_prefix() -> str:
    """Where the built site is served: the path of SITE_URL when it is set (mkdocs.yml reads it from the
    environment), as it will be published; without it, a sub-folder (SUB_FOLDER), so that the tests see that the
    site works below a folder it knows nothing of, as on a mirror."""
    url = os.environ.get("SITE_URL")
    path = urllib.parse.urlsplit(url).path.strip("/") if url else SUB_FOLDER.strip("/")
    return "/" + path + "/" if path else "/"


def pages(site: Path) -> list[str]:
    """Every page of the built site as a URL path below the site root ("", "basics/veth/", "404.html")."""
    found = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        found.append(rel.removesuffix("index.html"))
    return found


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"
    answered: ClassVar[list[tuple[str, int]]] = []  # (path, status) of each request: one list per serve()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    cache_control: str | None = None  # sent with every answer when set (serve)

    def end_headers(self) -> None:
        if self.cache_control:
            self.send_header("Cache-Control", self.cache_control)
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.answered.append((urllib.parse.unquote(urllib.parse.urlsplit(self.path).path), int(code)))

    def translate_path(self, path: str) -> str:
        clean = urllib.parse.urlsplit(path).path
        if not clean.startswith(self.prefix) and clean + "/" != self.prefix:
            return str(Path(self.directory) / "\0missing")
        return super().translate_path("/" + clean[len(self.prefix):])

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if (path.is_dir() and not (path / "index.html").is_file()) or not path.exists():
            return self._not_found()
        return super().send_head()

    def _not_found(self) -> io.BytesIO:
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@dataclass(frozen=True)
class Server:
    origin: str  # http://127.0.0.1:PORT
    prefix: str  # /docker-net-zh/
    answered: list[tuple[str, int]] = field(default_factory=list)  # what reached the server: (path, status)

    @property
    def base(self) -> str:
        return self.origin + self.prefix

    def url(self, page: str) -> str:
        return self.base + page


@contextmanager
def serve(site: Path, prefix: str = "/", *, cache_control: str | None = None) -> Iterator[Server]:
    """Serve the folder on 127.0.0.1 at a free port, in a thread, for the duration of the block. cache_control:
    a Cache-Control header for every answer, as some hosts send (without it the browser guesses from
    Last-Modified how long to keep a file)."""
    answered: list[tuple[str, int]] = []
    kind = type("Handler", (_Handler,), {"prefix": prefix, "answered": answered, "cache_control": cache_control})
    handler = functools.partial(kind, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", prefix, answered)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def search_index(site: Path) -> dict[str, Any]:
    """The whole search index of a built site: the file that search/search_index.json names (docs_url,
    hooks/search_index.py), or search_index.json itself when it is the index."""
    folder = site / "search"
    index: dict[str, Any] = json.loads((folder / "search_index.json").read_text(encoding="utf-8"))
    name = index["config"].get("docs_url")
    return json.loads((folder / name).read_text(encoding="utf-8")) if name else index


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright; never `playwright install`)"
    return None


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
