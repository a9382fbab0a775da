"""Programs of the lab userland beyond the network tools: Graphviz's dot, which draws a topology block's picture
inside the lab, and jq, which a page may pipe docker's JSON into. Both run in a lab, as pages run them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from docexec import DocexecError, EngineSettings, Project, Settings, parse_page
from docexec.hosts.backends import Host, LabBackend
from docexec.hosts.graphviz import render_dot
from tests.conftest import MakeProject

pytestmark = pytest.mark.docker
GRAPH = 'graph { label="a lab"; "docker-host" -- "box [veth]" -- docker0; docker0 [shape=box] }\n'


@pytest.fixture
def host(labs: None, config: Settings, tmp_path: Path) -> Iterator[Host]:
    """The host of a lab made as for a page, with the commands' environment a page's get."""
    page = parse_page("p.md", '```console exec="host" id="a"\n$ true\n```\n', "docs/p.md")
    backend = LabBackend(page, EngineSettings.of(config.engines[0]), [], tmp_path, notify=lambda m: None)
    hosts = backend.__enter__()
    try:
        yield hosts["docker-host"]
    finally:
        backend.close()


def test_dot_draws_the_same_svg_every_time_with_nothing_on_stderr(host: Host) -> None:
    """dot's plugins are listed (config6a) and fontconfig finds the pinned DejaVu fonts, so text is measured with
    them, silently, and a graph's SVG is the same byte for byte."""
    runs = [subprocess.run(host.wrap(["dot", "-Tsvg"]), input=GRAPH, capture_output=True, text=True, env=host.env,
                           cwd=host.cwd, timeout=60, check=False) for _ in range(2)]
    assert [(r.returncode, r.stderr) for r in runs] == [(0, ""), (0, "")]
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stdout.startswith('<?xml version="1.0"') and "<title>box [veth]</title>" in runs[0].stdout
    assert render_dot(host, GRAPH) == render_dot(host, GRAPH) == runs[0].stdout
    fonts = subprocess.run(host.wrap(["dot", "-v", "-Tsvg"]), input=GRAPH, capture_output=True, text=True,
                           env=host.env, cwd=host.cwd, timeout=60, check=False).stderr
    assert '"DejaVu Serif, Book" /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf' in fonts
    assert "Fontconfig" not in fonts and "Warning" not in fonts


def test_render_dot_says_why_it_failed(host: Host) -> None:
    with pytest.raises(DocexecError, match=r"dot -Tsvg on docker-host failed \(exit status 1\): .*syntax error"):
        render_dot(host, "graph { a -- }")
    with pytest.raises(DocexecError, match=r"dot -Tsvg on docker-host printed a warning: .*unrecognized"):
        render_dot(host, "graph { a:nowhere -- b }")


def test_a_page_pipes_docker_s_json_into_jq(labs: None, make_project: MakeProject) -> None:
    config = make_project({"p.md": '''
        # jq

        ```console exec="docker" id="subnet"
        $ docker network inspect bridge | jq -r '.[0].IPAM.Config[0].Subnet'
        ```
        '''})
    project = Project(config, mode="force", notify=lambda m: None)
    outcome = project.record(project.load_page("p.md"))
    assert outcome.stored is not None
    assert [r.output for r in outcome.stored.blocks["subnet"]] == ["172.17.0.0/16\n"]
