"""The YAML front matter of a page: the lab hosts its blocks run on (`hosts:`) and the engines it runs on
(`engines:`)."""

from __future__ import annotations

import re

from docexec.core.errors import PageError
from docexec.lab.settings import MAX_HOSTS

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
