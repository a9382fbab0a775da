"""Front matter `daemon:` and `host-daemon:`: a page's settings for its lab hosts' dockerd, written to each host's
/etc/docker/daemon.json. Only settings that shape the lab's own networking are taken; they are part of what makes
a recording current; the shared daemon refuses them; a value dockerd refuses stops the lab with its log."""

from __future__ import annotations

import json
import textwrap

import pytest

from docexec import PageError, Project, parse_page
from docexec.core.errors import RefusedToRecord
from docexec.lab import LabStartFailed
from docexec.store.pagecache import PageCache

from .conftest import MakeProject

TWO = "---\nhosts: [host1, host2]\n{front}---\n"


def page(front: str):  # type: ignore[no-untyped-def]
    return parse_page("p.md", TWO.format(front=textwrap.dedent(front)))


def error(front: str) -> PageError:
    with pytest.raises(PageError) as info:
        page(front)
    return info.value


def files(front: str) -> dict[str, object]:
    return {host: json.loads(text) for host, text in page(front).daemon}


def test_daemon_settings_for_every_host_and_for_one() -> None:
    assert files("daemon:\n  bip: 10.20.0.1/24\n") == {"host1": {"bip": "10.20.0.1/24"},
                                                        "host2": {"bip": "10.20.0.1/24"}}
    assert files("host-daemon:\n  host2:\n    bip: 10.20.0.1/24\n") == {"host2": {"bip": "10.20.0.1/24"}}
    both = files("""\
        daemon:
          log-level: warn
          bip: 10.10.0.1/24
        host-daemon:
          host2:
            bip: 10.20.0.1/24
            default-address-pools:
              - {base: 10.30.0.0/16, size: 24}
        """)
    assert both == {"host1": {"log-level": "warn", "bip": "10.10.0.1/24"},
                    "host2": {"log-level": "warn", "bip": "10.20.0.1/24",
                              "default-address-pools": [{"base": "10.30.0.0/16", "size": 24}]}}


def test_the_json_is_written_as_the_page_gives_it() -> None:
    p = page("host-daemon:\n  host2:\n    fixed-cidr: 10.20.0.128/25\n    bip: 10.20.0.1/24\n    mtu: 1400\n")
    assert p.daemon == (("host2", '{\n  "fixed-cidr": "10.20.0.128/25",\n  "bip": "10.20.0.1/24",\n'
                                  '  "mtu": 1400\n}\n'),)
    assert parse_page("p.md", "# t\n").daemon == ()


@pytest.mark.parametrize(("front", "line", "message"), [
    ("daemon: 10.20.0.1/24\n", 3, "daemon: must be a mapping of daemon.json settings"),
    ("daemon:\n", 3, "daemon: must be a mapping"),
    ("daemon:\n  bip: 10.20.0.1/24\n  mtu: big\n", 5, "daemon: mtu must be a whole number, not 'big'"),
    ("daemon:\n  iptables: 'no'\n", 4, "daemon: iptables must be true or false"),
    ("daemon:\n  mtu: true\n", 4, "mtu must be a whole number"),
    ("daemon:\n  dns: 192.0.2.254\n", 4, "dns must be a list of strings"),
    ("daemon:\n  log-level: loud\n", 4, "log-level must be one of debug, info, warn, error, fatal"),
    ("daemon:\n  default-address-pools:\n    - {base: 10.30.0.0/16}\n", 4, "default-address-pools must be a list "
                                                                          "of pools, each {base:"),
    ("host-daemon: [host2]\n", 3, "host-daemon: must map host names to their daemon.json settings"),
    ("host-daemon:\n  host3:\n    bip: 10.20.0.1/24\n", 4, "host-daemon: 'host3' is not a host of this page"),
    ("host-daemon:\n  host2:\n    bip: [10.20.0.1/24]\n", 5, "host-daemon: host2: bip must be a string"),
    ("host-daemon:\n  host2: {}\n", 4, "host-daemon: host2: must be a mapping"),
])
def test_bad_daemon_settings_name_the_page_and_line(front: str, line: int, message: str) -> None:
    err = error(front)
    assert (err.page, err.line) == ("p.md", line) and message in err.message, (err.line, err.message)


@pytest.mark.parametrize("key", ["data-root", "exec-root", "hosts", "runtimes", "default-runtime", "tls", "tlscert",
                                 "registry-mirrors", "insecure-registries", "authorization-plugins", "containerd",
                                 "userland-proxy-path", "pidfile", "cgroup-parent", "seccomp-profile", "no-such-key"])
