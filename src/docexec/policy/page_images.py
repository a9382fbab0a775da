"""Which images a page can use, checked before anything runs: the engine runs every container with `--pull never`
(lessons never contact a registry), so an image that is not in the lab stops the command with `No such image`.

A page can use the lesson images (the book's images/ folder, loaded into every daemon of its lab) and the images
that earlier commands of the page make on the same host: `docker build -t NAME` and `docker tag SOURCE NAME`. Read
in page order, so an image used before the block that builds it is refused too. The images are looked for where a
command names one: `docker run`, `docker create`, `docker pull`, `docker service create`, and the FROM lines of a
Dockerfile that an exec="file" block of the page writes and `docker build` reads. Compose files are not read.
Names compare as Docker does: `busybox` is `busybox:latest`, `docker.io/library/busybox` is `busybox`.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from docexec.core.errors import PageError
from docexec.page.model import Block, Page
from docexec.page.shellwords import ShellCommand
from docexec.policy.check import static_text
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

    def __init__(self, page: Page, lesson: Iterable[str]) -> None:
        self.page = page
        self.lesson = {normalize(tag): "lesson image" for tag in lesson}
        self.made: dict[str, dict[str, str]] = defaultdict(dict)  # host -> image the page made there -> how, where
        self.files: dict[tuple[str, str], tuple[Block, str]] = {}  # (host, path) -> the file block writing it
        self.errors: list[PageError] = []
        self.missing: list[tuple[str, str, int]] = []  # (host, image, index in errors) of each image not there

    def check(self) -> list[PageError]:
        for block, command in self.page.commands:
            host = block.host or self.page.hosts[0]
            if command.shell is None:
                if block.path:
                    self.files[host, posixpath.normpath(block.path)] = (block, block.text)
                continue
            for argv in _argvs(command.shell):
                if argv and argv[0] == "docker":
                    self._docker(argv, host, command.line)
        return self.errors

    def _available(self, host: str) -> dict[str, str]:
        return {**self.lesson, **self.made[host]}

    def _use(self, ref: str, host: str, line: int, what: str) -> None:
        if UNKNOWN in ref or "$" in ref:
            return  # known only at run time
        available = self._available(host)
        listed = ", ".join(f"{_shown(name)} ({where})" for name, where in sorted(available.items()))
        if "@" in ref:
            self.errors.append(PageError(self.page.where, line, (
                f"{what} '{ref}': an image named by digest comes from a registry, and the lab has none; lesson "
                f"images are built here and have no registry digest: name it by tag ({listed})")))
            return
        if normalize(ref) in available:
            return
        self.missing.append((host, normalize(ref), len(self.errors)))
        self.errors.append(PageError(self.page.where, line, (
            f"{what} '{ref}': no such image in the lab (the engine runs with --pull never: docker would stop with "
            f"'No such image: {normalize(ref)}'). Images this page can use here: {listed}; add one to images/ or "
            f"build it earlier in the page (docker build -t NAME). {stand_in(ref)}")))

    def _make(self, name: str, host: str, line: int, how: str) -> None:
        if UNKNOWN in name or "$" in name:
            return
        repo = normalize(name).rpartition(":")[0]
        if repo not in LESSON_IMAGES and any(lesson.rpartition(":")[0] == repo for lesson in self.lesson):
            self.errors.append(PageError(self.page.where, line, (
                f"'{name}' is the name of a lesson image (images/): the page would replace it in its lab, and a "
                "reader's copy of it on their machine; give the image a name of its own")))
            return
        self.made[host][normalize(name)] = f"{how} at line {line}"
        for missed in [m for m in self.missing if m[:2] == (host, normalize(name))]:
            self.missing.remove(missed)
            error = self.errors[missed[2]]  # used before the page makes it: say so first
            self.errors[missed[2]] = PageError(error.page, error.line, f"'{_shown(normalize(name))}' is {how} only "
                                               f"at line {line}, after this command: move this command below it. "
                                               f"{error.message}")

    def _docker(self, argv: Sequence[str], host: str, line: int) -> None:
        try:
            verb, i = resolve_verb(argv)
            if verb == "image pull":  # refused (no registry), and pull takes one NAME, last: say what there is
                if len(argv) > i + 1 and not argv[-1].startswith("-"):
                    self._use(argv[-1], host, line, "docker pull")
                return
            call = split_call(argv, verb, i)
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

    def _dockerfile(self, context: str, files: list[str | None], host: str) -> None:
        """The FROM lines of the Dockerfile a build reads, if a file block of the page wrote it."""
        path = files[-1] if files else posixpath.join(context, "Dockerfile")
        if path is None or UNKNOWN in path or UNKNOWN in context:
            return
        found = self.files.get((host, posixpath.normpath(path)))
        if found is None:
            return
        block, text = found
        stages: set[str] = set()
        for offset, words in _from_lines(text):
            image = next((w for w in words if not w.startswith("--")), "")
            rest = words[words.index(image) + 1:] if image else []
            if image and image != "scratch" and image.lower() not in stages:
                self._use(image, host, block.line + 1 + offset, "FROM")
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


def image_refusals(page: Page, lesson: Iterable[str]) -> list[PageError]:
    """Every image reference of the page that its lab will not have, with its line, what it can use instead."""
    return PageImages(page, lesson).check()
