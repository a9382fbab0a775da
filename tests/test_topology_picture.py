"""Topology pictures (render/topology.py): the DOT a capture becomes, the SVG made ready for the page, the figure.
The fixtures in tests/data/topology/ are the three shapes the lessons draw: a bridge with two containers, two hosts
on the LAN with a user-defined bridge each, an overlay network across two hosts. bridge.dot.svg is what Graphviz
2.42 (Debian 12) drew from bridge.json's DOT, for finish_svg's tests without Graphviz."""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docexec import EngineSettings, Settings, parse_page
from docexec.hosts.backends import LabBackend
from docexec.render import topology
from tests.conftest import Engine

Topology = dict[str, Any]
DATA = Path(__file__).parent / "data" / "topology"
FIXTURES = ("bridge", "lan", "overlay")


def load(name: str) -> Topology:
    data: Topology = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def interfaces(data: Topology) -> Iterator[tuple[Topology, Topology, Topology]]:
    for host in data["hosts"]:
        for ns in host["namespaces"]:
            for iface in ns["interfaces"]:
                yield host, ns, iface


def iface(name: str, kind: str, addresses: list[str] | None = None, **more: object) -> Topology:
    return {"name": name, "kind": kind, "state": "UP", "addresses": addresses or [], "master": None, "peer": None,
            "lan": False, "details": {}, **more}


def one_host(*namespaces: Topology) -> Topology:
    return {"format": 1, "lan": None, "hosts": [{"name": "docker-host", "namespaces": list(namespaces),
                                                 "networks": []}]}


@pytest.mark.parametrize("name", FIXTURES)
def test_dot_is_deterministic(name: str) -> None:
    data = load(name)
    first = topology.to_dot(data, "图")
    assert topology.to_dot(copy.deepcopy(data), "图") == first
    assert topology.to_dot(load(name), "图") == first


@pytest.mark.parametrize("name", FIXTURES)
def test_dot_shows_every_interface_and_address(name: str) -> None:
    data = load(name)
    dot = topology.to_dot(data, "图")
    for _, _, i in interfaces(data):
        if i["kind"] != "loopback":
            assert i["name"] in dot
        for address in i["addresses"]:
            assert address in dot
    assert "lo\\n" not in dot and 'label="lo"' not in dot  # lo hidden beside other interfaces
    pairs = {(host["name"], frozenset([(ns["id"], i["name"]), (i["peer"]["namespace"], i["peer"]["interface"])]))
             for host, ns, i in interfaces(data) if i["peer"]}
    assert dot.count('class="tp-pair"') == len(pairs)
    assert dot.count('class="tp-port"') == sum(1 for _, _, i in interfaces(data) if i["master"])
    assert "veth 设备对" in dot


def test_dot_words_of_the_book() -> None:
    dot = topology.to_dot(load("bridge"), "图")
    assert "宿主机 docker-host 的网络命名空间" in dot
    assert '"容器 web1"' in dot and "网桥 docker0" in dot and "eth0\\n172.17.0.2/16" in dot
    assert "default via 172.17.0.1" in dot  # a route an address does not already say
    assert "172.17.0.0/16 dev" not in dot  # one it does
    assert "lan [" not in dot  # one host, no LAN asked for


def test_dot_lan_between_hosts_stacked() -> None:
    dot = topology.to_dot(load("lan"), "图")
    assert '"局域网 192.0.2.0/24"' in dot
    assert '"宿主机 host1"' in dot and '"宿主机 host2"' in dot
    assert "172.19.0.0/16 via 192.0.2.12" in dot and "mynet 网络" in dot
    # too wide side by side for a phone: the first host above the LAN (its edge towards the LAN), the second below
    assert re.search(r"h0n0i0 -> lan \[", dot) and re.search(r"lan -> h1n0i0 \[", dot)


def test_dot_overlay() -> None:
    dot = topology.to_dot(load("overlay"), "图")
    assert "overlay 网络 ov1 的命名空间" in dot and "VXLAN VNI 4097" in dot
    assert dot.count('class="tp-tunnel"') == 2
    assert "docker_gwbridge 网络" not in dot  # the network is named as its bridge: said once


