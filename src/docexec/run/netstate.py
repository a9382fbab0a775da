"""One host's entry of a topology (run.topology): its namespaces named after what uses them, their interfaces with
the ends of each veth paired, the names Docker made up replaced by stable ones, and its Docker networks. Pure: it
reads what the capture read and starts nothing."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docexec.lab.lan import LAN

# Names Docker makes up, and what replaces them (numbered: veth[1], br-[1], vx-[1]).
RANDOM = (("veth", re.compile(r"veth[0-9a-f]{7}")), ("br-", re.compile(r"br-[0-9a-f]{12}")),
          ("vx-", re.compile(r"vx-[0-9a-f]{6}-[0-9a-z]{5}")))


@dataclass(frozen=True)
class Namespace:
    """A namespace as captured: its name (`host`, or its file under /var/run/docker/netns), `ip -j -d addr` and
    `ip -j route`."""

    name: str
    links: list[dict[str, Any]]
    routes: list[dict[str, Any]]


@dataclass
class _Iface:
    ns: str  # the namespace's id
    link: dict[str, Any]
    name: str
    peer: _Iface | None = None
    parent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def host_entry(name: str, namespaces: list[Namespace], containers: list[dict[str, Any]],
               networks: list[dict[str, Any]]) -> dict[str, Any]:
    ids = _namespace_ids(namespaces, containers, networks)
    users = _users(containers)
    ifaces = {ns.name: [_Iface(ids[ns.name], link, link["ifname"]) for link in ns.links] for ns in namespaces}
    _pair(ifaces)
    renamed = _stable_names([i for found in ifaces.values() for i in found], networks)
    out: list[dict[str, Any]] = []
    for ns in namespaces:
        rename = _renamer(renamed, ids[ns.name])
        interfaces = [_interface(i, rename, renamed) for i in ifaces[ns.name]]
        routes = [_route(r, rename) for r in ns.routes]
        out.append({"id": ids[ns.name], "containers": sorted(users.get(ns.name, ())),
                    "interfaces": sorted(interfaces, key=lambda i: str(i["name"])),
                    "routes": sorted(routes, key=lambda r: (str(r["dst"]), str(r["via"] or ""), str(r["dev"])))})
    out.sort(key=lambda n: (n["id"] != "host", n["id"]))
    nets = [_network(n, containers, renamed) for n in networks]
    host = next((n for n in out if n["id"] == "host"), None)
    for net in nets:
        if net["driver"] == "bridge" and host is not None:
            net["gateways"] = _bridge_gateways(net, host["interfaces"])
    return {"name": name, "namespaces": out, "networks": sorted(nets, key=lambda n: n["name"])}


def _bridge_gateways(net: dict[str, Any], interfaces: list[dict[str, Any]]) -> list[str]:
    """A bridge network's gateways, each family's as its bridge carries it when `docker network inspect` leaves it
    out (engine 20.10 does for the default bridge, 28 lists its IPv4 one; neither an IPv6 one unless given): the
    same addresses either way, so one picture for both."""
    listed = {ipaddress.ip_address(g).version for g in net["gateways"]}
    subnets = [n for n in (ipaddress.ip_network(s, strict=False) for s in net["subnets"]) if n.version not in listed]
    device = next((i for i in interfaces if i["name"] == net["device"]), None)
    found = list(net["gateways"])
    for address in device["addresses"] if device else ():
        ip = ipaddress.ip_interface(address).ip
        if any(ip in subnet for subnet in subnets if subnet.version == ip.version):
            found.append(str(ip))
    return sorted(found)


def _renamer(renamed: dict[tuple[str, str | None], str], ns: str) -> Callable[[str | None], str | None]:
    """How the names of a namespace's interfaces are written: stable ones for those Docker made up."""
    def rename(name: str | None) -> str | None:
        return renamed.get((ns, name), name)
    return rename


def _users(containers: list[dict[str, Any]]) -> dict[str, set[str]]:
    """The containers of each namespace (by its file name; "host": the host's own), `container:X` ones with X's."""
    by_ref = {ref: c for c in containers for ref in (c["id"], c["name"])}
    users: dict[str, set[str]] = {}
    for c in containers:
        owner, seen = c, set()
        while owner["mode"].startswith("container:") and owner["id"] not in seen:
            seen.add(owner["id"])
            target = owner["mode"].split(":", 1)[1]
            owner = by_ref.get(target) or next((o for r, o in by_ref.items() if r.startswith(target)), owner)
        if owner["mode"] == "host":
            users.setdefault("host", set()).add(c["name"])
        elif owner["sandbox"]:
            users.setdefault(owner["sandbox"].rsplit("/", 1)[-1], set()).add(c["name"])
    return users


def _namespace_ids(namespaces: list[Namespace], containers: list[dict[str, Any]],
                   networks: list[dict[str, Any]]) -> dict[str, str]:
    users = _users(containers)
    ids, unnamed = {"host": "host"}, []
    for ns in namespaces:
        if ns.name == "host":
            continue
        # An overlay network's namespace is 1-<its id's first 10 characters>, its load balancer's lb_<9>.
        of = re.fullmatch(r"(1-|lb_)(\w+)", ns.name)
        network = next((n for n in networks if of and n["id"].startswith(of.group(2))), None)
        if users.get(ns.name):
            ids[ns.name] = "container:" + sorted(users[ns.name])[0]
        elif of and network is not None:
            ids[ns.name] = ("overlay:" if of.group(1) == "1-" else "lb:") + network["name"]
        elif ns.name == "ingress_sbox":  # a swarm's routing mesh, named so by Docker
            ids[ns.name] = ns.name
        else:
            unnamed.append(ns)
    unnamed.sort(key=lambda ns: sorted([*_addresses(link), link["ifname"]] for link in ns.links))
    ids.update((ns.name, f"ns:{n}") for n, ns in enumerate(unnamed, 1))
    return ids


