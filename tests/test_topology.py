"""exec="topology": the lab's network measured into stable JSON (run.topology, run.netstate), kept as ID.json and
ID.svg beside the transcripts, shown as a figure. The JSON builder is tested on raw captures made in real labs,
trimmed to the fields it reads (tests/fixtures/topology: veth.md's two containers on one host; two hosts with a
user-defined bridge, a `container:` container, a host-mode one and a `none` one; traffic/overlay.md's swarm), the
rest without Docker (the drift check: test_topology_drift.py); one test records a page in a lab and measures it
again."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path
from typing import Any

import pytest

from docexec import CommandRecord, PageError, Project, parse_page, render_page
from docexec.drift.compare import compare
from docexec.run.topology import RawHost, build, dumps, parse
from docexec.store import recording
from docexec.store.store import NewRecording
from tests.conftest import Engine, MakeProject

FIXTURES = Path(__file__).parent / "fixtures" / "topology"
PAGE = '# t\n\n```console exec="docker" id="up"\n$ docker run -d --name web1 busybox sleep 1d\n```\n\n' \
       '```text exec="topology" id="net"\nweb1 与 docker0\n```\n'


def raw(name: str) -> list[RawHost]:
    return [RawHost.from_json(h) for h in json.loads((FIXTURES / f"{name}-raw.json").read_text())]


def namespace(data: dict[str, Any], host: int, ns: str) -> dict[str, Any]:
    return next(n for n in data["hosts"][host]["namespaces"] if n["id"] == ns)


def iface(ns: dict[str, Any], name: str) -> dict[str, Any]:
    return next(i for i in ns["interfaces"] if i["name"] == name)


def test_two_containers_on_docker0() -> None:
    data = build(raw("veth"), lan=False)
    assert data["format"] == 1 and data["lan"] is None
    (host,) = data["hosts"]
    assert [n["id"] for n in host["namespaces"]] == ["host", "container:web1", "container:web2"]
    top = namespace(data, 0, "host")
    assert [i["name"] for i in top["interfaces"]] == ["docker0", "eth0", "lo", "veth[1]", "veth[2]"]
    assert iface(top, "veth[1]")["peer"] == {"namespace": "container:web1", "interface": "eth0"}
    assert iface(top, "veth[2]")["master"] == "docker0"
    assert iface(top, "eth0") | {"addresses": None} == {
        "name": "eth0", "kind": "veth", "state": "UP", "addresses": None, "master": None, "peer": None, "lan": True,
        "details": {}}, "the host's LAN end: its peer is outside the lab"
    web1 = namespace(data, 0, "container:web1")
    assert web1["containers"] == ["web1"]
    assert iface(web1, "eth0")["addresses"] == ["172.17.0.2/16"]
    assert iface(web1, "eth0")["peer"] == {"namespace": "host", "interface": "veth[1]"}
    assert {"dst": "default", "via": "172.17.0.1", "dev": "eth0"} in web1["routes"]
    bridge = next(n for n in host["networks"] if n["name"] == "bridge")
    assert (bridge["device"], bridge["containers"]) == ("docker0", ["web1", "web2"])
    # Engine 20.10's inspect gives the default bridge no gateway (the fixture is 20.10's), 28 gives 172.17.0.1: the
    # picture takes it from docker0 itself, so both engines record the same JSON.
    assert bridge["gateways"] == ["172.17.0.1"]
    text = dumps(data)
    assert text.endswith("}\n") and json.loads(text) == data
    assert not re.search(r"([0-9a-f]{2}:){5}[0-9a-f]{2}|fe80|veth[0-9a-f]{7}|ifindex", text), \
        "no MAC, link-local address, made-up name or interface number"


def test_a_dual_stack_default_bridge_has_both_gateways_on_either_engine() -> None:
    """traffic/ipv6.md's host2 ("ipv6": true in daemon.json): 20.10's inspect lists no gateway, 28.5's only the IPv4
    one; both families' come from docker0's addresses, so the two engines record the same JSON."""
    from docexec.run.netstate import _bridge_gateways
    docker0 = [{"name": "docker0", "addresses": ["172.17.0.1/16", "2001:db8:2::1/64"]}]
    for listed in ([], ["172.17.0.1"]):
        net = {"subnets": ["172.17.0.0/16", "2001:db8:2::/64"], "gateways": listed, "device": "docker0"}
        assert _bridge_gateways(net, docker0) == ["172.17.0.1", "2001:db8:2::1"]


def test_the_same_state_gives_the_same_bytes_whatever_docker_named_things() -> None:
    """Other made-up names, namespace files and interface numbers, another order: the same JSON."""
    hosts = raw("veth")
    text = json.dumps([h.as_json() for h in hosts])
    for old, new in (("veth195dc54", "vethfffffff"), ("vethcf0f256", "veth0000000"), ("4a26855222d4", "zz"),
                     ('"ifindex":5', '"ifindex":55'), ('"link_index":5', '"link_index":55')):
        text = text.replace(old, new).replace(old.replace('":', '": '), new.replace('":', '": '))
    moved = [RawHost.from_json(h) for h in json.loads(text)]
    for host in moved:
        host.namespaces.update(dict(reversed(list(host.namespaces.items()))))
        host.containers.reverse()
    assert dumps(build(moved, lan=False)) == dumps(build(hosts, lan=False))


def test_two_hosts_a_user_bridge_and_shared_host_and_none_namespaces() -> None:
    data = build(raw("multi"), lan=True)
    assert data["lan"] == {"subnet": "192.0.2.0/24"}
    assert [h["name"] for h in data["hosts"]] == ["host1", "host2"]
    assert [n["id"] for n in data["hosts"][0]["namespaces"]] == ["host", "container:lonely", "container:side"]
    top = namespace(data, 0, "host")
    assert top["containers"] == ["hostnet"], "a host-mode container is in the host's namespace"
    assert namespace(data, 0, "container:side")["containers"] == ["side", "web"], "container:web shares web's"
    assert iface(top, "veth[1]")["master"] == "br-[1]"
    mynet = next(n for n in data["hosts"][0]["networks"] if n["name"] == "mynet")
    assert (mynet["device"], mynet["subnets"], mynet["gateways"]) == ("br-[1]", ["172.18.0.0/16"], ["172.18.0.1"])
    assert [i["name"] for i in namespace(data, 0, "container:lonely")["interfaces"]] == ["lo"]
    assert iface(namespace(data, 1, "host"), "eth0")["addresses"] == ["192.0.2.2/24"]
    assert iface(namespace(data, 1, "host"), "eth0")["lan"] is True


def test_a_swarm_overlay_namespaces_are_named_after_their_networks() -> None:
    """traffic/overlay.md after c1 and c2 start: each host has the overlay's and the ingress's namespaces (1-<id>),
    the overlay's load balancer (lb_<id>) and the routing mesh (ingress_sbox)."""
    data = build(raw("overlay"), lan=True)
    for n in (0, 1):
        assert [ns["id"] for ns in data["hosts"][n]["namespaces"]][2:] == [
            "ingress_sbox", "lb:ov", "overlay:ingress", "overlay:ov"]
    ov = namespace(data, 0, "overlay:ov")
    assert iface(ov, "vxlan0")["details"] == {"id": 4097} and iface(ov, "vxlan0")["master"] == "br0"
    assert iface(ov, "veth1")["peer"] == {"namespace": "container:c1", "interface": "eth0"}
    top = namespace(data, 0, "host")
    assert iface(top, "veth[1]")["peer"] == {"namespace": "container:c1", "interface": "eth1"}
    assert iface(top, "veth[2]")["peer"] == {"namespace": "ingress_sbox", "interface": "eth1"}
    assert iface(namespace(data, 1, "container:c2"), "eth0")["addresses"] == ["172.30.0.4/24"]


