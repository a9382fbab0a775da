"""Front matter `daemon:` and `host-daemon:`: settings of the lab hosts' dockerd, written as JSON to each host's
/etc/docker/daemon.json before dockerd starts (a lab host's dockerd runs without flags, so it reads that file).

    hosts: [host1, host2]
    daemon:                      # every host of the page
      log-level: warn
    host-daemon:                 # one host's own settings, over daemon:'s key by key
      host2:
        bip: 10.20.0.1/24

Two keys, not one that holds both forms, so that a setting is never read as a host name or the other way round.
Fail closed: only settings that shape the lab's own networking (ALLOWED) are taken; anything that names a path, a
socket, a runtime, a plugin, TLS, a registry or where the daemon listens is refused with the page and the line.
Values are checked by type only: a value dockerd refuses stops the lab with dockerd's own words (LabStartFailed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from docexec.core.errors import PageError

DaemonFiles = tuple[tuple[str, str], ...]  # (host name, its daemon.json text), for the hosts that have settings
Check = Callable[[object], str]  # "" when the value is good, else what it must be


def _is(kind: type, what: str) -> Check:
    return lambda value: "" if isinstance(value, kind) and not (kind is int and isinstance(value, bool)) else what


def _strings(value: object) -> str:
    good = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return "" if good else "a list of strings"


def _pools(value: object) -> str:
    what = "a list of pools, each {base: a subnet such as 10.10.0.0/16, size: a prefix length such as 24}"
    if not isinstance(value, list) or not value:
        return what
    for pool in value:
        if not isinstance(pool, dict) or set(pool) != {"base", "size"} or not isinstance(pool["base"], str) \
                or not isinstance(pool["size"], int) or isinstance(pool["size"], bool):
            return what
    return ""


def _network_opts(value: object) -> str:
    what = "a mapping of driver names to mappings of option strings, e.g. {bridge: {com.docker.network.driver.mtu: " \
           '"1400"}}'
    if not isinstance(value, dict):
        return what
    for opts in value.values():
        if not isinstance(opts, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in opts.items()):
            return what
    return ""


def _log_level(value: object) -> str:
    return "" if value in ("debug", "info", "warn", "error", "fatal") else "one of debug, info, warn, error, fatal"


_STRING = _is(str, "a string")
_BOOL = _is(bool, "true or false")
_INT = _is(int, "a whole number")
# The daemon.json settings a page may give: they shape the lab's own networking (or its dockerd's log), nothing of
# the machine's. Everything else is refused, known or not.
ALLOWED: dict[str, Check] = {
    "bip": _STRING, "fixed-cidr": _STRING, "fixed-cidr-v6": _STRING, "default-address-pools": _pools,
    "ip": _STRING, "ipv6": _BOOL, "ip6tables": _BOOL, "experimental": _BOOL, "icc": _BOOL, "iptables": _BOOL,
    "ip-forward": _BOOL, "ip-forward-no-drop": _BOOL, "ip-masq": _BOOL, "userland-proxy": _BOOL,
    "dns": _strings, "dns-search": _strings, "dns-opts": _strings, "mtu": _INT, "default-gateway": _STRING,
    "default-gateway-v6": _STRING, "default-network-opts": _network_opts, "firewall-backend": _STRING,
    "log-level": _log_level, "debug": _BOOL,
}


def daemon_files(name: str, meta: Mapping[str, object], hosts: tuple[str, ...],
                 line: Callable[[tuple[str, ...]], int]) -> DaemonFiles:
    """The daemon.json of each host that gets settings, in the order of `hosts`. `meta`: the front matter;
    `line(path)`: the page line of a key (path: ("daemon", "bip") or ("host-daemon", "host2", "bip"))."""
    shared = _settings(name, meta["daemon"], ("daemon",), line) if "daemon" in meta else {}
    own: dict[str, dict[str, object]] = {}
    if "host-daemon" in meta:
        per_host = meta["host-daemon"]
        if not isinstance(per_host, dict) or not per_host:
            raise PageError(name, line(("host-daemon",)), "host-daemon: must map host names to their daemon.json "
                                                          "settings, e.g. host-daemon: {host2: {bip: 10.20.0.1/24}}")
        for host, settings in per_host.items():
            if host not in hosts:
                raise PageError(name, line(("host-daemon", str(host))),
                                f"host-daemon: '{host}' is not a host of this page (front matter hosts: lists them)")
            own[host] = _settings(name, settings, ("host-daemon", host), line)
    files = []
    for host in hosts:
        settings = {**shared, **own.get(host, {})}
        if settings:
            files.append((host, json.dumps(settings, indent=2, ensure_ascii=False) + "\n"))
    return tuple(files)


def _settings(name: str, settings: object, path: tuple[str, ...],
              line: Callable[[tuple[str, ...]], int]) -> dict[str, object]:
    where = ": ".join(path)
    if not isinstance(settings, dict) or not settings:
        raise PageError(name, line(path), f"{where}: must be a mapping of daemon.json settings, e.g. bip: "
                                          "10.20.0.1/24")
    for key, value in settings.items():
        check = ALLOWED.get(key) if isinstance(key, str) else None
        if check is None:
            raise PageError(name, line((*path, str(key))),
                            f"{where}: '{key}' is not a daemon setting a page may give: only settings that shape "
                            f"the lab's own networking are ({', '.join(sorted(ALLOWED))}); paths, sockets, "
                            "runtimes, plugins, TLS, registries and where the daemon listens stay the lab's")
        wanted = check(value)
        if wanted:
            raise PageError(name, line((*path, key)), f"{where}: {key} must be {wanted}, not {value!r}")
    return dict(settings)
