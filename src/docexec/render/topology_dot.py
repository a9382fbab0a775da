"""The DOT text of a topology picture (render/topology.py tells the JSON): the words its boxes show, and a layout
that stays narrow enough for a phone.

Every namespace is a cluster (on a page of several hosts, inside its host's cluster), every interface but `lo` a
node (`lo` only when it is a namespace's only one), a veth pair an edge between its two ends, a bridge an edge to
each of its ports, the LAN a node linked to each host's LAN interface. Edges run from the host's namespace down to
its containers' (top to bottom). When the hosts side by side would be wider than a phone's column (text under 12px
once scaled down), they are stacked instead: the first host above the LAN, drawn upside down, the others below it;
a host's containers are wrapped into rows the same way. Everything is iterated in the JSON's own (sorted) order,
so the same JSON gives the same bytes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from docexec.render.topology_words import (
    FONT,
    iface_lines,
    lines_width,
    ns_kind,
    ns_title,
    route_lines,
    shown,
    text_width,
)

Topology = dict[str, Any]
PHONE = 370  # pt: what a phone's column holds at natural size (12px text on a 390px screen)
LEVEL = {"host": 0, "overlay": 1, "lb": 1, "ns": 1, "container": 2}


@dataclass
class _Ns:
    """A namespace being drawn: its nodes (id, lines, class), which is at its top and at its bottom."""
    key: str
    kind: str
    title: str
    nodes: list[tuple[str, list[str], str]] = field(default_factory=list)
    top: str = ""
    bottom: str = ""
    lan: str = ""  # its LAN interface's node
    extra: list[str] = field(default_factory=list)

    def routes_beside(self) -> bool:
        """The routes go beside the LAN interface when both fit a phone's column side by side, else below it."""
        beside = sum(lines_width(lines) + 14 for n, lines, cls in self.nodes if n == self.lan or cls == "tp-routes")
        return beside + 32 <= PHONE

    def width(self) -> float:
        """Roughly how wide dot draws it (pt): its widest row of boxes, or its title."""
        groups = {"port": 0.0, "lan": 0.0, "rest": 0.0, "routes": 0.0}
        for _, lines, cls in self.nodes:
            group = ("routes" if cls == "tp-routes" else "port" if "tp-port" in cls
                     else "lan" if "tp-lanif" in cls else "rest")
            groups[group] += lines_width(lines) + 14
        if self.lan and self.routes_beside():  # the routes beside the LAN interface, the bridges below
            rows = [groups["lan"] + groups["routes"], groups["rest"], groups["port"]]
        else:
            rows = [groups["lan"] + groups["rest"], groups["port"], groups["routes"]]
        title = max(text_width(line) for line in self.title.splitlines()) * FONT + 16
        return max(title, *rows) + 16


class _Drawing:
    def __init__(self, data: Topology, caption: str) -> None:
        self.data, self.caption = data, caption
        self.hosts: list[Topology] = data.get("hosts", [])
        self.several = len(self.hosts) > 1
        self.ids: dict[tuple[int, str, str], str] = {}
        self.out: list[str] = []

    def namespaces(self, hi: int, host: Topology) -> list[_Ns]:
        networks = {n["device"]: n["name"] for n in host.get("networks", []) if n.get("device")}
        drawn = []
        for ni, ns in enumerate(host.get("namespaces", [])):
            d = _Ns(f"h{hi}n{ni}", ns_kind(ns["id"]), ns_title(host, ns, self.several))
            ifaces = shown(ns)
            order = {i["name"]: n for n, i in enumerate(ifaces)}
            masters = {i.get("master") for i in ifaces}
            ranked = sorted(ifaces, key=lambda i: (not i.get("lan"), i.get("kind") != "bridge",
                                                   i["name"] not in masters, bool(i.get("master")),
                                                   order[i["name"]]))
            for ii, iface in enumerate(ranked):
                node = f"{d.key}i{ii}"
                self.ids[(hi, ns["id"], iface["name"])] = node
                cls = ["tp-if", f"tp-kind-{iface.get('kind', 'device')}"]
                cls += ["tp-port"] if iface.get("master") else []
                cls += ["tp-lanif"] if iface.get("lan") else []
                cls += ["tp-down"] if iface.get("state") == "DOWN" else []
                d.nodes.append((node, iface_lines(iface, networks), " ".join(cls)))
                if iface.get("lan"):
                    d.lan = d.lan or node
            routes = route_lines(ns)
            if routes:
                d.nodes.append((f"{d.key}r", ["路由", *routes], "tp-routes"))
            d.top = d.nodes[0][0] if d.nodes else ""
            lowest = [n for n, _, cls in d.nodes if "tp-port" in cls] or [n for n, _, _ in d.nodes]
            d.bottom = d.nodes[-1][0] if d.nodes and not d.lan else lowest[-1] if lowest else ""
            drawn.append(d)
        return drawn

    def host_width(self, drawn: list[_Ns]) -> float:
        levels: dict[int, float] = {}
        for d in drawn:
            levels[LEVEL.get(d.kind, 1)] = levels.get(LEVEL.get(d.kind, 1), 0) + d.width() + 8
        return max(levels.values(), default=0) + (16 if self.several else 0)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(lines: list[str], cls: str) -> str:
    if cls == "tp-routes":
        return '"' + "".join(_quote(line)[1:-1] + "\\l" for line in lines) + '"'
    return _quote("\n".join(lines))