def test_only_keeps_the_named_containers_namespaces_and_the_hosts() -> None:
    data = build(raw("multi"), lan=True, only=["web"])
    assert [n["id"] for n in data["hosts"][0]["namespaces"]] == ["host", "container:side"]
    assert [n["id"] for n in data["hosts"][1]["namespaces"]] == ["host"]
    # The host's veth end of a container left out is left out too: host2's `other` is not drawn, nor its veth[1].
    ends = [[i["name"] for i in namespace(data, n, "host")["interfaces"] if i["peer"]] for n in (0, 1)]
    assert ends == [["veth[1]"], []]
    assert [i["name"] for i in namespace(build(raw("multi"), lan=True), 1, "host")["interfaces"] if i["peer"]] == \
        ["veth[1]"]


def test_only_numbers_the_veth_ends_left_from_1() -> None:
    every = build(raw("veth"), lan=False)
    assert iface(namespace(every, 0, "container:web2"), "eth0")["peer"]["interface"] == "veth[2]"
    data = build(raw("veth"), lan=False, only=["web2"])
    host, web2 = namespace(data, 0, "host"), namespace(data, 0, "container:web2")
    assert [i["name"] for i in host["interfaces"] if i["name"].startswith("veth")] == ["veth[1]"]
    assert iface(host, "veth[1]")["peer"] == {"namespace": "container:web2", "interface": "eth0"}
    assert iface(web2, "eth0")["peer"] == {"namespace": "host", "interface": "veth[1]"}
    assert "docker0" in [i["name"] for i in host["interfaces"]], "web2 is on it"
    data = build(raw("multi"), lan=True, only=["web"])
    assert [i["name"] for i in namespace(data, 1, "host")["interfaces"] if i["kind"] == "bridge"] == [], \
        "host2's bridges have no port left: other is not shown"
    assert all(r["dev"] in {i["name"] for i in ns["interfaces"]} for h in data["hosts"] for ns in h["namespaces"]
               for r in ns["routes"]), "no route through an interface left out"
    assert [i["kind"] for i in namespace(build(raw("multi"), lan=True), 1, "host")["interfaces"]].count("bridge")


