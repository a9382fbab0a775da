"""The words of a topology picture (render/topology.py tells the JSON), in the book's terms: the titles of the
namespaces, the lines of an interface's box, the routes worth showing, and how wide a line of them is."""

from __future__ import annotations

import ipaddress
from typing import Any

Topology = dict[str, Any]
FONT = 12  # pt, which the page shows as px at the picture's natural size


def text_width(text: str) -> float:
    """Width in ems, close to Helvetica/Arial and a CJK font (the page's fonts)."""
    total = 0.0
    for ch in text:
        if ord(ch) >= 0x2E80 or ch == "…":
            total += 1.0
        elif ch in " .,:;/[]()|!'ijlft-":
            total += 0.3
        elif ch.isdigit():
            total += 0.56
        elif ch.isupper() or ch in "mw":
            total += 0.7
        else:
            total += 0.53
    return total


def lines_width(lines: list[str]) -> float:
    """A box's width in pt: its widest line and the margins."""
    return max(text_width(line) for line in lines) * FONT + 18


def ns_kind(ns_id: str) -> str:
    """host, container, overlay, lb (an overlay network's load balancer), ns (any other: ns:<n>, ingress_sbox)."""
    if ns_id == "host":
        return "host"
    kind = ns_id.split(":", 1)[0] if ":" in ns_id else "ns"
    return kind if kind in ("container", "overlay", "lb") else "ns"


def ns_title(host: Topology, ns: Topology, several_hosts: bool) -> str:
    kind, _, name = ns["id"].partition(":")
    if ns["id"] == "host":
        title = "宿主机的网络命名空间" if several_hosts else f"宿主机 {host['name']} 的网络命名空间"
        guests = [c for c in ns.get("containers", []) if c != "host"]
        return title + (f"\n容器 {'、'.join(guests)} 也在其中（host 模式）" if guests else "")
    if kind == "container":
        return "容器 " + "、".join(ns.get("containers") or [name])
    if kind == "overlay":
        return f"overlay 网络 {name} 的命名空间"
    if kind == "lb":
        return f"overlay 网络 {name} 的负载均衡命名空间"
    if ns["id"] == "ingress_sbox":
        return "路由网格的命名空间 ingress_sbox"
    return f"网络命名空间 {name or ns['id']}"


def iface_lines(iface: Topology, networks: dict[str, str]) -> list[str]:
    """The lines of an interface's box: its name (a bridge says so, and which Docker network it is), what its
    kind adds, its addresses."""
    name, kind, details = iface["name"], iface.get("kind"), iface.get("details") or {}
    lines = [f"网桥 {name}"] if kind == "bridge" else [name]
    if kind == "bridge" and networks.get(name, name) != name:
        lines.append(f"{networks[name]} 网络")
    if kind == "vxlan":
        lines.append(f"VXLAN VNI {details['id']}" if "id" in details else "VXLAN")
    if kind in ("macvlan", "ipvlan"):
        mode = f" {details['mode']}" if details.get("mode") else ""
        lines.append(f"{kind}{mode} 子接口")
    lines += iface.get("addresses") or []
    if iface.get("state") == "DOWN":
        lines.append("未启用（DOWN）")
    return lines


def shown(ns: Topology) -> list[Topology]:
    """The interfaces drawn: `lo` only when it is the namespace's only one."""
    found = [i for i in ns.get("interfaces", []) if i.get("kind") != "loopback"]
    return found or list(ns.get("interfaces", []))


def route_lines(ns: Topology) -> list[str]:
    """The routes worth drawing: those an interface's own address does not already say."""
    connected = set()
    for iface in ns.get("interfaces", []):
        for addr in iface.get("addresses") or []:
            connected.add((str(ipaddress.ip_interface(addr).network), iface["name"]))
    lines = []
    for route in ns.get("routes", []):
        if not route.get("via") and (route.get("dst"), route.get("dev")) in connected:
            continue
        how = f"via {route['via']}" if route.get("via") else f"dev {route.get('dev')}"
        lines.append(f"{route.get('dst')} {how}")
    return lines