def dot_text(data: Topology, caption: str) -> str:
    dr = _Drawing(data, caption)
    per_host = [dr.namespaces(hi, host) for hi, host in enumerate(dr.hosts)]
    stacked = dr.several and sum(dr.host_width(d) + 8 for d in per_host) > PHONE
    out = [f"digraph {_quote(caption)} {{",
           f'  graph [rankdir=TB, nodesep=0.2, ranksep=0.3, fontname="Helvetica", fontsize={FONT}];',
           f'  node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", fontname="Helvetica", '
           f'fontsize={FONT}, margin="0.1,0.03", height=0.3];',
           f'  edge [dir=none, fontname="Helvetica", fontsize={FONT}];']
    edges: list[str] = []
    for hi, drawn in enumerate(per_host):
        mirrored = stacked and hi == 0
        edge = _edger(edges, mirrored)
        for d in drawn:
            _ties(d, edge)
            if LEVEL.get(d.kind) == 1 and drawn[0].kind == "host" and drawn[0].bottom and d.top:
                edge(drawn[0].bottom, d.top, "tp-invis", "style=invis")  # below the host's namespace
            elif d.kind == "container" and d.lan and drawn[0].kind == "host":  # a macvlan on the LAN: no veth
                for node in _lowest(drawn[0])[:1]:  # holds it below the host's bridges, it would stand beside them
                    edge(node, d.top, "tp-invis", "style=invis, weight=10")
        rows = _wrap_rows([d for d in drawn if LEVEL.get(d.kind) == 1], edge)
        rows += _wrap_rows([d for d in drawn if d.kind == "container"], edge)
        _links(dr, hi, edge, every_label=rows <= 2)
        out += _host_clusters(dr, hi, drawn, mirrored)
        if stacked and hi >= 2:
            edge(per_host[hi - 1][-1].bottom, per_host[hi][0].top, "tp-invis", "style=invis")
    if dr.several or data.get("lan") is not None:
        subnet = (data.get("lan") or {}).get("subnet")
        out.append(f'  lan [label={_quote("局域网" + (" " + subnet if subnet else ""))}, class="tp-lan", '
                   f'style=filled, fillcolor="#e8e8e8"];')
        for hi, drawn in enumerate(per_host):
            for node in [d.lan for d in drawn if d.lan][:1]:
                extra = ", constraint=false" if stacked and hi >= 2 else ""
                _edger(edges, stacked and hi == 0)("lan", node, "tp-lan-link", "penwidth=2" + extra)
    return "\n".join([*out, *edges, "}"]) + "\n"


def _edger(edges: list[str], mirrored: bool):  # type: ignore[no-untyped-def]
    def edge(tail: str, head: str, cls: str, attrs: str = "") -> None:
        a, b = (head, tail) if mirrored else (tail, head)
        edges.append(f'  {a} -> {b} [class="{cls}"{", " + attrs if attrs else ""}];')
    return edge


def _host_clusters(dr: _Drawing, hi: int, drawn: list[_Ns], mirrored: bool) -> list[str]:
    out = []
    indent = "  "
    if dr.several:
        out.append(f'  subgraph cluster_h{hi} {{ label={_quote("宿主机 " + dr.hosts[hi]["name"])}; '
                   f'class="tp-host"; style="rounded"; margin=6;')
        indent = "    "
    for d in drawn:
        out.append(f'{indent}subgraph cluster_{d.key} {{ label={_quote(d.title)}; class="tp-ns tp-ns-{d.kind}"; '
                   f'style="rounded,filled"; fillcolor="#fafafa"; margin=6;')
        for node, lines, cls in reversed(d.nodes) if mirrored else d.nodes:  # dot then keeps it as the others
            shape = ', shape=box, style="dashed", labeljust=l' if cls == "tp-routes" else ""
            out.append(f'{indent}  {node} [label={_label(lines, cls)}, class="{cls}"{shape}];')
        out += [f"{indent}  {line}" for line in d.extra]
        out.append(f"{indent}}}")
    if dr.several:
        out.append("  }")
    return out


