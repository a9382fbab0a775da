"""Addresses a docker command configures rather than talks to: a network's --subnet, --ip-range, --gateway and
--aux-address, a container's --dns, --add-host, --ip and --ip6. In a lab (a daemon of the page's own, with no route
out) they are the page's to choose, as in any private network: a container whose resolv.conf names 8.8.8.8 gets
no answer from it, since nothing leaves the lab. On the shared daemon they are checked like every other address
(addresses.check_addresses), whatever the spelling (`--dns=8.8.8.8`, `--dns 8.8.8.8`)."""

from __future__ import annotations

from collections.abc import Sequence

from docexec.policy.docker_flags import OPTIONS
from docexec.policy.docker_grammar import resolve_verb, walk
from docexec.policy.refusal import Refused

CONFIGURATION = frozenset({"--subnet", "--ip-range", "--gateway", "--aux-address", "--dns", "--add-host", "--ip",
                           "--ip6"})


def unconfigured(argv: Sequence[str]) -> list[str]:
    """`argv` without the configuration options of its docker verb and their values, in whichever spelling: what
    the command still names as a place to talk to (`docker run --dns 8.8.8.8 busybox ping 8.8.8.8` keeps the
    ping's). A command the docker grammar cannot read is returned whole, to be checked and refused as it is."""
    words = list(argv)
    if not words or words[0] != "docker":
        return words
    spans: list[tuple[int, int]] = []
    try:
        verb, i = resolve_verb(words)
        if verb not in OPTIONS:
            return words
        options, _, _ = walk(words, verb, i + 1, spans)
    except Refused:
        return words
    dropped = {k for (flag, _, _), (first, last) in zip(options, spans, strict=True) if flag in CONFIGURATION
               for k in range(first, last + 1)}
    return [word for k, word in enumerate(words) if k not in dropped]
