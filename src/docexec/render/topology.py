"""A measured topology picture: the JSON a topology block records (the lab's network state at a point of a page)
drawn with Graphviz's `dot` into a static SVG, and the figure the page shows.

The JSON (format 1) is what `run.topology` captures, already stable (names that differ from run to run replaced):

    {"format": 1,
     "hosts": [                                   # each lab host of the page the block looks at, in page order
       {"name": "docker-host",                    # the host's name on the LAN
        "namespaces": [                           # the host's own first ("id": "host"), then Docker's, sorted
          {"id": "host",                          # "host"; "container:<name>" (first container name, sorted);
                                                  # "overlay:<network>" (an overlay network's namespace);
                                                  # "lb:<network>" (its load balancer); "ingress_sbox" (a
                                                  # swarm's routing mesh); "ns:<n>" (any other)
           "containers": ["web1"],                # containers using this network namespace (host mode: "host")
           "interfaces": [
             {"name": "eth0",                     # stable: random names become veth[1], br-[1] ... (see run.topology)
              "kind": "veth",                     # loopback, veth, bridge, vxlan, macvlan, ipvlan, dummy, device
              "state": "UP",                      # UP, DOWN, UNKNOWN, LOWERLAYERDOWN
              "addresses": ["172.17.0.2/16"],     # global IPv4 and IPv6 (no link-local)
              "master": null,                     # the bridge this one is a port of, in the same namespace
              "peer": {"namespace": "host", "interface": "veth[1]"},   # veth: the other end (null if unseen)
              "lan": false,                       # true: the host's interface on the lab LAN
              "details": {}}],                    # kind-specific: vxlan {"id": 4097}, macvlan {"mode", "parent"}
           "routes": [{"dst": "default", "via": "172.17.0.1", "dev": "eth0"}]}],
        "networks": [                             # docker network ls + inspect, sorted by name
          {"name": "bridge", "driver": "bridge", "subnets": ["172.17.0.0/16"], "gateways": ["172.17.0.1"],
           "device": "docker0", "containers": ["web1"]}]}],
     "lan": {"subnet": "192.0.2.0/24"}}           # null on a one-host page that does not show the LAN

`to_dot` turns it into DOT text; `dot -Tsvg` runs inside the lab (its Graphviz is pinned with the lab's userland) at
record time; `finish_svg` makes the result fit the book (title, classes for light and dark, no fixed size);
`figure_html` is what the page shows. The work is in topology_words.py (the book's words for namespaces,
interfaces and routes), topology_dot.py (the layout: narrow enough for a phone) and topology_svg.py; the colours
are docs/assets/docexec.css's (light and dark).
"""

from __future__ import annotations

import html
from typing import Any

from docexec.render import topology_dot, topology_svg

Topology = dict[str, Any]


def to_dot(data: Topology, caption: str) -> str:
    """The DOT source of the picture (deterministic: the same JSON gives the same text)."""
    return topology_dot.dot_text(data, caption)


def finish_svg(svg: str, data: Topology, caption: str) -> str:
    """`dot`'s SVG made ready to inline in a page (render/topology_svg.py tells how)."""
    return topology_svg.finish(svg, data, caption)


def figure_html(svg: str, caption: str, note: str) -> str:
    """The figure a topology block shows: the inline SVG and its caption (`note`: when and where it was measured).
    Search leaves it out (the SVG's text is the interfaces' names and addresses, not what a reader searches for).
    `svg` is finish_svg's, trusted; caption and note are text."""
    return (f'<figure class="docexec-topology" data-search-exclude><div class="docexec-topology__box">{svg}</div>'
            f'<figcaption>{html.escape(caption)}'
            f'<span class="docexec-topology-note">{html.escape(note)}</span></figcaption></figure>')

