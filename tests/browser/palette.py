"""Colours as a reader's browser computes them, in Material's light and dark palettes: shared by the tests of the
drawings (Mermaid diagrams, measured topology pictures)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .conftest import new_context, visit
from .sitekit import DESKTOP, Server


def rgb(colour: str, under: str = "rgb(255, 255, 255)") -> tuple[float, ...]:
    """r, g, b in 0..1 of a computed colour, a translucent one laid over `under`."""
    parts = [float(c) for c in re.findall(r"[\d.]+", colour)]
    alpha = parts[3] if len(parts) > 3 else 1.0
    base = rgb(under) if alpha < 1 else (0.0, 0.0, 0.0)
    return tuple(alpha * c / 255 + (1 - alpha) * b for c, b in zip(parts[:3], base, strict=True))


def luminance(colour: tuple[float, ...]) -> float:
    return sum(k * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
               for k, c in zip((0.2126, 0.7152, 0.0722), colour, strict=True))


def contrast(text: str, page: str) -> float:
    a, b = sorted((luminance(rgb(text, page)), luminance(rgb(page))), reverse=True)
    return (a + 0.05) / (b + 0.05)


def assert_follows_palettes(browser: Any, server: Server, page: str, script: str,
                            then: Callable[[Any, str], None] | None = None) -> None:
    """`script` returns {text, page} colours (computed CSS strings) on `page`, in the light and the dark scheme:
    the text is dark on the light page and light on the dark one, with a contrast of 4.5:1 or more on both.
    `then(browser page, scheme)` runs after the colours are read (a screenshot, say)."""
    colours = {}
    for scheme in ("light", "dark"):
        context = new_context(browser, server, viewport=DESKTOP, color_scheme=scheme)
        try:
            seen = visit(context, server.url(page))
            colours[scheme] = seen.page.evaluate(script)
            if then is not None:
                then(seen.page, scheme)
        finally:
            context.close()
    light, dark = colours["light"], colours["dark"]
    assert light["text"] != dark["text"], colours
    for scheme, found in colours.items():
        assert contrast(found["text"], found["page"]) >= 4.5, f"{scheme}: {found}"
    assert luminance(rgb(light["text"], light["page"])) < luminance(rgb(dark["text"], dark["page"])), colours
