"""The one reading of -v/--volume, --mount and --tmpfs (policy.mounts), which the bind-mount rule and the run's
named volumes both use."""

from __future__ import annotations

import pytest

from docexec.policy.mounts import Mount, parse_mount


@pytest.mark.parametrize(("flag", "value", "kind", "source", "target", "read_only"), [
    # -v SRC:DST[:OPTS]
    ("--volume", "/srv/site:/usr/share/nginx/html", "bind", "/srv/site", "/usr/share/nginx/html", False),
    ("--volume", "/srv/site:/html:ro", "bind", "/srv/site", "/html", True),
    ("--volume", "/srv/site:/html:z,ro", "bind", "/srv/site", "/html", True),
    ("--volume", "/srv/site:/html:rw", "bind", "/srv/site", "/html", False),
    ("--volume", "./site:/html", "bind", "./site", "/html", False),  # the CLI makes it absolute
    ("--volume", "data:/var/lib/data", "volume", "data", "/var/lib/data", False),
    ("--volume", "data:/var/lib/data:ro,nocopy", "volume", "data", "/var/lib/data", True),
    ("--volume", "/var/lib/data", "volume", "", "/var/lib/data", False),  # anonymous
    ("--volume", "C:\\data:/data", "volume", "C", "\\data", False),  # no Windows paths: C is a name
    ("--volume", "/etc:", "bind", "/etc", "", False),  # docker refuses it; its source is still read
    ("--volume", "/etc:/x:ro:more", "bind", "/etc", "/x", False),
    # --mount KEY=VALUE,...
    ("--mount", "type=bind,source=/srv,target=/srv", "bind", "/srv", "/srv", False),
    ("--mount", "type=bind,src=/srv,dst=/srv,readonly", "bind", "/srv", "/srv", True),
    ("--mount", "type=bind,source=,src=/srv,destination=/d,ro=true", "bind", "/srv", "/d", True),
    ("--mount", "type=bind,source=/a,source=/etc,target=/d,readonly=false", "bind", "/etc", "/d", False),
    ("--mount", "source=data,target=/d", "volume", "data", "/d", False),  # type defaults to volume
    ("--mount", "type=volume,target=/d,readonly=1", "volume", "", "/d", True),  # anonymous
    ("--mount", "type=tmpfs,target=/run,tmpfs-size=64m", "tmpfs", "", "/run", False),
    ("--mount", "type=,target=/d", "", "", "/d", False),
    ("--mount", "target", "volume", "", "", False),
    ("--mount", "Type=Bind,Source=/etc,Target=/d,ReadOnly", "bind", "/etc", "/d", True),  # keys, type: any case
    ('--mount', '"type=bind","source=/etc",target=/d', "bind", "/etc", "/d", False),  # a CSV record, as the CLI reads
    ('--mount', 'type=bind,"source=/a,b",target=/d', "bind", "/a,b", "/d", False),
    # --tmpfs DST[:OPTS]
    ("--tmpfs", "/run", "tmpfs", "", "/run", False),
    ("--tmpfs", "/run:ro,size=64m", "tmpfs", "", "/run", True),
])
def test_mounts(flag: str, value: str, kind: str, source: str, target: str, read_only: bool) -> None:
    mount = parse_mount(flag, value)
    assert mount is not None
    assert (mount.kind, mount.source, mount.target, mount.read_only) == (kind, source, target, read_only)


@pytest.mark.parametrize(("flag", "value"), [
    ("--volume", ""), ("--volume", ":/data"), ("--mount", ""), ("--tmpfs", ""),  # nothing is mounted
    ("--publish", "80:80"), ("-v", "/etc:/etc"),  # not a mount option's long name
])
def test_no_mount(flag: str, value: str) -> None:
    assert parse_mount(flag, value) is None


def test_mount_fields_are_kept_as_written() -> None:
    mount = parse_mount("--mount", "type=volume,source=v,target=/d,volume-driver=local,volume-opt=device=/etc")
    assert mount == Mount("volume", "v", "/d", fields={"type": "volume", "source": "v", "target": "/d",
                                                       "volume-driver": "local", "volume-opt": "device=/etc"})
    assert parse_mount("--volume", "/etc:/x:volume-driver") == Mount("bind", "/etc", "/x")  # -v has no fields


def test_the_named_volumes_a_run_creates_with_its_label() -> None:
    from docexec.run.tracking import _named_volumes

    options: list[tuple[str, str | None]] = [
        ("--volume", "data:/d"), ("--volume", "/srv:/srv"), ("--volume", "./s:/s"), ("--volume", "/anon"),
        ("--mount", "source=logs,target=/l"), ("--mount", "type=bind,source=/x,target=/x"),
        ("--mount", "type=volume,target=/anon"), ("--tmpfs", "/run"), ("--volume", "\0:/d"), ("--name", "web")]
    assert _named_volumes(options) == ["data", "logs"]