def test_settings_beyond_the_labs_networking_are_refused(key: str) -> None:
    err = error(f"title: t\nhost-daemon:\n  host2:\n    bip: 10.20.0.1/24\n    {key}: /x\n")
    assert err.line == 7
    assert err.message.startswith(f"host-daemon: host2: '{key}' is not a daemon setting a page may give: only "
                                  "settings that shape the lab's own networking are (")


def test_the_settings_are_part_of_what_makes_a_recording_current() -> None:
    plain = page("")
    one = page("host-daemon:\n  host2:\n    bip: 10.20.0.1/24\n")
    other = page("host-daemon:\n  host2:\n    bip: 10.21.0.1/24\n")
    on_host1 = page("host-daemon:\n  host1:\n    bip: 10.20.0.1/24\n")
    digests = {p.digest() for p in (plain, one, other, on_host1)}
    assert len(digests) == 4
    assert len({p.context_digest() for p in (plain, one, other, on_host1)}) == 4, "every block's output may change"
    cache = PageCache(None, "inputs")  # type: ignore[arg-type]
    assert cache.key("p.md", TWO.format(front="daemon:\n  mtu: 1400\n")) != \
        cache.key("p.md", TWO.format(front="daemon:\n  mtu: 1450\n"))


PAGE = """\
---
hosts: [host1, host2]
host-daemon:
  host2:
    bip: 10.20.0.1/24
    fixed-cidr: 10.20.0.128/25
---
# t

```console exec="host" id="one"
$ ip -4 -o addr show docker0 | cut -d' ' -f2,7
$ docker network inspect -f '{{json .IPAM.Config}}' bridge
```

```console exec="host" id="two" host="host2"
$ cat /etc/docker/daemon.json
$ ip -4 -o addr show docker0 | cut -d' ' -f2,7
$ docker network inspect -f '{{json .IPAM.Config}}' bridge
```
"""


@pytest.mark.docker
def test_a_host_with_its_own_bip_next_to_one_without(labs: None, make_project: MakeProject) -> None:
    project = Project(make_project({"p.md": PAGE}), mode="force", notify=lambda m: None)
    outcome = project.record(project.load_page("p.md"))
    assert outcome.stored is not None
    one = [r.output for r in outcome.stored.blocks["one"]]
    two = [r.output for r in outcome.stored.blocks["two"]]
    assert one == ["docker0 172.17.0.1/16\n", '[{"Subnet":"172.17.0.0/16"}]\n']
    assert json.loads(two[0]) == {"bip": "10.20.0.1/24", "fixed-cidr": "10.20.0.128/25"}
    assert two[1] == "docker0 10.20.0.1/24\n"
    assert json.loads(two[2]) == [{"Subnet": "10.20.0.0/24", "IPRange": "10.20.0.128/25", "Gateway": "10.20.0.1"}]


@pytest.mark.docker
def test_a_value_dockerd_refuses_stops_the_lab_with_its_log(labs: None, make_project: MakeProject) -> None:
    bad = PAGE.replace("bip: 10.20.0.1/24", "bip: 10.20.0.1/33")
    project = Project(make_project({"p.md": bad}), mode="force", notify=lambda m: None)
    with pytest.raises(LabStartFailed) as failed:
        project.record(project.load_page("p.md"))
    said = str(failed.value)
    assert said.startswith("docs/p.md: the lab's dockerd on host2 stopped (twice, the second time in a fresh "
                           "lab); the page gives host2 settings in /etc/docker/daemon.json"), said
    assert "10.20.0.1/33" in said, "dockerd's own words, from the host's log"


@pytest.mark.docker
def test_the_shared_daemon_refuses_daemon_settings(daemon, make_project: MakeProject) -> None:  # type: ignore[no-untyped-def]
    one_host = "---\ndaemon:\n  bip: 10.20.0.1/24\n---\n\n```console exec=\"docker\" id=\"a\"\n$ docker ps\n```\n"
    project = Project(make_project({"p.md": one_host}), mode="force", notify=lambda m: None)
    with pytest.raises(RefusedToRecord, match=r"docs/p.md: gives its hosts' dockerd settings \(front matter "
                                              r"daemon: or host-daemon:\), which only a lab's own dockerd"):
        project.record(project.load_page("p.md"))
