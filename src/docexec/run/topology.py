"""The network topology of a page's lab hosts at a point of the page, measured: what a topology block records (the
JSON format render.topology describes), stable from run to run.

The capture is one shell process per host: `ip -j -d addr` and `ip -j route` (main table) in the host's network
namespace and, through `nsenter --net=`, in each namespace Docker keeps under /var/run/docker/netns (its containers'
sandboxes, an overlay network's `1-xxxxxxxxxx`), every namespace's two commands in one `ip -batch`; which container
uses which namespace, and the networks, come from the host's daemon (the SDK, no process). `ip -d addr` has the
details (`linkinfo`) `ip -d link` would give and the ports' `master`, which is what `bridge link` would add.

`build` turns what was read into the JSON (no lab needed: the unit tests give it recorded raw captures). What moves
between two runs is left out or replaced: MAC addresses and link-local addresses are not kept, interface numbers
only pair the two ends of a veth; the names Docker makes up are numbered in an order that does not depend on them
(`veth[1]`, `veth[2]` ... in the order of their peers, `br-[1]` ... in the order of their networks' names, `vx-[1]`
... in the order of their VXLAN ids); and everything is sorted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docexec.lab.lan import LAN
from docexec.run.netstate import Namespace, host_entry

if TYPE_CHECKING:
    from docexec.hosts.backends import Host

Topology = dict[str, Any]
NETNS = "/var/run/docker/netns"
# One process tree per host: the namespaces' inodes (one of Docker's may be the host's own: it is skipped), then a
# section per namespace: `ip -batch` prints its addresses' and IPv4 routes' JSON arrays, `ip -6 route` a third. A
# file there that is not a namespace mounted (Engine 20.10 leaves one behind for a sandbox it gave up) is not one to
# enter.
SCRIPT = f"""\
mounts=$(cat /proc/self/mountinfo)
cd {NETNS} 2>/dev/null && set -- * || set --
[ -e "${{1:-}}" ] || set --
for ns; do
  shift
  case "$mounts" in *"/docker/netns/$ns "*) set -- "$@" "$ns";; esac
done
stat -L -c '%i %n' /proc/self/ns/net "$@"
echo "@@ host"
printf 'addr\\nroute\\n' | ip -j -d -batch -
ip -j -6 route
for ns; do
  echo "@@ $ns"
  printf 'addr\\nroute\\n' | nsenter --net="$ns" ip -j -d -batch -
  nsenter --net="$ns" ip -j -6 route
