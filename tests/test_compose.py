"""`docker compose` in the book: the Compose plugin pinned in [tool.docexec.cli_plugins], given to the labs of every
engine (bound read-only as root's ~/.docker/cli-plugins); the lint reads `docker compose [its options] SUBCOMMAND
[options]` fail-closed, like every docker verb; and since a compose file asks for what no option shows (privileged
containers, host bind mounts, host networking, devices), compose runs only in a lab, never on the shared daemon."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import pytest

from docexec import Project
from docexec.core.config import RunContext, load_config
from docexec.core.errors import DocexecError
from docexec.drift.variants import in_ci
from docexec.lab.host import LabHost
from docexec.lab.rootfs import RootFs
from docexec.lab.settings import CLI_PLUGINS_DIR, LabSettings
from docexec.policy.check import Refused, check_docker
from tests.conftest import ROOT, Engine, MakeProject

LAB = RunContext(Path("/lab"), isolated=True)
SHARED = dataclasses.replace(LAB, workdir=Path("/tmp/work"), isolated=False)


@pytest.mark.parametrize(("line", "verb", "positionals"), [
    ("docker compose up -d", "compose up", ()),
    ("docker compose -p demo -f shop.yaml --progress quiet down -v", "compose down", ()),
    ("docker compose ps --format '{{.Name}}'", "compose ps", ()),  # not aliased to `ls`, as `docker network ps`
    ("docker compose ls --all", "compose ls", ()),
    ("docker compose config --services", "compose config", ()),
    # after the service come the command's own words: -w is nc's, not an option of compose exec
    ("docker compose exec web nc -w 2 db 5432", "compose exec", ("web", "nc", "-w", "2", "db", "5432")),
    ("docker compose exec -T web nslookup -type=a db", "compose exec", ("web", "nslookup", "-type=a", "db")),
    ("docker compose run --rm db cat /data/note", "compose run", ("db", "cat", "/data/note")),
])
def test_compose_is_read_like_the_cli_reads_it_and_allowed_in_a_lab(line: str, verb: str,
                                                                    positionals: tuple[str, ...]) -> None:
    call = check_docker(shlex.split(line), LAB)
    assert (call.verb, call.positionals) == (verb, positionals)


@pytest.mark.parametrize(("line", "message"), [
    ("docker compose", "needs a subcommand"),
    ("docker compose -f x.yaml", "needs a subcommand"),
    ("docker compose --bogus up -d", "'docker compose' has no option '--bogus'"),
    ("docker compose up", "never ends: write docker compose up -d"),
    ("docker compose up -d --build", "'--build' of 'docker compose up' is refused"),
    ("docker compose up -d --pull always", "--pull would contact a registry"),
    ("docker compose down --rmi all", "'--rmi' of 'docker compose down' is refused"),
    ("docker compose exec --privileged web sh", "'--privileged' is refused"),
    ("docker compose exec -it web sh", "'docker compose exec' has no option '-i'"),
    ("docker compose run --cap-add NET_ADMIN web true", "'--cap-add' is refused"),
    ("docker compose logs -f", "'--follow' is refused"),
    ("docker compose pull", "'docker compose pull' is refused"),
    ("docker compose cp web:/etc/hostname .", "'docker compose cp' is not supported"),
    ("docker compose --help", "help texts change"),
])
def test_what_compose_may_not_do_even_in_a_lab(line: str, message: str) -> None:
    with pytest.raises(Refused, match=message.replace("(", r"\(")):
        check_docker(shlex.split(line), LAB)


@pytest.mark.parametrize("line", ["docker compose version", "docker compose up -d", "docker compose ls",
                                  "docker compose -f shop.yaml down", "docker compose exec web true"])
def test_no_compose_on_the_shared_daemon(line: str) -> None:
    """The shared daemon is the machine's: a compose file there would get past every check of the options."""
    with pytest.raises(Refused, match="'docker compose' runs only in a lab: a compose file can ask for privileged"):
        check_docker(shlex.split(line), SHARED)


PLUGINS = """
[tool.docexec.cli_plugins]
path = "plugins/usr/libexec/docker/cli-plugins"

[tool.docexec.cli_plugins.debian]
suite = "sid"
into = "plugins"
packages = [{ name = "docker-compose", version = "2.40.3-3", sha256 = "%s" }]
"""