def test_only_keeps_the_overlay_namespace_the_named_containers_are_plugged_into() -> None:
    """traffic/overlay.md with only="c1 c2": the overlay's own namespace (br0, vxlan0) stays, the load balancer's,
    the ingress network's and the routing mesh's go."""
    data = build(raw("overlay"), lan=True, only=["c1", "c2"])
    assert [n["id"] for n in data["hosts"][0]["namespaces"]] == ["host", "container:c1", "overlay:ov"]
    assert [n["id"] for n in data["hosts"][1]["namespaces"]] == ["host", "container:c2", "overlay:ov"]


def test_a_macvlan_of_the_hosts_own_names_its_parent() -> None:
    """traffic/macvlan.md's mac0 (`ip link add mac0 link eth0 type macvlan`): `ip -j` writes its parent as "link"
    (a name, no link_index) because it is in the same namespace; the picture draws it from eth0 as for m1's."""
    (host,) = raw("veth")
    links, routes = host.namespaces["host"]
    mac0 = {"ifindex": 50, "ifname": "mac0", "link": "eth0", "operstate": "UP", "link_type": "ether",
            "linkinfo": {"info_kind": "macvlan", "info_data": {"mode": "bridge"}},
            "addr_info": [{"family": "inet", "local": "192.0.2.101", "prefixlen": 32, "scope": "global"}]}
    host.namespaces["host"] = ([*links, mac0], routes)
    top = namespace(build([host], lan=False), 0, "host")
    assert iface(top, "mac0")["details"] == {"mode": "bridge", "parent": "eth0"}
    assert iface(top, "mac0")["addresses"] == ["192.0.2.101/32"]


