"""The docker option table the lint parses with (src/docexec/policy/docker_flags.json) against the CLIs themselves:
every option that a docker CLI on this machine lists is in the table, with the same short name and the same arity, so a
new CLI's option is never parsed as a value; and an option the table says every supported CLI has, each has."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from docexec import load_config
from docexec.policy.docker_flags import OPTIONS
from docexec.userland import tree as userland

from .docker_help import is_compose, options_of


def _clis() -> list[str]:
    """The book's CLIs where they are unpacked (the lab userland's 20.10, each engine's), and this machine's."""
    config = load_config()
    found = {shutil.which("docker") or "", str(userland.tree_for() / "usr/bin/docker")}
    found.update(str(cli) for spec in config.engines for cli in (spec.cli, *spec.check_clis) if cli)
    return sorted(path for path in found if path and os.access(path, os.X_OK))


def _version(cli: str) -> str:
    done = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.strip()


def _compose() -> list[str]:
    """The Compose plugin the labs get, where it is unpacked: it alone answers for the `compose` verbs."""
    plugins = load_config().cli_plugins
    found = plugins.path / "docker-compose" if plugins else None
    return [str(found)] if found and os.access(found, os.X_OK) else []


@pytest.mark.parametrize("cli", _clis() + _compose()
                         or [pytest.param("docker", marks=pytest.mark.skip("no docker CLI here"))])
def test_every_option_of_the_cli_is_in_the_table(cli: str) -> None:
    problems = []
    plugin = cli.endswith("docker-compose")
    for verb, table in OPTIONS.items():
        if is_compose(verb) != plugin:
            continue  # the CLIs answer for docker's own verbs, the plugin (whichever CLI runs it) for compose's
        listed = options_of(cli, verb)
        expected = any(since == "20.10" for _, _, since in table.values())
        assert listed or not expected, f"{cli} {verb} --help listed no options: did its help format change?"
        for name, (short, value) in listed.items():
            if name not in table:
                problems.append(f"{verb} {name}: unknown to docker_flags.json")
            elif table[name][:2] != (short, value):
                problems.append(f"{verb} {name}: the table says {table[name][:2]}, the CLI {(short, value)}")
        for name, (_, _, since) in table.items():
            if since == "20.10" and name not in listed:
                problems.append(f"{verb} {name}: the table says every supported CLI has it; this one does not")
    assert not problems, (f"{_version(cli)} ({cli}) disagrees with src/docexec/policy/docker_flags.json; regenerate "
                          "it with tests/docker_help.py and classify new options in docker_rules.REFUSED_OPTIONS:\n  "
                          + "\n  ".join(problems))


def test_the_table_knows_the_verbs_the_lint_supports() -> None:
    from docexec.policy.check import REFUSED_VERBS, STOP_AT_FIRST_POSITIONAL

    assert set(OPTIONS) >= STOP_AT_FIRST_POSITIONAL
    assert not set(OPTIONS) & set(REFUSED_VERBS)


def test_the_table_has_the_service_verbs_and_the_image_and_system_prunes() -> None:
    """`docker service` runs in a lab (swarm mode); image and system prune in a lab too (narrow_verbs)."""
    create = OPTIONS["service create"]
    assert create["--replicas"] == ("", True, "20.10")
    assert create["--publish"] == ("-p", True, "20.10")
    assert create["--name"][1] and create["--mode"][1] and create["--network"][1]
    assert create["--detach"] == ("-d", False, "20.10")
    assert OPTIONS["service ls"]["--format"] == ("", True, "20.10")
    assert OPTIONS["service rm"] == {}
    assert OPTIONS["service logs"]["--follow"] == ("-f", False, "20.10")  # refused: docker_rules.REFUSED_OPTIONS
    assert OPTIONS["image prune"]["--all"] == ("-a", False, "20.10")
    assert OPTIONS["system prune"]["--volumes"] == ("", False, "20.10")
