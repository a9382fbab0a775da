"""Page weight of the built site in headless Chromium: what a reader's first visit costs.

    python benchmarks/page_weight.py                 build the site (offline, from the recordings) and measure
    python benchmarks/page_weight.py --site DIR      measure an already built site
    python benchmarks/page_weight.py --page basics/docker0/   measure this page in detail

For every page: bytes and requests of a first visit (empty cache, until the network is idle, so the search
index and diagrams count). Then, for the largest page (by HTML size, or --page) and for the heaviest first
visit: bytes, requests, time to the load event (median of --runs cold loads, on the loopback and on a simulated
slow mobile link), and every origin contacted. The local server does not compress; "gzip" is what a host that
compresses text would send (gzip -6 of each text file).

Needs Debian's chromium (apt-get install chromium fonts-noto-cjk) and the playwright package.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))

import sitekit

TEXT = (".html", ".css", ".js", ".json", ".svg", ".txt", ".xml")
# Lighthouse's "slow 4G" mobile profile: 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip.
SLOW_MOBILE = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
               "uploadThroughput": 750_000 / 8}


@dataclass
class Load:
    page: str
    requests: list[str] = field(default_factory=list)
    bytes_wire: int = 0  # headers + body as sent by the local server
    bytes_gzip: int = 0  # estimate with a compressing host
    load_ms: float = 0.0

    @property
    def origins(self) -> list[str]:
        found = []
        for url in self.requests:
            parts = urllib.parse.urlsplit(url)
            origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"
            if origin not in found:
                found.append(origin)
        return found


def _gzip_size(site: Path, server: sitekit.Server, url: str, body: int) -> int:
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    rel = path[len(server.prefix):] if path.startswith(server.prefix) else ""
    file = site / rel
    if file.is_dir() or rel == "" or rel.endswith("/"):
        file = file / "index.html"
    if file.is_file() and file.suffix in TEXT:
        return len(gzip.compress(file.read_bytes(), compresslevel=6))
    return body


def measure(browser: Any, site: Path, server: sitekit.Server, page: str, *, viewport: dict[str, int],
            throttle: dict[str, Any] | None = None) -> Load:
    """One cold first visit (new browser context, empty cache)."""
    context = browser.new_context(viewport=viewport)
    # Only this machine: anything else is recorded, then refused.
    context.route(re.compile("^(?!" + re.escape(server.origin) + "/)[a-z]+://"), lambda route: route.abort())
    tab = context.new_page()
    result = Load(page)
    finished: list[Any] = []
    tab.on("request", lambda r: result.requests.append(r.url))
    tab.on("requestfinished", lambda r: finished.append(r))
    if throttle:
        cdp = context.new_cdp_session(tab)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", throttle)
    tab.goto(server.url(page), wait_until="load")
    tab.wait_for_load_state("networkidle")
    result.load_ms = tab.evaluate("performance.getEntriesByType('navigation')[0].loadEventStart")
    for request in finished:
        sizes = request.sizes()
        body = sizes["responseBodySize"]
        result.bytes_wire += body + sizes["responseHeadersSize"]
        result.bytes_gzip += _gzip_size(site, server, request.url, body) + sizes["responseHeadersSize"]
    context.close()
    return result


def kib(n: float) -> str:
    return f"{n / 1024:,.1f} KiB"


def detail(title: str, browser: Any, site: Path, server: sitekit.Server, page: str, runs: int) -> None:
    loads = [measure(browser, site, server, page, viewport=sitekit.PHONE) for _ in range(runs)]
    slow = [measure(browser, site, server, page, viewport=sitekit.PHONE, throttle=SLOW_MOBILE)
            for _ in range(runs)]
    first = loads[0]
    html = site / (page if page.endswith(".html") else page + "index.html")
    print(f"\n{title}: /{page}  (HTML {kib(html.stat().st_size)})")
    print(f"  bytes transferred, first load : {first.bytes_wire:,} B ({kib(first.bytes_wire)}) as served here, "
          f"~{kib(first.bytes_gzip)} with gzip")
    print(f"  requests                      : {len(first.requests)}")
    print(f"  time to load event (loopback) : {statistics.median(x.load_ms for x in loads):.0f} ms "
          f"(median of {runs})")
    print(f"  time to load event (slow 4G)  : {statistics.median(x.load_ms for x in slow):.0f} ms "
          f"(median of {runs}; 1.6 Mbit/s, 150 ms RTT, uncompressed)")
    print(f"  origins contacted             : {', '.join(first.origins)}")
    for url in first.requests:
        print(f"      {url[len(server.origin):]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="an already built site (default: build one now)")
    parser.add_argument("--page", help="page to detail, e.g. basics/docker0/ (default: the largest)")
    parser.add_argument("--runs", type=int, default=3, help="cold loads per timing (default 3)")
    args = parser.parse_args(argv)

    why = sitekit.chromium_missing()
    if why:
        print(f"page_weight: {why}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="page-weight-") as tmp:
        site = args.site or sitekit.build_site(Path(tmp) / "site").site
        all_pages = [p for p in sitekit.pages(site) if p != "404.html"]
        largest = args.page or max(all_pages, key=lambda p: (site / p / "index.html").stat().st_size)
        with sitekit.serve(site, sitekit.site_prefix()) as server, sync_playwright() as playwright:
            browser = sitekit.launch(playwright)
            try:
                print(f"{'page':34} {'HTML':>11} {'requests':>9} {'first load':>12} {'gzip':>11}")
                loads = []
                for page in all_pages:
                    load = measure(browser, site, server, page, viewport=sitekit.PHONE)
                    loads.append(load)
                    size = (site / page / "index.html").stat().st_size
                    print(f"/{page:33} {kib(size):>11} {len(load.requests):>9} {kib(load.bytes_wire):>12} "
                          f"{kib(load.bytes_gzip):>11}")
                origins = sorted({o for load in loads for o in load.origins})
                print(f"origins contacted by any page: {', '.join(origins)}")
                detail("largest page", browser, site, server, largest, args.runs)
                heaviest = max(loads, key=lambda x: x.bytes_wire).page
                if heaviest != largest:
                    detail("heaviest first load", browser, site, server, heaviest, args.runs)
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