def test_the_capture_output_is_split_per_namespace_without_dockers_copy_of_the_hosts() -> None:
    out = ("4026531840 /proc/self/ns/net\n4026531840 default\n4026532500 abc\n"
           '@@ host\n[{"ifname":"lo"}]\n[]\n@@ default\n[{"ifname":"lo"}]\n[]\n'
           '@@ abc\n[{"ifname":"eth0"}]\n[{"dst":"default"}]\n'
           '[{"dst":"2001:db8:1::/64","gateway":"2001:db8:ffff::1"},{"dst":"fe80::/64","dev":"eth0"}]\n@@ gone\n')
    assert parse(out) == {"host": ([{"ifname": "lo"}], []), "abc": ([{"ifname": "eth0"}], [
        {"dst": "default"}, {"dst": "2001:db8:1::/64", "gateway": "2001:db8:ffff::1"}])}, "IPv6 routes, no fe80::"



@pytest.mark.parametrize(("block", "message"), [
    ('```text exec="topology" id="n" returncode="1"\nx\n```', 'returncode="..." does not go with exec="topology"'),
    ('```text exec="topology" id="n" volatile="x"\nx\n```', 'volatile="..." does not go with exec="topology"'),
    ('```text exec="topology" id="n" only=""\nx\n```', 'only="" must name containers'),
    ('```text exec="topology" id="n" only="web;1"\nx\n```', 'only="web;1" must name containers'),
    ('```text exec="topology" id="n"\n```', "holds its caption, one line"),
    ('```text exec="topology" id="n"\none\ntwo\n```', "holds its caption, one line"),
    ('```console exec="docker" id="n" only="web"\n$ docker ps\n```', 'only="..." only goes with exec="topology"'),
    ('```text exec="topology" id="n" hosts="a b" host="a"\nx\n```', 'host="..." and hosts="..." both say'),
    ('```text exec="topology" id="n" hosts=" "\nx\n```', 'hosts="" names no host'),
    ('```text exec="topology" id="n" hosts="docker-host nope"\nx\n```',
     'hosts="docker-host nope": nope is not a host of this page: the page declares no hosts'),
])
def test_bad_options_are_refused_with_the_page_and_line(block: str, message: str) -> None:
    with pytest.raises(PageError) as info:
        parse_page("p.md", f"# t\n\n{block}\n", "docs/p.md")
    assert (info.value.page, info.value.line) == ("docs/p.md", 3)
    assert message in info.value.message


def test_hosts_names_the_pages_hosts_shown() -> None:
    page = parse_page("p.md", '---\nhosts: [a, b, c]\n---\n# t\n\n'
                              '```text exec="topology" id="n" hosts="c  a"\nx\n```\n')
    assert page.blocks[0].commands[0].display == "topology --hosts c a"


def test_the_block_stands_for_one_capture_named_by_its_options() -> None:
    page = parse_page("p.md", '---\nhosts: [a, b]\n---\n# t\n\n```text exec="topology" id="n" host="b" '
                              'only="web1  web2"\n  两台主机  \n```\n')
    (block,) = page.blocks
    assert [c.display for c in block.commands] == ["topology --hosts b --only web1 web2"]
    assert block.text == "  两台主机  \n"
    assert "两台主机" not in page.plain_words(), "a caption names no image"


def _save(project: Project, page: Any, output: str, figure: str) -> Any:
    records = {"up": [CommandRecord("docker run -d --name web1 busybox sleep 1d", "f00\n", 0, 0.3)],
               "net": [CommandRecord("topology", output, 0, 0.04, figure=figure)]}
    return project.store.save(page, NewRecording(project.digest(page), project.context_digest(page), records,
                                                 {"engine": "28.5.0"}))


def test_on_the_shared_daemon_a_topology_is_refused_with_its_page_and_line() -> None:
    from docexec.kinds.topology import TOPOLOGY

    page = parse_page("p.md", PAGE, "docs/p.md")
    block = page.blocks[1]
    shared = types.SimpleNamespace(checks=types.SimpleNamespace(isolated=False), where="docs/p.md")
    with pytest.raises(PageError) as info:
        TOPOLOGY.run(shared, block, block.commands[0], 30)  # type: ignore[arg-type]
    assert info.value.line == 7 and "runs only in a lab" in info.value.message