def _pair(ifaces: dict[str, list[_Iface]]) -> None:
    """Each veth's other end: in the same namespace (no link_netnsid), else the one interface elsewhere whose
    number is this one's link and whose link is this one's number."""
    for ns, found in ifaces.items():
        for iface in found:
            link, index = iface.link, iface.link.get("link_index")
            if index is None:  # ip names the link when it is in the same namespace: the host's own macvlan
                if _kind(link) in ("macvlan", "ipvlan") and link.get("link"):
                    iface.parent = link["link"]
                continue
            if "link_netnsid" not in link:
                where = [i for i in found if i.link["ifindex"] == index]
            else:
                where = [i for other, theirs in ifaces.items() if other != ns for i in theirs
                         if i.link["ifindex"] == index and i.link.get("link_index") == link["ifindex"]]
            if _kind(link) == "veth":
                iface.peer = where[0] if len(where) == 1 else None
            elif _kind(link) in ("macvlan", "ipvlan"):
                host = [i for i in ifaces.get("host", ()) if i.link["ifindex"] == index]
                iface.parent = link.get("link") or (host[0].name if "link_netnsid" in link and host else None)


def _stable_names(ifaces: list[_Iface], networks: list[dict[str, Any]]) -> dict[tuple[str, str | None], str]:
    """(namespace id, name) -> the stable name of each interface whose name Docker made up."""
    device = {_device(n): n["name"] for n in networks}
    renamed: dict[tuple[str, str | None], str] = {}
    for prefix, pattern in RANDOM:
        made_up = [i for i in ifaces if pattern.fullmatch(i.name)]

        def order(i: _Iface, prefix: str = prefix) -> tuple[str, ...]:
            if prefix == "br-":
                return (device.get(i.name, ""), i.ns, i.name)
            if prefix == "vx-":
                return (f"{_details(i.link).get('id', 0):012d}", i.ns, i.name)
            return (i.peer.ns, i.peer.name, i.ns) if i.peer else ("~", i.ns, i.name)
        for n, iface in enumerate(sorted(made_up, key=order), 1):
            renamed[(iface.ns, iface.name)] = f"{prefix}[{n}]"
    return renamed


def _interface(iface: _Iface, rename: Callable[[str | None], str | None],
               renamed: dict[tuple[str, str | None], str]) -> dict[str, Any]:
    link = iface.link
    details = _details(link)
    if iface.parent is not None:
        details["parent"] = renamed.get(("host", iface.parent), iface.parent)
    peer = None if iface.peer is None else {"namespace": iface.peer.ns,
                                            "interface": renamed.get((iface.peer.ns, iface.peer.name), iface.peer.name)}
    addresses = _addresses(link)
    return {"name": rename(iface.name), "kind": _kind(link), "state": link.get("operstate", "UNKNOWN"),
            "addresses": addresses, "master": rename(link.get("master")), "peer": peer,
            "lan": any(ipaddress.ip_interface(a).ip in LAN for a in addresses),
            "details": details}


def _kind(link: dict[str, Any]) -> str:
    if link.get("link_type") == "loopback":
        return "loopback"
    kind = (link.get("linkinfo") or {}).get("info_kind")
    return str(kind) if kind else "device"


def _details(link: dict[str, Any]) -> dict[str, Any]:
    kind, data = _kind(link), (link.get("linkinfo") or {}).get("info_data") or {}
    if kind == "vxlan":
        return {"id": data.get("id")}
    if kind in ("macvlan", "ipvlan"):
        return {"mode": data.get("mode")}
    return {}


def _addresses(link: dict[str, Any]) -> list[str]:
    """Global addresses, IPv4 first, in address order (no link-local: fe80::/10 moves with the MAC address)."""
    found = [ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}") for a in link.get("addr_info", ())
             if a.get("scope") == "global"]
    return [str(a) for a in sorted(found, key=lambda a: (a.version, a))]


def _route(route: dict[str, Any], rename: Callable[[str | None], str | None]) -> dict[str, Any]:
    return {"dst": route.get("dst", ""), "via": route.get("gateway"), "dev": rename(route.get("dev"))}


def _device(network: dict[str, Any]) -> str | None:
    """The host's device a network uses, as Docker names it: a bridge network's bridge, a macvlan's parent."""
    options = network.get("options") or {}
    if network["driver"] == "bridge":
        return str(options.get("com.docker.network.bridge.name") or f"br-{network['id'][:12]}")
    if network["driver"] in ("macvlan", "ipvlan"):
        return options.get("parent")
    return None


def _network(network: dict[str, Any], containers: list[dict[str, Any]],
             renamed: dict[tuple[str, str | None], str]) -> dict[str, Any]:
    device = _device(network)
    return {"name": network["name"], "driver": network["driver"], "subnets": sorted(network["subnets"]),
            "gateways": sorted(network["gateways"]), "device": renamed.get(("host", device), device),
            "containers": sorted(c["name"] for c in containers if network["name"] in c["networks"])}
