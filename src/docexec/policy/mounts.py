"""What a container's mount options say (`-v/--volume SRC:DST[:OPTS]`, `--mount type=...,source=...,target=...`,
`--tmpfs DST[:OPTS]`), read one way for everything that looks at them: the bind-mount rule (docker_rules) and the
named volumes a run creates with its label (run.tracking).

Read leniently, as the rules need: a form docker itself refuses still has its source read and checked (`-v /etc:`,
with no target, is a bind of /etc), and only a form that mounts nothing at all is None. Linux paths only: the
colon of a drive letter splits like any other (`C:\\data:/data` is a volume named C)."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field

MOUNT_FLAGS = ("--volume", "--mount", "--tmpfs")  # long names: -v is --volume


@dataclass(frozen=True)
class Mount:
    """One mount of a container."""

    kind: str  # "bind", "volume", "tmpfs", or --mount's type as written ("" when it is empty)
    source: str  # the host path of a bind, a volume's name; "" for an anonymous volume and a tmpfs
    target: str  # the path in the container
    read_only: bool = False
    fields: Mapping[str, str] = field(default_factory=dict)  # --mount's fields as written (volume-opt=..., ...)


def parse_mount(flag: str, value: str) -> Mount | None:
    """The mount that option `flag` (its long name) with `value` asks for; None for any other option, and for a
    value that mounts nothing (empty, or -v with an empty source: `:/x`)."""
    if not value or flag not in MOUNT_FLAGS:
        return None
    if flag == "--mount":
        return _mount(value)
    if flag == "--tmpfs":
        target, _, mode = value.partition(":")
        return Mount("tmpfs", "", target, "ro" in mode.split(","))
    source, colon, rest = value.partition(":")
    if not colon:
        return Mount("volume", "", value)  # -v /data: an anonymous volume
    if not source:
        return None
    target, _, mode = rest.partition(":")
    kind = "bind" if source.startswith(("/", ".")) else "volume"  # ./data: a bind (the CLI makes it absolute)
    return Mount(kind, source, target, "ro" in mode.split(","))


def _mount(value: str) -> Mount:
    """--mount's KEY=VALUE fields, read as the CLI reads them: one CSV record (a field may be quoted, commas and
    all), keys and the type in any case (the CLI lowercases both); the last of a key wins; type defaults to
    volume."""
    try:
        record = next(csv.reader([value]), [])
    except csv.Error:  # the CLI refuses what its CSV reader cannot read; read it plainly, to check its source
        record = value.split(",")
    fields = {key.lower(): val for key, _, val in (f.partition("=") for f in record)}
    read_only = fields.get("readonly", fields.get("ro"))
    return Mount(kind=fields.get("type", "volume").lower(),
                 source=fields.get("source") or fields.get("src") or "",
                 target=fields.get("target") or fields.get("dst") or fields.get("destination") or "",
                 read_only=read_only is not None and read_only.lower() in ("", "1", "t", "true"),
                 fields=fields)
