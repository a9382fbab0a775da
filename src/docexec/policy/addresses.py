"""The network rule: a command names no address outside this lab or machine (IPv4 in any notation, IPv6, URLs,
and the names that network tools are given)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from functools import partial

from docexec.policy.refusal import Collect, Refused

_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
_URL = re.compile(r"\b(?:https?|ftp)://([^/\s:'\"]+)")
# Loopback, Docker's networks, and a lab's LAN (192.0.2.0/24, a range reserved for documentation).
_LOCAL_NETS = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "172.16.0.0/12", "0.0.0.0/32", "192.0.2.0/24")]
_MASKS = re.compile(r"255\.\d+\.\d+\.\d+")
_LAB_LAN = ipaddress.ip_network("192.0.2.0/24")
_LOCAL_NETS6 = [ipaddress.ip_network(n) for n in ("::1/128", "::/128", "fe80::/10", "fc00::/7", "2001:db8::/32")]
NETWORK_TOOLS = {"ping", "ping6", "wget", "curl", "nc", "netcat", "nslookup", "host", "dig", "telnet",
                 "traceroute", "traceroute6", "arping", "ssh", "ftpget", "ftpput", "tftp", "ntpd", "whois", "rdate"}
_NAME = re.compile(r"(?=.*[a-zA-Z])[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\.?")  # example.org, www.example.org.
# Where a word is cut into the tokens checked: the shell's separators, and `=` and `,` too, so that an option's
# value is seen whatever its spelling (--dns=8.8.8.8 as --dns 8.8.8.8, --aux-address=a=10.0.9.5, x=8.8.8.8).
_TOKENS = re.compile(r"[\s;|&()<>'\"`=,]+")
_FILE = re.compile(r"\.(html?|txt|conf|json|log|sh|tar|gz|md)$")


def check_addresses(argv: Sequence[str], *, lan: bool = True) -> None:
    """Every address a command names is one of this lab or machine: IPv4 in any notation inet_aton takes
    (8.8.8.8, 134744072, 0x08080808, 8.8.2056, 010.010.010.010), IPv6, URLs, and the names that network tools
    (ping, wget, nc, nslookup, ...) are given, also inside `sh -c '...'`. In a lab nothing outside is reachable
    anyway; this keeps pages honest where they run on a shared daemon, and their outputs free of timeouts."""
    tokens = [token for word in argv for token in _TOKENS.split(word) if token]
    collect = Collect()  # every address of the command is reported, not only the first
    after_tool = False
    for token in tokens:
        collect.run(partial(_check_word, token, after_tool=after_tool, lan=lan))
        after_tool = after_tool or token.rsplit("/", 1)[-1] in NETWORK_TOOLS
    collect.done()


def _check_word(token: str, *, after_tool: bool, lan: bool) -> None:
    for part in (token.split(":") if token.count(":") == 1 else [token]):  # db:203.0.113.5, 8.8.8.8:53
        _check_token(part, any_notation=after_tool, lan=lan)
    for m in re.finditer(r"://\[([0-9a-fA-F:.%]+)\]", token):  # http://[2001:db8::1]/
        _check_token(m.group(1), any_notation=True, lan=lan)
    for m in _URL.finditer(token):
        host = m.group(1)
        _check_token(host, any_notation=True, lan=lan)  # http://8.8.8.8/, http://134744072/
        if "." in host and not _IPV4.fullmatch(host):
            raise Refused(f"{host} is outside this machine: lessons only talk between containers and this host")
    if after_tool and _NAME.fullmatch(token) and not _FILE.search(token):
        raise Refused(f"'{token}' is a name outside this lab: lessons only name their own containers, networks "
                      "and hosts (names without dots)")


def _check_token(token: str, *, any_notation: bool, lan: bool) -> None:
    """Dotted quads and IPv6 anywhere; other IPv4 notations (172.17 is 172.0.0.17 to inet_aton, 134744072 is
    8.8.8.8) only where a network tool reads them, since elsewhere they are ordinary patterns and numbers."""
    candidate = token.split("/", 1)[0] if "/" in token and not token.startswith("/") else token  # 8.8.8.8/32
    dotted_quad = re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", candidate) is not None
    address = (_ipv4_any_notation(candidate) if any_notation or dotted_quad else None) or _ipv6(candidate)
    if address is None or _MASKS.fullmatch(candidate):
        return
    local = _LOCAL_NETS if isinstance(address, ipaddress.IPv4Address) else _LOCAL_NETS6
    if any(address in net for net in local) and (lan or address not in _LAB_LAN):
        return  # the lab LAN only where there is a lab: elsewhere 192.0.2.0/24 may be anybody's network
    shown = f"{candidate} ({address})" if str(address) != candidate else candidate
    raise Refused(f"{shown} is outside this machine: lessons only talk between containers and this host "
                  "(loopback, Docker's 172.16.0.0/12 networks, and the lab LAN 192.0.2.0/24)")


def _ipv4_any_notation(text: str) -> ipaddress.IPv4Address | None:
    """What inet_aton (and so ping or wget) makes of `text`: dotted quads, fewer parts, hex and octal. Plain
    numbers below 16777216 (1.0.0.0) are taken as numbers (sleep 3600, head -c 300000)."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(re.fullmatch(r"0[xX][0-9a-fA-F]+|\d+", p) for p in parts):
        return None
    try:
        values = [int(p, 16) if p[:2].lower() == "0x" else int(p, 8) if len(p) > 1 and p[0] == "0" else int(p)
                  for p in parts]
    except ValueError:
        return None
    if len(parts) == 1 and values[0] < 1 << 24 and not text.lower().startswith("0x"):
        return None
    limits = {1: [32], 2: [8, 24], 3: [8, 8, 16], 4: [8, 8, 8, 8]}[len(parts)]
    number = 0
    for value, bits in zip(values, limits, strict=True):
        if value >= 1 << bits:
            return None
        number = (number << bits) | value
    return ipaddress.IPv4Address(number)


def _ipv6(text: str) -> ipaddress.IPv6Address | None:
    text = text.strip("[]").split("%", 1)[0]
    if text.count(":") < 2:
        return None
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None