done
"""


@dataclass(frozen=True)
class RawHost:
    """What one host's capture read, before it is made stable: per namespace (`host`, or its file's name under
    /var/run/docker/netns) its `ip addr` and `ip route` arrays; the running containers and the networks, each as
    the few fields of `docker inspect` the topology needs."""

    name: str
    namespaces: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]
    containers: list[dict[str, Any]]
    networks: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "namespaces": {k: list(v) for k, v in self.namespaces.items()},
                "containers": self.containers, "networks": self.networks}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RawHost:
        return cls(data["name"], {k: (v[0], v[1]) for k, v in data["namespaces"].items()}, data["containers"],
                   data["networks"])


def build(hosts: Sequence[RawHost], *, lan: bool, only: Sequence[str] = ()) -> Topology:
    """The topology JSON of the hosts (in the page's order). `lan`: the page has several hosts, the LAN is shown;
    `only`: containers whose namespaces alone are kept (with the host's own)."""
    entries = []
    for raw in hosts:
        entry = host_entry(raw.name, [Namespace(k, v[0], v[1]) for k, v in raw.namespaces.items()], raw.containers,
                           raw.networks)
        if only:
            _keep_only(entry, set(only))
        entries.append(entry)
    return {"format": 1, "hosts": entries, "lan": {"subnet": str(LAN)} if lan else None}


def _keep_only(entry: dict[str, Any], only: set[str]) -> None:
    """Keep the host's namespace, those of the `only` containers and those their veth pairs lead into (an overlay
    network's, with its br0 and vxlan0, which no container owns); in the kept ones, drop the veth ends whose other
    end is in a namespace left out (a picture of two containers shows no dangling veth of a third), the bridges
    left with no port, and the routes through them."""
    named = [ns for ns in entry["namespaces"] if ns["id"] == "host" or set(ns["containers"]) & only]
    ends = {i["peer"]["namespace"] for ns in named if ns["containers"] for i in ns["interfaces"] if i.get("peer")}
    kept = [ns for ns in entry["namespaces"] if ns in named or (ns["id"] in ends and not ns["containers"])]
    ids = {ns["id"] for ns in kept}
    for ns in kept:
        ns["interfaces"] = [i for i in ns["interfaces"] if not (i["kind"] == "veth" and i["peer"] is not None
                                                                and i["peer"]["namespace"] not in ids)]
        # and the bridges that have no port left (docker0, when none of the containers shown is on it)
        masters = {i["master"] for i in ns["interfaces"]}
        ns["interfaces"] = [i for i in ns["interfaces"] if i["kind"] != "bridge" or i["name"] in masters]
        names = {i["name"] for i in ns["interfaces"]}
        ns["routes"] = [r for r in ns["routes"] if r["dev"] in names]  # and the routes through what is gone
    entry["namespaces"] = kept
    # The numbered names left are numbered again from 1 (veth[1], veth[4] -> veth[1], veth[2]), in the same order.
    numbered = sorted({i["name"] for ns in kept for i in ns["interfaces"] if re.fullmatch(r"veth\[\d+\]", i["name"])},
                      key=lambda name: int(name[5:-1]))
    again = {old: f"veth[{n}]" for n, old in enumerate(numbered, 1)}
    for ns in kept:
        for i in ns["interfaces"]:
            i["name"] = again.get(i["name"], i["name"])
            if i["peer"] is not None:
                i["peer"]["interface"] = again.get(i["peer"]["interface"], i["peer"]["interface"])
        for route in ns["routes"]:
            route["dev"] = again.get(route["dev"], route["dev"])


def dumps(data: Topology) -> str:
    """The JSON as it is stored: pretty-printed, keys sorted, newline-terminated (the same state, the same bytes)."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def capture_host(host: Host, timeout: float) -> RawHost:
    """Read one lab host's network state (RuntimeError: the commands failed)."""
    from docexec.run.pipeline import run_pipeline

    def docker() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        api = host.daemon.client.api
        return ([_container(api.inspect_container(c["Id"])) for c in api.containers()],
                [_network(api.inspect_network(n["Id"])) for n in api.networks()])

    with ThreadPoolExecutor(1) as pool:  # Docker's side is asked while the namespaces are read
        asked = pool.submit(docker)
        done = run_pipeline([host.wrap(["sh", "-c", SCRIPT])], env=host.env, cwd=host.cwd, timeout=timeout,
                            limit=16 * 1024 * 1024, split_stdout=True)
        containers, networks = asked.result(timeout=timeout)
    if done.returncode or done.timed_out or done.truncated:
        raise RuntimeError(f"reading the network state of {host.name} failed: {done.output.strip()[-2000:]}")
    return RawHost(host.name, parse(done.stdout), containers, networks)


def parse(stdout: str) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """The script's output as namespaces' (addr, route) arrays, without Docker's that are the host's own."""
    head, *sections = re.split(r"^@@ ", stdout, flags=re.M)
    inodes = {name: inode for inode, _, name in (line.partition(" ") for line in head.splitlines())}
    own = inodes.get("/proc/self/ns/net")
    found: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for section in sections:
        name, _, body = section.partition("\n")
        if name != "host" and inodes.get(name) == own:
            continue
        arrays, pos, decoder = [], 0, json.JSONDecoder()
        while (pos := _skip_space(body, pos)) < len(body):
            value, pos = decoder.raw_decode(body, pos)
            arrays.append(value)
        if len(arrays) >= 2:  # a namespace gone meanwhile printed nothing; IPv6 routes but the link-local ones
            v6 = [r for r in arrays[2] if not str(r.get("dst", "")).startswith("fe80:")] if len(arrays) > 2 else []
            found[name] = (arrays[0], arrays[1] + v6)
    return found


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _container(data: dict[str, Any]) -> dict[str, Any]:
    settings = data.get("NetworkSettings") or {}
    return {"id": data["Id"], "name": data["Name"].lstrip("/"), "sandbox": settings.get("SandboxKey") or "",
            "mode": (data.get("HostConfig") or {}).get("NetworkMode") or "",
            "networks": sorted(settings.get("Networks") or {})}


def _network(data: dict[str, Any]) -> dict[str, Any]:
    configs = (data.get("IPAM") or {}).get("Config") or []
    return {"id": data["Id"], "name": data["Name"], "driver": data.get("Driver") or "",
            "subnets": [c["Subnet"] for c in configs if c.get("Subnet")],
            "gateways": [c["Gateway"] for c in configs if c.get("Gateway")],
            "options": data.get("Options") or {}}
