"""What a `docker compose` command reads of its compose file for the images it uses (policy.page_images): the file
(`-f`, else compose.yaml and the other default names in the project folder), the project name (`-p`, else the file's
`name:`, else the project folder's name, as docker compose normalizes it) and each service's `image:` and `build:`.
A service with `build:` makes its image, named by its `image:` or `<project>-<service>`; the others use theirs."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import yaml

from docexec.lab.settings import WORKDIR
from docexec.policy.docker_grammar import DockerCall, walk

# The subcommands that create containers, so need their services' images (`up` builds the missing built ones).
CREATING = ("compose up", "compose create", "compose run")
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass(frozen=True)
class Service:
    name: str
    image: str | None  # its `image:` (with `build:`, the name compose gives what it builds)
    line: int  # 0-based line in the file of its `image:` (else of its name)
    build: tuple[str, str | None] | None  # with `build:`: (context, dockerfile) relative to the project folder


@dataclass(frozen=True)
class ComposeCall:
    files: tuple[str, ...]  # the compose files it reads, relative to the working folder (empty: the default names)
    folder: str  # the project folder, relative to the working folder ("." for it)
    project: str | None  # -p, if given

    def paths(self, written: Callable[[str], bool]) -> list[str]:
        """The files it reads that the page wrote: those of -f, else the first default name there is."""
        if self.files:
            return [path for path in self.files if written(path)]
        defaults = [posixpath.normpath(posixpath.join(self.folder, name)) for name in DEFAULT_FILES]
        return next(([path] for path in defaults if written(path)), [])


def compose_call(argv: Sequence[str], call: DockerCall) -> ComposeCall | None:
    """The files and project of a command that creates containers (None: another subcommand, or an option whose value
    is known only at run time)."""
    if call.verb not in CREATING:
        return None
    options = [(long, value) for long, value, _ in walk(argv, "compose", 2)[0]]
    if any(value is None or "$" in value for _, value in options):
        return None
    files = tuple(posixpath.normpath(value) for long, value in options if long == "--file" and value)
    folders = [value for long, value in options if long == "--project-directory" and value]
    folder = posixpath.normpath(folders[-1]) if folders else posixpath.dirname(files[0]) if files else "."
    projects = [value for long, value in options if long == "--project-name"]
    return ComposeCall(files, folder or ".", projects[-1] if projects else None)


def project_name(given: str | None, text: str, folder: str) -> str:
    """The project name as docker compose makes it: -p, the file's `name:`, or the project folder's name; lowercase,
    only letters, digits, - and _."""
    name = given
    if name is None:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        named = data.get("name") if isinstance(data, dict) else None
        name = named if isinstance(named, str) else posixpath.basename(posixpath.normpath(posixpath.join(WORKDIR,
                                                                                                         folder)))
    return re.sub(r"[^-_a-z0-9]", "", name.lower()).lstrip("-_")


def services(text: str) -> list[Service]:
    """The services of a compose file (none when it is not YAML docker compose could read)."""
    try:
        data = yaml.safe_load(text)  # anchors and merge keys resolved
        root = yaml.compose(text, Loader=yaml.SafeLoader)  # the lines
    except yaml.YAMLError:
        return []
    entries = data.get("services") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        return []
    lines = _image_lines(root)
    found = []
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            continue
        image = entry.get("image")
        build = entry.get("build")
        if isinstance(build, str):
            built: tuple[str, str | None] | None = (build, None)
        elif isinstance(build, dict):
            context, dockerfile = build.get("context", "."), build.get("dockerfile")
            built = (str(context), dockerfile if isinstance(dockerfile, str) else None)
        else:
            built = None
        found.append(Service(str(name), image if isinstance(image, str) else None, lines.get(str(name), 0), built))
    return found


def _image_lines(root: yaml.Node | None) -> dict[str, int]:
    """Service name -> 0-based line of its `image:` value (or of its name, when the image comes from an anchor)."""
    lines: dict[str, int] = {}
    services = _value(root, "services")
    if isinstance(services, yaml.MappingNode):
        for key, entry in services.value:
            image = _value(entry, "image")
            lines[str(key.value)] = (image or key).start_mark.line
    return lines


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