def test_dot_wraps_many_containers_into_rows() -> None:
    """Five containers side by side would need a picture too wide for a phone: rows of two, tied by invisible
    edges; only the first veth pair says what it is (every label would widen the picture again)."""
    data = load("bridge")
    host = data["hosts"][0]
    for k in range(3, 6):
        ns = copy.deepcopy(host["namespaces"][1])
        ns["id"], ns["containers"] = f"container:web{k}", [f"web{k}"]
        ns["interfaces"][1].update(addresses=[f"172.17.0.{k + 1}/16"],
                                   peer={"namespace": "host", "interface": f"veth[{k}]"})
        host["namespaces"].append(ns)
        host["namespaces"][0]["interfaces"].append(
            iface(f"veth[{k}]", "veth", master="docker0", peer={"namespace": ns["id"], "interface": "eth0"}))
    dot = topology.to_dot(data, "五个容器")
    assert dot.count('class="tp-pair"') == 5 and dot.count("veth 设备对") == 1
    assert dot.count("weight=10") == 3  # web1 above web3, web2 above web4, web3 above web5
    assert "172.17.0.6/16" in dot


def test_dot_swarm_namespaces() -> None:
    """A swarm's namespaces (named so by the capture) are neither the host's nor a container's."""
    eth = iface("eth0", "veth", ["10.0.0.2/24"])
    data = one_host({"id": "host", "containers": [], "interfaces": [iface("eth0", "device", lan=True)], "routes": []},
                    {"id": "ingress_sbox", "containers": [], "interfaces": [eth], "routes": []},
                    {"id": "lb:ov", "containers": [], "interfaces": [eth], "routes": []})
    dot = topology.to_dot(data, "swarm")
    assert "路由网格的命名空间 ingress_sbox" in dot and "overlay 网络 ov 的负载均衡命名空间" in dot
    assert dot.count("宿主机") == 1 and 'class="tp-ns tp-ns-ns"' in dot and 'class="tp-ns tp-ns-lb"' in dot


def test_dot_none_mode_shows_lo() -> None:
    lo = iface("lo", "loopback", ["127.0.0.1/8"], state="UNKNOWN")
    data = one_host({"id": "host", "containers": [], "interfaces": [lo, iface("eth0", "device", lan=True)],
                     "routes": []},
                    {"id": "container:box", "containers": ["box"], "interfaces": [lo], "routes": []})
    dot = topology.to_dot(data, "none")
    assert '"容器 box"' in dot and "lo\\n127.0.0.1/8" in dot
    assert dot.count("127.0.0.1/8") == 1  # only the namespace where it is alone


def test_dot_macvlan_linked_to_its_parent() -> None:
    data = one_host({"id": "host", "containers": [], "interfaces": [iface("eth0", "device", ["192.0.2.10/24"])],
                     "routes": []},
                    {"id": "container:m1", "containers": ["m1"], "routes": [], "interfaces": [
                        iface("eth0", "macvlan", ["192.0.2.50/24"], details={"mode": "bridge", "parent": "eth0"})]})
    dot = topology.to_dot(data, "macvlan")
    assert "macvlan bridge 子接口" in dot
    assert re.search(r'h0n0i0 -> h0n1i0 \[class="tp-parent"', dot)


def test_dot_macvlan_container_on_the_lan_hangs_below_the_hosts_namespace() -> None:
    """traffic/macvlan.md: m1 has a LAN address and no veth; tied under the host's docker0 it is stacked, not put
    beside the host's namespace (twice a phone's width)."""
    data = one_host({"id": "host", "containers": [], "routes": [], "interfaces": [
                        iface("eth0", "veth", ["192.0.2.1/24"], lan=True),
                        iface("docker0", "bridge", ["172.17.0.1/16"])]},
                    {"id": "container:m1", "containers": ["m1"], "routes": [], "interfaces": [
                        iface("eth0", "macvlan", ["192.0.2.11/24"], lan=True,
                              details={"mode": "bridge", "parent": "eth0"})]})
    dot = topology.to_dot(data, "macvlan")
    assert re.search(r'h0n0i1 -> h0n1i0 \[class="tp-invis", style=invis, weight=10\]', dot), dot
    assert re.search(r'h0n0i0 -> h0n1i0 \[class="tp-parent"', dot)


def test_dot_quotes_names() -> None:
    data = one_host({"id": "container:a\"b", "containers": ['a"b\\'], "routes": [],
                     "interfaces": [iface("eth0", "veth", ["10.0.0.2/24"])]})
    dot = topology.to_dot(data, 'say "hi"')
    assert 'digraph "say \\"hi\\"" {' in dot and '"容器 a\\"b\\\\"' in dot


