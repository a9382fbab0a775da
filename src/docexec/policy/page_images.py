"""Which images a page can use, checked before anything runs: the engine runs every container with `--pull never`
(lessons never contact a registry), so an image that is not in the lab stops the command with `No such image`.

A page can use the lesson images (the book's images/ folder, loaded into every daemon of its lab) and the images
that earlier commands of the page make on the same host: `docker build -t NAME` and `docker tag SOURCE NAME`. Read
in page order, so an image used before the block that builds it is refused too. The images are looked for where a
command names one: `docker run`, `docker create`, `docker pull`, `docker service create`, the FROM lines of a
Dockerfile that an exec="file" block of the page writes and `docker build` reads, and the `image:` of every service
of a compose file the page writes and `docker compose up/create/run` reads (policy.compose_file; a service with
`build:` makes its image). Names compare as Docker does: `busybox` is `busybox:latest`, `docker.io/library/busybox`
is `busybox`.

An image made in a block limited to some engines (engines="28.5") is there on those engines only: a later block that
runs on another engine too is refused, as docker would stop there with `No such image`.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from docexec.core.errors import PageError
from docexec.page.model import Block, Page
from docexec.page.shellwords import ShellCommand
from docexec.policy.check import static_text
from docexec.policy.compose_file import ComposeCall, compose_call, project_name, services
from docexec.policy.docker_grammar import iter_options, resolve_verb, split_call
from docexec.policy.narrow_verbs import LESSON_IMAGES  # the book's own, refused by the command's check
from docexec.policy.refusal import UNKNOWN, Refused

# Verbs whose first positional names the image they use (`docker pull`, refused whatever it names, is read apart).
IMAGE_VERBS = ("container run", "container create", "service create")
_WEB = "a web server: `busybox httpd -f -p 80 -h /var/www` (serves the folder; put an index.html in it)"
_LONG = "a container that keeps running: `busybox sleep 1d`"
_SHELL = "a shell: `busybox sh` (ash, with the usual tools: wget, nc, ping, ip, nslookup, httpd)"
_WEB_SERVERS = ("nginx", "httpd", "apache", "caddy", "traefik", "tomcat", "lighttpd", "haproxy")


def normalize(ref: str) -> str:
    """An image reference as Docker reads it: without the default registry and namespace, with its tag."""
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        ref = ref.removeprefix(prefix)
    ref = ref.removeprefix("library/")
    name = ref.rpartition("/")[2]
    return ref if ":" in name or "@" in name else f"{ref}:latest"


def _shown(ref: str) -> str:
    return ref.removesuffix(":latest")


def stand_in(ref: str) -> str:
    """What to write instead of an image the lab does not have."""
    repo = _shown(ref).rpartition("/")[2].partition(":")[0].partition("@")[0]
    order = [_WEB, _LONG, _SHELL] if any(repo.startswith(web) for web in _WEB_SERVERS) else [_LONG, _SHELL, _WEB]
    return "BusyBox stands in for most: " + "; ".join(order)


class PageImages:
    """Walks a page's commands in order and reports every image reference the lab will not have."""

    def __init__(self, page: Page, lesson: Iterable[str], engines: Iterable[str] = ()) -> None:
        self.page = page
        self.lesson = {normalize(tag): "lesson image" for tag in lesson}
        # The engines a block may run on: the page's, else the book's (unknown: those the blocks name, and others).
        self.engines = frozenset(page.engines or engines or {"*", *(e for b in page.blocks for e in b.engines or ())})
        self.runs = self.engines  # those of the block being read
        self.made: dict[str, dict[str, str]] = defaultdict(dict)  # host -> image the page made there -> how, where
        self.made_on: dict[tuple[str, str], frozenset[str]] = defaultdict(frozenset)  # (host, image) -> engines
        self.files: dict[tuple[str, str], tuple[Block, str]] = {}  # (host, path) -> the file block writing it
        self.errors: list[PageError] = []
        self.missing: list[tuple[str, str, frozenset[str], int]] = []  # (host, image, engines, index in errors)

    def check(self) -> list[PageError]:
        for block, command in self.page.commands:
            host = block.host or self.page.hosts[0]
            self.runs = self.engines if block.engines is None else self.engines & set(block.engines)
            if command.shell is None:
                if block.path:
                    self.files[host, posixpath.normpath(block.path)] = (block, block.text)
                continue
            for argv in _argvs(command.shell):
                if argv and argv[0] == "docker":
                    self._docker(argv, host, command.line)
        return self.errors

    def _there(self, host: str, image: str) -> bool:
        return image in self.lesson or (image in self.made[host] and self.runs <= self.made_on[host, image])

    def _use(self, ref: str, host: str, line: int, what: str) -> None:
        if UNKNOWN in ref or "$" in ref:
            return  # known only at run time
        available = {**self.lesson, **{i: how for i, how in self.made[host].items() if self._there(host, i)}}
        listed = ", ".join(f"{_shown(name)} ({where})" for name, where in sorted(available.items()))
        image = normalize(ref)
        if "@" in ref:
            self.errors.append(PageError(self.page.where, line, (
                f"{what} '{ref}': an image named by digest comes from a registry, and the lab has none; lesson "
                f"images are built here and have no registry digest: name it by tag ({listed})")))
        elif image in self.made[host] and not self._there(host, image):
            made_on = self.made_on[host, image]
            self.errors.append(PageError(self.page.where, line, f"{what} '{ref}': " + _elsewhere(
                image, self.made[host][image], sorted(made_on), sorted(self.runs - made_on))))
        elif image not in available:
            self.missing.append((host, image, self.runs, len(self.errors)))
            self.errors.append(PageError(self.page.where, line, f"{what} '{ref}': " + _no_such(ref, listed)))

    def _make(self, name: str, host: str, line: int, how: str) -> None:
        if UNKNOWN in name or "$" in name:
            return
        image = normalize(name)
        repo = image.rpartition(":")[0]
        if repo not in LESSON_IMAGES and any(lesson.rpartition(":")[0] == repo for lesson in self.lesson):
            self.errors.append(PageError(self.page.where, line, (
                f"'{name}' is the name of a lesson image (images/): the page would replace it in its lab, and a "
                "reader's copy of it on their machine; give the image a name of its own")))
            return
        self.made[host][image] = f"{how} at line {line}"
        self.made_on[host, image] |= self.runs
        for missed in [m for m in self.missing if m[:2] == (host, image) and m[2] <= self.made_on[host, image]]:
            self.missing.remove(missed)
            error = self.errors[missed[3]]  # used before the page makes it: say so first
            self.errors[missed[3]] = PageError(error.page, error.line, f"'{_shown(image)}' is {how} only at line "
                                               f"{line}, after this command: move this command below it. "
                                               f"{error.message}")

    def _docker(self, argv: Sequence[str], host: str, line: int) -> None:
        try:
            verb, i = resolve_verb(argv)
            if verb == "image pull":  # refused (no registry), and pull takes one NAME, last: say what there is
                if len(argv) > i + 1 and not argv[-1].startswith("-"):
                    self._use(argv[-1], host, line, "docker pull")
                return
            call = split_call(argv, verb, i)
            compose = compose_call(argv, call)
        except Refused:
            return  # the command's own check says why
        if call.verb in IMAGE_VERBS and call.positionals:
            self._use(call.positionals[0], host, line, f"docker {call.verb.split()[-1]}")
        elif call.verb == "image tag" and len(call.positionals) == 2:
            self._use(call.positionals[0], host, line, "docker tag")
            self._make(call.positionals[1], host, line, "tagged")
        elif call.verb == "image build" and len(call.positionals) == 1:
            options = iter_options(argv, call)
            self._dockerfile(call.positionals[0], [v for f, v in options if f == "--file"], host)
            for flag, value in options:
                if flag == "--tag" and value is not None:
                    self._make(value, host, line, "built")
        elif compose is not None:
            self._compose(compose, host, line)

    def _compose(self, compose: ComposeCall, host: str, line: int) -> None:
        """The images of the services of the compose files a `docker compose up/create/run` reads, if the page
        wrote them: used at their `image:` line, or made by docker compose (`build:`)."""
        written = [(path, *self.files[host, path]) for path in compose.paths(lambda p: (host, p) in self.files)]
        chosen = {service.name: (path, block, service) for path, block, text in written for service in services(text)}
        project = project_name(compose.project, written[0][2] if written else "", compose.folder)
        for path, block, service in chosen.values():
            if service.build is not None:
                context = posixpath.join(compose.folder, service.build[0])
                dockerfile = service.build[1]
                self._dockerfile(context, [posixpath.join(context, dockerfile)] if dockerfile else [], host)
                self._make(service.image or f"{project}-{service.name}", host, line, "built by docker compose")
            elif service.image is not None:
                self._use(service.image, host, block.line + 1 + service.line, f"{path}, service '{service.name}': "
                                                                               "image")

    def _dockerfile(self, context: str, files: list[str | None], host: str) -> None:
        """The FROM lines of the Dockerfile a build reads, if a file block of the page wrote it."""
        path = files[-1] if files else posixpath.join(context, "Dockerfile")
        if path is None or UNKNOWN in path or UNKNOWN in context:
            return
        found = self.files.get((host, posixpath.normpath(path)))
        if found is None:
            return
        block, text = found
        for offset, image in _from_images(text):
            self._use(image, host, block.line + 1 + offset, "FROM")


