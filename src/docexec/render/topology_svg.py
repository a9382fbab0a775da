"""`dot -Tsvg`'s output made ready to inline in a page (render/topology.py): no prolog, doctype or comments (the
Graphviz version one would change the file whenever Graphviz changes), no fixed size (it scales with the column,
never above its natural size nor under 12px text: docexec.css), no hard-coded colours (classes and `currentColor`,
coloured by docexec.css for the light and the dark scheme), ids prefixed so that two figures on a page do not clash,
and a title and a text summary for screen readers."""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

from docexec.render import topology_words

Topology = dict[str, Any]

_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.S)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="([\d.\-]+) ([\d.\-]+) ([\d.]+) ([\d.]+)"')
_INNER_TITLE = re.compile(r"<title>.*?</title>\n?", re.S)
_BACKGROUND = re.compile(r'<polygon fill="white" stroke="(?:transparent|none)"[^>]*/>\n?')
_COLOUR = re.compile(r'\b(fill|stroke)="([^"]*)"')
_ID = re.compile(r'\bid="([^"]+)"')
_CLUSTER = re.compile(r'(<g id="clust\d+" class="cluster[^"]*">.*?)(<text\b.*?</text>\n?)+(</g>)', re.S)
_CLUSTER_TEXT = re.compile(r"<text\b.*?</text>\n?", re.S)


def finish(svg: str, data: Topology, caption: str) -> str:
    prefix = "tp-" + hashlib.sha256((caption + json.dumps(data, sort_keys=True)).encode()).hexdigest()[:10]
    svg = _PROLOG.sub("", svg).strip()
    svg = _INNER_TITLE.sub("", svg)
    svg = _BACKGROUND.sub("", svg, count=1)
    svg = _titles_last(svg)
    svg = _COLOUR.sub(_colour, svg)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    box = _VIEWBOX.search(svg)
    attrs = ['xmlns="http://www.w3.org/2000/svg"', 'class="docexec-topology-svg"', 'role="img"', 'fill="currentColor"']
    if box:  # shrinks with the column, never below 12px text nor above its natural size
        width = float(box.group(3))
        attrs += [box.group(0), f'style="max-width:{round(width * 4 / 3)}px;min-width:{round(width)}px"']
    attrs += [f'aria-labelledby="{prefix}-title"', f'aria-describedby="{prefix}-desc"']
    opening = (f"<svg {' '.join(attrs)}><title id=\"{prefix}-title\">{html.escape(caption)}</title>"
               f'<desc id="{prefix}-desc">{html.escape(summary(data))}</desc>')
    return _SVG_OPEN.sub(lambda _: opening, svg, count=1)


def _titles_last(svg: str) -> str:
    """The namespaces' titles drawn after the edges, over them (with a halo, docexec.css): a line into a box
    passes behind its title instead of through it."""
    titles: list[str] = []

    def take(match: re.Match[str]) -> str:
        whole = match.group(0)
        titles.extend(_CLUSTER_TEXT.findall(whole))
        return _CLUSTER_TEXT.sub("", whole)

    svg = _CLUSTER.sub(take, svg)
    if not titles:
        return svg
    end = svg.rindex("</g>")
    return svg[:end] + '<g class="tp-titles">\n' + "".join(titles) + "</g>\n" + svg[end:]


def _colour(match: re.Match[str]) -> str:
    """dot's colours out: black becomes the text's colour, the others go to docexec.css (by the element's
    class), `none` where a shape has no colour of its own (readable even without the stylesheet)."""
    attr, value = match.group(1), match.group(2)
    if value in ("none", "transparent"):
        return f'{attr}="none"'
    if value.lower() in ("black", "#000000"):
        return f'{attr}="currentColor"'
    if attr == "stroke":
        return 'stroke="currentColor"'
    return 'fill="none"'


def summary(data: Topology) -> str:
    """The picture in words: each namespace, its interfaces and their addresses, and the LAN."""
    parts = []
    hosts = data.get("hosts", [])
    for host in hosts:
        for ns in host.get("namespaces", []):
            title = topology_words.ns_title(host, ns, len(hosts) > 1).replace("\n", "，")
            if len(hosts) > 1:
                title = f"宿主机 {host['name']}：{title}"
            ifaces = []
            for iface in topology_words.shown(ns):
                addresses = " ".join(iface.get("addresses") or [])
                peer = iface.get("peer") or {}
                extra = f"（veth 设备对的另一端在 {peer['namespace']} 的 {peer['interface']}）" if peer else ""
                extra += f"（网桥 {iface['master']} 的端口）" if iface.get("master") else ""
                ifaces.append(" ".join(x for x in (iface["name"], addresses) if x) + extra)
            parts.append(f"{title}：{'，'.join(ifaces)}。")
    lan = data.get("lan")
    if lan:
        parts.append(f"各宿主机经局域网 {lan.get('subnet') or ''} 相连。".replace("  ", " "))
    return "".join(parts)