def test_the_plugins_are_pinned_once_and_given_to_every_engine(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.docexec]\n[[tool.docexec.engines]]\nname = "20.10"\n'
                                             '[[tool.docexec.engines]]\nname = "28.5"\nsnippets_dir = "s/28.5"\n'
                                             + PLUGINS % ("e" * 64))
    config = load_config(tmp_path)
    plugins = config.cli_plugins
    assert plugins is not None
    assert plugins.path == tmp_path / "plugins/usr/libexec/docker/cli-plugins" and plugins.into == tmp_path / "plugins"
    assert [(p.name, p.version) for p in plugins.packages] == [("docker-compose", "2.40.3-3")]
    assert [spec.cli_plugins for spec in config.engines] == [plugins.path, plugins.path]
    assert "fetch them: ./nox -s engines" in plugins.missing()


def test_a_bad_plugin_pin_is_named(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.docexec]\n" + PLUGINS % "not-a-sum")
    with pytest.raises(DocexecError, match=r'cli_plugins.debian.packages\]\] entry 1 sha256 = "not-a-sum": expected'):
        load_config(tmp_path)


def test_the_book_pins_compose(tmp_path: Path) -> None:
    plugins = load_config(ROOT).cli_plugins
    assert plugins is not None and [p.name for p in plugins.packages] == ["docker-compose"]


@pytest.mark.parametrize("present", [True, False])
def test_a_lab_gets_the_plugins_where_every_docker_cli_looks(tmp_path: Path, present: bool) -> None:
    folder = tmp_path / "cli-plugins"
    if present:
        folder.mkdir()
    (tmp_path / "state").mkdir()
    args = RootFs(LabSettings(cli_plugins=folder), [LabHost("h", "192.0.2.1")], tmp_path / "state").args("h", False)
    bound = [args[n + 1:n + 3] for n, arg in enumerate(args) if arg == "--ro-bind"]
    assert ([str(folder), CLI_PLUGINS_DIR] in bound) == present


def _compose_plugins() -> str:
    plugins = load_config(ROOT).cli_plugins
    if plugins is None or plugins.missing():
        (pytest.fail if in_ci() else pytest.skip)(f"the Compose plugin is not here: {plugins and plugins.missing()}")
    assert plugins is not None
    return f'\n[tool.docexec.cli_plugins]\npath = "{plugins.path}"\n'


PAGE = """\
# Compose

```yaml exec="file" id="compose-file" path="compose.yaml"
name: t
services:
  web:
    image: busybox
    pull_policy: never
    init: true
    command: sleep 1d
```

```console exec="docker" id="compose"
$ docker compose up -d
$ docker compose ps --format '{{.Name}} {{.Service}} {{.State}}'
$ docker compose exec web nslookup -type=a web
$ docker compose down
```
"""


@pytest.mark.docker
def test_in_a_lab_compose_runs(engine: Engine, make_project: MakeProject) -> None:
    if engine.mode != "lab":
        pytest.skip("labs cannot run here")
    config = make_project({"p.md": PAGE}, _compose_plugins())
    project = Project(config, mode="force", notify=lambda m: None)
    outcome = project.record(project.load_page("p.md"))
    assert outcome.stored is not None, outcome
    up, ps, lookup, down = outcome.stored.blocks["compose"]
    assert " Container t-web-1  Started" in up.output.splitlines()
    assert ps.output == "t-web-1 web running\n"
    assert "Address: 172.18.0.2" in lookup.output
    assert " Network t_default  Removed" in down.output.splitlines()
    assert engine.leftovers() == []


def test_on_the_shared_daemon_compose_is_refused_with_the_page_and_line(daemon, make_project: MakeProject) -> None:  # type: ignore[no-untyped-def]
    config = make_project({"p.md": PAGE}, _compose_plugins())
    project = Project(config, mode="force", notify=lambda m: None)
    with pytest.raises(DocexecError) as caught:
        project.record(project.load_page("p.md"))
    assert "docs/p.md:14: 'docker compose' runs only in a lab" in str(caught.value)
    assert daemon.client.containers.list(all=True, filters={"label": "com.docker.compose.project=t"}) == []


def test_a_page_with_compose_and_no_plugin_says_how_to_fetch_it(tmp_path: Path) -> None:
    """Rather than a drift of "'compose' is not a docker command" on every compose command, the page stops before
    its lab is made, like a lab that cannot start (a build keeps the recordings, CI fails)."""
    from docexec import parse_page
    from docexec.core.config import EngineSettings, EngineSpec
    from docexec.hosts.backends import LabBackend
    from docexec.lab import LabError

    spec = EngineSpec("20.10", cli_plugins=tmp_path / "missing")
    backend = LabBackend(parse_page("p.md", PAGE), EngineSettings.of(spec), [], tmp_path, notify=lambda m: None)
    with pytest.raises(LabError, match=r"p.md runs docker compose, but the Compose plugin is missing: .* engines\)"):
        backend.__enter__()