def _no_such(ref: str, listed: str) -> str:
    return (f"no such image in the lab (the engine runs with --pull never: docker would stop with 'No such image: "
            f"{normalize(ref)}'). Images this page can use here: {listed}; add one to images/ or build it earlier in "
            f"the page (docker build -t NAME). {stand_in(ref)}")


def _elsewhere(image: str, how: str, made_on: list[str], others: list[str]) -> str:
    """An image the page made in a block limited to some engines, used where it runs on others too."""
    return (f"'{_shown(image)}' is {how} in a block that runs only on {', '.join(made_on) or 'no engine of the page'}, "
            f"and this command runs on {', '.join(others)} too, where docker would stop with 'No such image: "
            f"{image}': limit this block to the same engines (engines=\"{' '.join(made_on)}\") or make the image in "
            "a block that runs on these engines too")


def _from_images(text: str) -> Iterator[tuple[int, str]]:
    """(index of its line, image) of each FROM of a Dockerfile that names an image (not scratch, not a stage)."""
    stages: set[str] = set()
    for offset, words in _from_lines(text):
        image = next((w for w in words if not w.startswith("--")), "")
        rest = words[words.index(image) + 1:] if image else []
        if image and image != "scratch" and image.lower() not in stages:
            yield offset, image
        if len(rest) >= 2 and rest[0].lower() == "as":
            stages.add(rest[1].lower())


def _from_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """(index of its first line, its words after FROM) of each FROM instruction; continuations joined."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, joined = i, lines[i]
        while joined.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            joined = joined.rstrip()[:-1] + " " + lines[i]
        words = joined.split()
        if words and words[0].upper() == "FROM":
            yield start, words[1:]
        i += 1


def _argvs(command: ShellCommand) -> Iterator[list[str]]:
    """The words of each stage of the command (an assignment's value has none), then of each `$(...)` in it."""
    if not command.assign:
        for stage in command.stages:
            yield [static_text(w) for w in stage]
    for word in command.words():
        for subst in word.substitutions():
            yield from _argvs(subst.command)


def image_refusals(page: Page, lesson: Iterable[str], engines: Iterable[str] = ()) -> list[PageError]:
    """Every image reference of the page that its lab will not have, with its line, what it can use instead
    (`engines`: the book's, on which a block not limited to some runs)."""
    return PageImages(page, lesson, engines).check()