def _ties(d: _Ns, edge) -> None:  # type: ignore[no-untyped-def]
    """Invisible edges inside a namespace: its bridges below its LAN interface, its routes beside that interface
    (or below the interfaces when it has none)."""
    routes = [n for n, _, cls in d.nodes if cls == "tp-routes"]
    if d.lan:
        for node, _, cls in d.nodes:
            if node != d.lan and cls != "tp-routes" and "tp-port" not in cls:
                edge(d.lan, node, "tp-invis", "style=invis")
        if routes and d.routes_beside():
            d.extra.append(f"{{rank=same; {d.lan} -> {routes[0]} [style=invis];}}")  # flat: routes right
        elif routes:
            edge(d.lan, routes[0], "tp-invis", "style=invis")  # too wide beside it: below it
    elif routes and len(d.nodes) > 1:
        for node, _, cls in d.nodes[:-1]:
            if "tp-port" not in cls:
                edge(node, routes[0], "tp-invis", "style=invis")


def _lowest(d: _Ns) -> list[str]:
    """The boxes a namespace hung below it goes under: its ports, else all but its LAN interface and routes."""
    return ([n for n, _, cls in d.nodes if "tp-port" in cls]
            or [n for n, _, cls in d.nodes if n != d.lan and cls != "tp-routes"])


def _wrap_rows(level: list[_Ns], edge) -> int:  # type: ignore[no-untyped-def]
    """Namespaces of a level (containers; overlay and other namespaces) side by side while they fit a phone's
    column; the next row below (invisible edges). How many rows (at least 1)."""
    rows: list[list[_Ns]] = [[]]
    used = 0.0
    for d in (d for d in level if d.nodes):
        if rows[-1] and used + d.width() > PHONE:
            rows.append([])
            used = 0.0
        rows[-1].append(d)
        used += d.width() + 8
    for above, below in itertools.pairwise(rows):
        for n, d in enumerate(below):
            edge(above[min(n, len(above) - 1)].bottom, d.top, "tp-invis", "style=invis, weight=10")
    return len(rows)


def _links(dr: _Drawing, hi: int, edge, every_label: bool) -> None:  # type: ignore[no-untyped-def]
    """The edges of one host: veth pairs, bridge ports, VXLAN tunnels to the LAN interface, macvlan parents.
    Each veth pair says so, or only the first when the containers are in rows (labels would widen the picture)."""
    host = dr.hosts[hi]
    lan_if = next((dr.ids[(hi, ns["id"], i["name"])] for ns in host.get("namespaces", [])
                   for i in ns.get("interfaces", []) if i.get("lan") and (hi, ns["id"], i["name"]) in dr.ids), None)
    done: set[str] = set()
    for ns in host.get("namespaces", []):
        for iface in ns.get("interfaces", []):
            node = dr.ids.get((hi, ns["id"], iface["name"]))
            if node is None:
                continue
            peer = iface.get("peer") or {}
            other = dr.ids.get((hi, peer.get("namespace", ""), peer.get("interface", "")))
            if other and other not in done:
                pair = [(LEVEL.get(ns_kind(ns["id"]), 1), node), (LEVEL.get(ns_kind(peer["namespace"]), 1), other)]
                (_, tail), (_, head) = sorted(pair)
                label = f'label={_quote("veth 设备对")}, ' if every_label or not done else ""
                edge(tail, head, "tp-pair", label + 'color="#555555:invis:#555555"')
                done.add(node)
            if iface.get("master") and (hi, ns["id"], iface["master"]) in dr.ids:
                edge(dr.ids[(hi, ns["id"], iface["master"])], node, "tp-port")
            details = iface.get("details") or {}
            if iface.get("kind") == "vxlan" and lan_if:
                edge(lan_if, node, "tp-tunnel", "style=dashed")
            parent = dr.ids.get((hi, "host", details.get("parent", "")))
            if iface.get("kind") in ("macvlan", "ipvlan") and parent:
                edge(parent, node, "tp-parent", "style=dashed")  # the sub-interface's own box says macvlan
