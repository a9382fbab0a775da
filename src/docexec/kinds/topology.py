"""exec="topology": a picture of the lab's network at this point of the page, measured, not drawn by hand. The
block's text is its caption (one line); it records the network state of the page's hosts (`host="..."`: that one
alone; hosts="host1 host2": those) as JSON (run.topology: every network namespace's interfaces, addresses and
routes, the veth pairs, Docker's networks; only="web1 web2": only those containers' namespaces besides the host's
own):

    ```text exec="topology" id="two-boxes-net"
    web1、web2 与 docker0：实验主机上测得的拓扑
    ```

Its recording is that JSON as it is, ID.json, and its picture, ID.svg, drawn from it at record time by Graphviz's
`dot` in the lab (render.topology), so the site build needs neither. The JSON is checked like any output: the drift
check measures again, and a changed network fails naming the block's page and line. It is measured only in a lab:
on the shared daemon the state would be this machine's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import ClassVar

from docexec.core.errors import PageError
from docexec.hosts.graphviz import render_dot
from docexec.kinds.base import Kind, refused_option
from docexec.page.kinds import register
from docexec.page.model import Block, Command
from docexec.render.kinds import Code, escape
from docexec.render.topology import figure_html, finish_svg, to_dot
from docexec.render.wording import Labels
from docexec.run.runner import Commands, Result
from docexec.run.topology import build, capture_host, dumps
from docexec.store.recording import CommandRecord

REFUSED = {  # options that mean nothing for a measured topology, and why
    "returncode": "a topology is measured, it has no exit code",
    "volatile": "a topology is stable by construction (made-up names replaced, addresses sorted): nothing to ignore",
    "retry": "a topology is measured once, where the block is",
}
CONTAINER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
MAX_CAPTION = 200


class TopologyKind(Kind):
    name = "topology"
    holds_commands = False
    text_names_images = False  # a caption
    data_suffix = ".json"
    pictured = True
    options: ClassVar[Mapping[str, str]] = {"hosts": "the page's hosts the picture shows (default: every one)",
                                            "only": "the containers whose network namespaces the picture shows, "
                                                    "with the host's own"}
    html_class = "docexec-topology-block"

    def check_options(self, given: Mapping[str, str]) -> str | None:
        problem = refused_option(self.name, given, REFUSED)
        if problem:
            return problem
        if "host" in given and "hosts" in given:
            return 'host="..." and hosts="..." both say which hosts the picture shows: write one'
        if "hosts" in given and not given["hosts"].split():
            return 'hosts="" names no host: name the page\'s hosts the picture shows, e.g. hosts="host1 host2"'
        only = given.get("only")
        if only is not None and (not only.split() or not all(CONTAINER.fullmatch(n) for n in only.split())):
            return f'only="{only}" must name containers, separated by spaces, e.g. only="web1 web2"'
        return None

    def text_command(self, text: str, options: Mapping[str, object]) -> str:
        caption = text.strip()
        if not caption or "\n" in caption:
            raise ValueError('an exec="topology" block holds its caption, one line (e.g. 默认 bridge 网络上的两个容器)')
        if len(caption) > MAX_CAPTION:
            raise ValueError(f"the caption is {len(caption)} characters; a topology's caption is at most "
                             f"{MAX_CAPTION}")
        hosts = str(options.get("hosts") or options.get("host") or "").split()
        only = str(options.get("only") or "").split()
        return " ".join(["topology", *(["--hosts", *hosts] if hosts else []), *(["--only", *only] if only else [])])

    def run(self, commands: Commands, block: Block, command: Command, timeout: float) -> Result:
        """Measure the hosts' network state (its picture is drawn only when the page is recorded: `picture`)."""
        if not commands.checks.isolated:
            raise PageError(commands.where, command.line, 'exec="topology" measures a lab\'s network: it runs only '
                                                          "in a lab (on the shared daemon it would be this machine's)")
        names = _shown(commands, block)
        try:
            raws = [capture_host(commands.hosts[name], timeout) for name in names]
        except (RuntimeError, ValueError) as exc:
            raise PageError(commands.where, command.line, f"cannot measure the topology: {exc}") from None
        data = build(raws, lan=len(commands.page.hosts) > 1, only=(block.only or "").split())
        return Result(dumps(data), 0, 0.0)

    def picture(self, commands: Commands, block: Block, output: str) -> str:
        """The SVG of a measured topology, drawn by the Graphviz of the first host it shows (pinned with the lab
        userland)."""
        host = _shown(commands, block)[0]
        data = json.loads(output)
        return finish_svg(render_dot(commands.hosts[host], to_dot(data, caption(block))), data, caption(block))

    def figure(self, block: Block, records: list[CommandRecord] | None, note: str) -> str | None:
        """The recorded picture, captioned (None: none recorded, the JSON shows in a code box)."""
        if not records or not records[0].figure:
            return None
        return figure_html(records[0].figure, caption(block), note)

    def code(self, block: Block, records: list[CommandRecord] | None, root_vars: frozenset[str]) -> Code:
        """Without a picture: the measured JSON (or, not recorded yet, nothing), under the caption."""
        text = records[0].output if records else ""
        return Code(escape(text.removesuffix("\n")), text, "json", caption(block))

    def output_label(self, labels: Labels) -> str:
        return labels.topology


def caption(block: Block) -> str:
    return block.text.strip()


def _shown(commands: Commands, block: Block) -> list[str]:
    """The hosts the picture shows: host= or hosts=, else every host of the page."""
    return (block.hosts or block.host or "").split() or list(commands.page.hosts)


TOPOLOGY = register(TopologyKind())
