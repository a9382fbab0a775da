"""The network rule (policy.addresses) whatever the spelling of an option, and addresses used as configuration,
which a lab accepts: it has no route out, so they configure a private network; traffic to outside addresses stays
refused there too."""

from __future__ import annotations

import dataclasses
import shlex

import pytest

from docexec import Refused, RunContext, Settings
from docexec.policy.check import check_argv

# Every spelling of each address option, and the same inside `sh -c '...'`: on the shared daemon each is refused.
SPELLINGS = [
    "docker run --rm --dns=8.8.8.8 busybox true",
    "docker run --rm --dns 8.8.8.8 busybox true",
    "docker network create --subnet=10.0.9.0/24 n",
    "docker network create --subnet 10.0.9.0/24 n",
    "docker network create --subnet=172.30.0.0/24 --ip-range=10.0.9.0/25 n",
    "docker network create --subnet 172.30.0.0/24 --ip-range 10.0.9.0/25 n",
    "docker network create --subnet=172.30.0.0/24 --gateway=10.0.9.1 n",
    "docker network create --subnet 172.30.0.0/24 --gateway 10.0.9.1 n",
    "docker network create --subnet=172.30.0.0/24 --aux-address=router=10.0.9.5 n",
    "docker network create --subnet 172.30.0.0/24 --aux-address router=10.0.9.5 n",
    "docker network create --ipv6 --subnet=2a00:1::/64 n",
    "docker run --rm --add-host=db:8.8.8.8 busybox true",
    "docker run --rm --add-host db:8.8.8.8 busybox true",
    "docker run --rm --add-host=db=8.8.8.8 busybox true",  # CLI 25+ also takes NAME=IP
    "docker run --rm --add-host db=8.8.8.8 busybox true",
    "docker run -d --network n --ip=10.0.9.7 busybox sleep 1d",
    "docker network connect --ip 10.0.9.8 n c",
    "docker exec m sh -c 'nslookup web --dns=8.8.8.8'",
    "docker exec m sh -c 'http_proxy=8.8.8.8:3128 wget -q -O- http://web/'",
    "docker exec m wget -q -O- http://8.8.8.8/",
    "docker exec m wget -q -O- http://134744072:80/",
]
# Outside addresses as configuration (a lab accepts them), and as a place to talk to (nowhere accepts them).
CONFIGURATION = [s for s in SPELLINGS if "sh -c" not in s and "wget" not in s]
TRAFFIC = [
    "docker exec m ping -c 1 8.8.8.8",
    "docker exec m wget -q -O- http://1.2.3.4/",
    "docker run --rm --dns 8.8.8.8 busybox ping -c 1 8.8.8.8",  # the ping's address is not the --dns value
    "docker run --rm --add-host=db:8.8.8.8 busybox wget -q -O- http://1.2.3.4/",
    "docker exec m sh -c 'nslookup web --dns=8.8.8.8'",
]


@pytest.fixture
def lab(config: Settings) -> RunContext:
    return config.run_context()


def check(context: RunContext, command: str) -> None:
    check_argv(shlex.split(command), kind="docker", page="p.md", context=context, line=command)


@pytest.mark.parametrize("command", SPELLINGS)
def test_the_shared_daemon_refuses_outside_addresses_in_every_spelling(lab: RunContext, command: str) -> None:
    with pytest.raises(Refused, match="is outside this machine"):
        check(dataclasses.replace(lab, isolated=False), command)


@pytest.mark.parametrize("command", CONFIGURATION)
def test_a_lab_accepts_addresses_as_configuration(lab: RunContext, command: str) -> None:
    check(lab, command)


@pytest.mark.parametrize("command", TRAFFIC)
def test_a_lab_still_refuses_traffic_to_outside_addresses(lab: RunContext, command: str) -> None:
    with pytest.raises(Refused, match="is outside this machine"):
        check(lab, command)
