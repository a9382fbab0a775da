"""A contributor's page runs as written (issue 26): the commands of its items 1-5, with `busybox` as the image —
prune with -f, outside addresses as configuration (and a query sent to one failing, as there is no route out),
docker swarm and service, trailing comments and $(pwd), an image built and one tagged before use — lint clean
and record in a lab. On the shared daemon an outside address as configuration is refused in either spelling."""

from __future__ import annotations

from pathlib import Path

import pytest

from docexec import PageError, Project
from docexec.drift.variants import in_ci
from docexec.hosts.daemon import Daemon
from tests.conftest import Engine, MakeProject

PAGE = (Path(__file__).parent / "fixtures" / "contributor.md").read_text(encoding="utf-8")


def test_the_contributor_page_lints_clean(make_project: MakeProject) -> None:
    config = make_project({"contributor.md": PAGE})
    with Project(config, mode="offline") as project:
        page = project.load_page("contributor.md")  # raises with every problem of the page
    assert len(page.commands) >= 20


@pytest.mark.docker
def test_the_contributor_page_records_in_a_lab(engine: Engine, make_project: MakeProject) -> None:
    if engine.mode != "lab":
        message = "the page uses docker swarm, build and tag, which run only in a lab"
        pytest.fail(f"CI=true and {message}") if in_ci() else pytest.skip(message)
    config = make_project({"contributor.md": PAGE})
    with Project(config, mode="force", notify=lambda m: None) as project:
        outcome = project.record(project.load_page("contributor.md"))
    assert outcome.stored is not None
    out = {block: [r.output for r in records] for block, records in outcome.stored.blocks.items()}
    assert out["prune"][1].startswith("Deleted Volumes:\nscratch\n"), out["prune"]
    assert out["prune"][3] == "Deleted Networks:\ntmpnet\n\n", out["prune"]
    assert out["subnets"][2] == "192.168.0.0/24\n10.0.9.0/24\n", out["subnets"]
    assert "nameserver 8.8.8.8" in out["dns"][0] and "nameserver 114.114.114.114" in out["dns"][1]
    assert "10.0.9.5\tdb" in out["dns"][2] and "8.8.8.8\tweb" in out["dns"][2], out["dns"]
    (failed,) = outcome.stored.blocks["no-route"]
    assert failed.returncode == 1 and "no servers could be reached" in failed.output, failed.output
    assert "Swarm initialized" in out["swarm"][0] and " s1 " in out["swarm"][2] and out["swarm"][3] == "s1\n"
    ps, note, listing, subnet = out["comments"]
    assert ps.startswith("CONTAINER ID") and note == "第一条记录\n" and listing == "data\n", out["comments"]
    assert subnet == "172.17.0.0/16\n", out["comments"]
    assert out["use"] == ["来自 app 镜像\n", "来自 mybox\n"]
    assert engine.leftovers() == []


@pytest.mark.parametrize("spelling", ["--dns=8.8.8.8", "--dns 8.8.8.8"])
def test_the_shared_daemon_refuses_an_outside_name_server_in_either_spelling(
        daemon: Daemon, make_project: MakeProject, spelling: str) -> None:
    """The lint reads pages as a lab runs them (there it is configuration); the shared daemon is the machine's,
    so there the command is refused before it runs (tests/test_addresses.py: the rule for every spelling)."""
    text = f'```console exec="docker" id="a"\n$ docker run --rm {spelling} busybox cat /etc/resolv.conf\n```\n'
    config = make_project({"p.md": text})
    with Project(config, mode="force", notify=lambda m: None) as project:
        page = project.load_page("p.md")  # the lint accepts it
        with pytest.raises(PageError, match=r"8\.8\.8\.8 is outside this machine") as caught:
            project.record(page)
    assert caught.value.line == 2
    assert not (config.engines[0].snippets_dir / "p").exists()
