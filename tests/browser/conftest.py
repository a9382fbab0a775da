"""Fixtures of the browser tests: the site built once per session, served on 127.0.0.1, and headless Chromium.

Without Chromium (or the playwright package) the tests that need a browser are skipped with one reason, except
when CI=true: there they fail. The tests that only read the built files run anyway.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .sitekit import DESKTOP, PHONE, ROOT, Build, Server, build_site, chromium_missing, launch, serve, site_prefix

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: builds the site and checks it as a reader's browser shows it")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def doc_pages() -> list[str]:
    """URL paths of the pages under docs/ (directory URLs), as the build should produce them."""
    found = []
    docs = ROOT / "docs"
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs).as_posix()
        if rel.startswith("assets/"):
            continue  # not pages (exclude_docs)
        stem = rel.removesuffix(".md")
        if stem == "index" or stem.endswith("/index") or stem == "README" or stem.endswith("/README"):
            found.append(stem.rsplit("index", 1)[0].rsplit("README", 1)[0])
        else:
            found.append(stem + "/")
    return found


def pages_with(fence: re.Pattern[str]) -> dict[str, int]:
    """Page (URL path) -> how many matches of `fence` its Markdown has, for the pages that have any."""
    counts = {p: len(fence.findall((ROOT / "docs" / page_source(p)).read_text(encoding="utf-8"))) for p in doc_pages()}
    return {p: n for p, n in counts.items() if n}


def device_options(device: str) -> dict[str, Any]:
    """A browser context's options for "phone" (390px, touch, 2x) or "desktop"."""
    if device == "desktop":
        return {"viewport": DESKTOP}
    return {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def page_source(url_path: str) -> str:
    """The Markdown file of a built page ("basics/veth/" -> "basics/veth.md")."""
    if url_path in ("", "/"):
        return "index.md"
    stem = url_path.strip("/")
    return f"{stem}/index.md" if (ROOT / "docs" / stem / "index.md").is_file() else f"{stem}.md"


@pytest.fixture(scope="session")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build_site(tmp_path_factory.mktemp("browser") / "site")


@pytest.fixture(scope="session")
def site(site_build: Build) -> Path:
    return site_build.site


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[Server]:
    with serve(site, site_prefix()) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    why = chromium_missing()
    if why is not None:
        if in_ci():
            pytest.fail(f"CI=true and the browser tests cannot run: {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def new_context(browser: Any, server: Server, **options: Any) -> Any:
    """A browser context that can reach only the test server: any other request is recorded by the page's
    listeners (and fails the test that checks them), then aborted here, so nothing leaves this machine."""
    context = browser.new_context(locale="zh-CN", **options)
    context.route(re.compile("^(?!" + re.escape(server.origin) + "/)[a-z]+://"), lambda route: route.abort())
    return context


@pytest.fixture
def desktop(browser: Any, server: Server) -> Iterator[Any]:
    context = new_context(browser, server, viewport=DESKTOP)
    yield context
    context.close()


@pytest.fixture
def phone(browser: Any, server: Server) -> Iterator[Any]:
    context = new_context(browser, server, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield context
    context.close()


@dataclass
class Visit:
    """A page opened in a browser context, with everything it asked for and complained about."""

    page: Any
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # page errors, failed requests, HTTP errors

    def foreign_requests(self, origin: str) -> list[str]:
        return [u for u in self.requests
                if urllib.parse.urlsplit(u).scheme not in ("data", "blob", "about")
                and not (u == origin or u.startswith(origin + "/"))]


def visit(context: Any, url: str, *, expect_status: int = 200) -> Visit:
    """Open url, wait until the network is idle (search index, diagrams), and record what happened.

    Chromium aborts requests in flight with ERR_NETWORK_CHANGED when a network interface comes or goes on the
    machine (Docker creates and removes veth devices while pages are recorded): such a visit is made again."""
    for _ in range(3):
        seen = _visit_once(context, url, expect_status=expect_status)
        if not any("ERR_NETWORK_CHANGED" in p for p in seen.problems + seen.console_errors):
            return seen
        seen.page.close()
    return seen


def _visit_once(context: Any, url: str, *, expect_status: int) -> Visit:
    page = context.new_page()
    seen = Visit(page)
    page.on("request", lambda r: seen.requests.append(r.url))

    def on_console(message: Any) -> None:
        where = message.location.get("url", "")
        if message.type != "error" or (expect_status != 200 and "Failed to load" in message.text
                                       and (where == url or _root_probe(where))):
            return  # the browser reports the expected status of the page itself as a console error
        seen.console_errors.append(f"{message.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda e: seen.problems.append(f"uncaught error: {e}"))
    page.on("requestfailed", lambda r: seen.problems.append(f"request failed: {r.url} ({r.failure})"))

    def on_response(response: Any) -> None:
        expected = response.url == url and response.status == expect_status
        probe = expect_status == 404 and response.request.method == "HEAD" and _root_probe(response.url)
        if response.status >= 400 and not (expected or probe):
            seen.problems.append(f"HTTP {response.status}: {response.url}")

    page.on("response", on_response)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == expect_status, f"{url}: HTTP {response and response.status}"
    page.wait_for_load_state("networkidle")
    return seen


def _root_probe(url: str) -> bool:
    """The 404 page looks for the site's root folder by asking each folder of its address for 404.html (HEAD,
    overrides/404.html): the folders below the root answer 404, which is expected."""
    return url.endswith("/404.html")


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
