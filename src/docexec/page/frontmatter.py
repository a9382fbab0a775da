"""The YAML front matter of a page: the lab hosts its blocks run on (`hosts:`), the engines it runs on
(`engines:`) and the settings of its hosts' dockerd (`daemon:`, `host-daemon:`, see page.daemon)."""

from __future__ import annotations

import re

from docexec.core.errors import PageError
from docexec.lab.settings import MAX_HOSTS
from docexec.page.daemon import DaemonFiles, daemon_files

DEFAULT_HOST = "docker-host"  # the hostname of a page's only host
HOST_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")


FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


def _front_matter(name: str, source: str, key: str) -> dict[str, object] | None:
    """The page's YAML front matter, when it has `key` (None otherwise)."""
    match = FRONT_MATTER.match(source)
    if not match or key not in (match.group(1) or ""):
        return None
    import yaml

    try:
        meta = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PageError(name, 2 + (mark.line if mark else 0), f"the front matter is not valid YAML: {exc}") from None
    return meta if isinstance(meta, dict) and key in meta else None


def front_matter_engines(name: str, source: str) -> tuple[tuple[str, ...] | None, int]:
    """The `engines:` list of the page's front matter: the only engines (of the book's) it runs on."""
    meta = _front_matter(name, source, "engines")
    if meta is None:
        return None, 0
    line = 1 + next((n for n, text in enumerate(source.splitlines()) if text.startswith("engines")), 0)
    engines = meta["engines"]
    if not isinstance(engines, list) or not engines or not all(isinstance(e, str) for e in engines):
        raise PageError(name, line, 'engines: must be a list of engine names in quotes, e.g. engines: ["20.10"]')
    return tuple(engines), line


def front_matter_hosts(name: str, source: str) -> tuple[str, ...]:
    """The `hosts:` list of the page's YAML front matter: the lab hosts its blocks run on."""
    meta = _front_matter(name, source, "hosts")
    if meta is None:
        return (DEFAULT_HOST,)
    line = 1 + next((n for n, text in enumerate(source.splitlines()) if text.startswith("hosts")), 0)
    hosts = meta["hosts"]
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) for h in hosts):
        raise PageError(name, line, "hosts: must be a list of host names, e.g. hosts: [host1, host2]")
    if len(hosts) > MAX_HOSTS:
        raise PageError(name, line, f"hosts: at most {MAX_HOSTS} hosts on one page (a lab's LAN is 192.0.2.0/24)")
    for host in hosts:
        if not HOST_NAME.fullmatch(host):
            raise PageError(name, line, f"hosts: '{host}' is not a valid host name: lowercase letters, digits and "
                                        "'-', starting with a letter")
    if len(set(hosts)) != len(hosts):
        raise PageError(name, line, "hosts: a host name is given twice")
    return tuple(hosts)


def front_matter_daemon(name: str, source: str, hosts: tuple[str, ...]) -> DaemonFiles:
    """The daemon.json of each of the page's hosts that its front matter gives settings (`daemon:` for every host,
    `host-daemon:` per host); errors name the line of the key at fault."""
    meta = _front_matter(name, source, "daemon") or _front_matter(name, source, "host-daemon")
    if meta is None:
        return ()
    import yaml

    lines: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node | None, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode) and len(path) < 3:
            for key, value in node.value:
                here = (*path, str(key.value))
                lines.setdefault(here, 2 + key.start_mark.line)
                walk(value, here)

    match = FRONT_MATTER.match(source)
    walk(yaml.compose(match.group(1) if match else ""), ())

    def line(path: tuple[str, ...]) -> int:
        while path not in lines and len(path) > 1:
            path = path[:-1]
        return lines.get(path, 1)

    return daemon_files(name, meta, hosts, line)