def check_finished(svg: str, data: Topology, caption: str) -> str:
    done = topology.finish_svg(svg, data, caption)
    opening = re.search(r"<svg\b[^>]*>", done)
    assert opening and done.startswith("<svg")
    assert not re.search(r'\s(width|height)="', opening.group(0)) and 'viewBox="' in opening.group(0)
    assert 'role="img"' in opening.group(0)
    assert "<?xml" not in done and "<!DOCTYPE" not in done and "<!--" not in done and "graphviz" not in done.lower()
    assert not re.search(r'(fill|stroke)="(white|black|#[0-9a-fA-F]{3,8}|transparent)"', done)
    ids = re.findall(r'\bid="([^"]+)"', done)
    prefix = ids[0].rsplit("-", 1)[0]
    assert all(i.startswith(prefix + "-") for i in ids) and len(ids) == len(set(ids))
    assert f'aria-labelledby="{prefix}-title"' in done and f'aria-describedby="{prefix}-desc"' in done
    assert done.count("<title") == 1  # dot's own titles (node ids) gone
    return done


def test_finish_svg() -> None:
    data = load("bridge")
    done = check_finished((DATA / "bridge.dot.svg").read_text(encoding="utf-8"), data, "两个容器 <默认 bridge>")
    assert "<title id=" in done and "两个容器 &lt;默认 bridge&gt;</title>" in done
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", done, re.S)
    assert desc and "容器 web1：eth0 172.17.0.2/16" in desc.group(1) and "网桥 docker0 的端口" in desc.group(1)
    assert 'class="tp-titles"' in done  # the namespaces' titles drawn over the edges
    other = topology.finish_svg((DATA / "bridge.dot.svg").read_text(encoding="utf-8"), data, "另一幅")
    assert not set(re.findall(r'\bid="([^"]+)"', done)) & set(re.findall(r'\bid="([^"]+)"', other))


def test_figure_html_escapes() -> None:
    page = topology.figure_html("<svg></svg>", "a <b> & c", "录制于 <2026>")
    assert page.startswith('<figure class="docexec-topology" data-search-exclude>')
    assert "<svg></svg>" in page and "a &lt;b&gt; &amp; c" in page and "录制于 &lt;2026&gt;" in page
    assert "<figcaption>" in page and "</figure>" in page


@pytest.fixture
def lab_host(engine: Engine, config: Settings, tmp_path: Path) -> Iterator[Any]:
    """A lab's host, as a page gets it, where the lab's Graphviz is there to draw with (skipped until it is, and
    where labs cannot run; engine fails instead when CI=true and neither labs nor a daemon can)."""
    if importlib.util.find_spec("docexec.hosts.graphviz") is None:
        pytest.skip("docexec.hosts.graphviz (the lab's Graphviz) is not in this tree yet")
    if engine.mode != "lab":
        pytest.skip("labs cannot run here")
    page = parse_page("p.md", '```console exec="host" id="a"\n$ true\n```\n', "docs/p.md")
    backend = LabBackend(page, EngineSettings.of(config.engines[0]), [], tmp_path, notify=lambda m: None)
    try:
        yield backend.__enter__()["docker-host"]
    finally:
        backend.close()


def test_lab_dot_draws_the_fixtures(lab_host: Any) -> None:
    """The lab's own Graphviz (pinned with its userland and its fonts) draws each fixture, silently, into a
    picture finish_svg accepts, narrow enough for a phone (12px text or more on a 390px screen)."""
    graphviz = importlib.import_module("docexec.hosts.graphviz")
    for name in FIXTURES:
        data = load(name)
        source = topology.to_dot(data, name)
        svg = graphviz.render_dot(lab_host, source)
        assert graphviz.render_dot(lab_host, source) == svg
        done = check_finished(svg, data, name)
        box = re.search(r'viewBox="[\d.\-]+ [\d.\-]+ ([\d.]+)', done)
        assert box and float(box.group(1)) <= 390, f"{name}: {box and box.group(1)}pt wide (text under 12px)"


def test_routes_too_wide_beside_the_lan_interface_go_below_it() -> None:
    """A short route stands beside the host's LAN interface; an IPv6 one too wide for a phone beside it goes below
    (ipv6.md's host2 scrolled sideways on a phone)."""
    data = load("lan")
    beside = topology.to_dot(data, "t")
    assert len(re.findall(r"\{rank=same; \S+ -> \S+ \[style=invis\];\}", beside)) == 2
    host2 = data["hosts"][1]["namespaces"][0]
    host2["routes"].append({"dst": "2001:db8:1::/64", "via": "2001:db8:ffff::1", "dev": "eth0"})
    next(i for i in host2["interfaces"] if i["name"] == "eth0")["addresses"].append("2001:db8:ffff::2/64")
    mixed = topology.to_dot(data, "t")
    assert len(re.findall(r"\{rank=same; \S+ -> \S+ \[style=invis\];\}", mixed)) == 1, "host2's routes go below"
    assert "2001:db8:1::/64 via 2001:db8:ffff::1" in mixed