def test_the_json_and_the_picture_are_kept_beside_the_transcripts(make_project: MakeProject) -> None:
    config = make_project({"p.md": PAGE})
    project = Project(config, mode="offline")
    page = project.load_page("p.md")
    text = dumps(build(raw("veth"), lan=False))
    saved = _save(project, page, text, "<svg>one</svg>\n")
    folder = project.engine.snippets_dir / "p"
    assert sorted(p.name for p in folder.iterdir()) == ["_page.json", "net.json", "net.svg", "up.txt"]
    assert (folder / "net.json").read_text() == text, "the JSON as it is, no `$ ` line"
    assert [c.name for c in saved.changes] == ["net.json", "up.txt"]
    assert project.status(page) == "current"
    stored = project.store.load(page)
    assert stored is not None and stored.blocks["net"][0].output == text
    assert stored.blocks["net"][0].figure == "<svg>one</svg>\n"
    assert not _save(project, page, text, "<svg>one</svg>\n").changed, "recorded again, unchanged: no file"
    assert project.store.unused([page]) == []
    again = _save(project, page, text, "<svg>two</svg>\n")
    assert again.changed == (folder / "net.svg", folder / "_page.json"), "a new picture alone: the SVG (and sum)"
    (folder / "net.svg").unlink()
    assert project.status(page) == "current", "a lab without Graphviz records no picture: not missing"
    assert project.store.output_at("p.md", page.blocks[1], stored.blocks["net"], 0) == (folder / "net.json", 1)


def test_a_topology_shows_as_its_figure_or_without_one_as_json() -> None:
    page = parse_page("p.md", PAGE)
    text = dumps(build(raw("veth"), lan=False))
    records = {"up": [CommandRecord("docker run", "f00\n", 0, 0.3)],
               "net": [CommandRecord("topology", text, 0, 0.04, figure='<svg id="pic"></svg>')]}
    stored = recording.PageRecording("p.md", page.digest(), "2026-12-07T00:00:00Z", {"engine": "28.5.0"}, records)
    shown = render_page(page, stored).blocks["net"]
    assert re.search(r'<figure class="docexec-topology"[^>]*><div[^>]*><svg id="pic"></svg></div>'
                     r'<figcaption>web1 与 docker0', shown), shown
    assert "recorded on 2026-12-07" in shown and "data-copy" not in shown
    records["net"] = [CommandRecord("topology", text, 0, 0.04)]
    plain = render_page(page, stored).blocks["net"]
    assert "<figure" not in plain and "language-json" in plain and "veth[1]" in plain


@pytest.mark.docker
def test_in_a_lab_a_page_records_its_topology_and_a_change_is_drift(engine: Engine,
                                                                      make_project: MakeProject) -> None:
    if engine.mode != "lab":
        pytest.skip("a topology is measured only in a lab")
    config = make_project({"p.md": PAGE})
    project = Project(config, mode="force", notify=lambda m: None)
    page = project.load_page("p.md")
    outcome = project.record(page)
    folder = project.engine.snippets_dir / "p"
    data = json.loads((folder / "net.json").read_text())
    web1 = namespace(data, 0, "container:web1")
    assert iface(web1, "eth0")["addresses"] == ["172.17.0.2/16"]
    svg = (folder / "net.svg").read_text()  # drawn by the lab's own Graphviz
    assert svg.startswith("<svg") and "172.17.0.2/16" in svg and "<title" in svg, svg[:400]
    assert outcome.saved is not None and project.record(page).saved.outcome == "unchanged"  # type: ignore[union-attr]
    assert engine.leftovers() == []
    recorded = (folder / "net.json").read_text()
    with project.session(project.here(page)) as session:
        for block in session.page.executed:
            results = [session.run(block, c) for c in block.commands]
    assert compare(CommandRecord("topology", recorded, 0, 0.0), results[0].output, 0).diff == "", "measured again"
    changed = recorded.replace("172.17.0.2/16", "172.17.0.3/16", 1)
    diff = compare(CommandRecord("topology", changed, 0, 0.0), results[0].output, 0).diff
    assert '-                "172.17.0.3/16"' in diff and '+                "172.17.0.2/16"' in diff
