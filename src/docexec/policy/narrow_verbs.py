"""Verbs a page may use only in a narrow form, because their plain form reaches past the page's own objects.

- `docker container|network|volume prune` removes every unused object of its kind on the daemon: on the shared
  daemon the machine's, and in a reader's terminal the reader's own. A page may prune only with `-f` (there is
  no one to answer the prompt) and `--filter label=KEY[=VALUE]`, a label the page gives its objects with
  `--label`: pasted, the command then removes only objects that carry that label. Docker's own labels
  (`com.docker.…`, e.g. the one Engine 23+ gives every anonymous volume) mark objects the page did not label,
  so they do not count. Filters are ANDed, so more filters only narrow it; the engine adds one more, the run's
  own label (run.tracking), so that even on the shared daemon nothing of the machine's can match. In a lab every
  object is the page's (its own daemon, thrown away after the run), so there the prune needs only `-f`, and
  `docker image prune` and `docker system prune` run too (on the shared daemon they stay refused: images have no
  page's label) -- but not with `-a`/`--all`: that removes every image no container uses, the lesson images among
  them, and the page's later blocks would stop with 'No such image'.
- `docker service ...` needs swarm mode (`docker swarm init`), which only a lab's own daemon may enter: on the shared
  daemon it is refused. A service's tasks are containers the page does not name, which in a lab is fine.
- `docker build` runs the Dockerfile's RUN lines, any program, with the daemon's network: only in a lab (its
  own daemon, no uplink, thrown away), never on the shared daemon. The context is a folder of the page (`.` or a
  relative path, no URL, no `-`), the image is named with one plain `-t NAME[:TAG]` (no registry, not a lesson
  image's name), and only options that change nothing outside the build are taken.
- `docker tag SOURCE NAME` adds a name to an image: only in a lab (on the shared daemon the name would stay on the
  machine's daemon), and NAME is plain, as build's -t NAME is (a lesson image keeps its own name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from docexec.core.config import RunContext
from docexec.policy.refusal import UNKNOWN, Refused

PRUNE_VERBS = ("container prune", "network prune", "volume prune")
LAB_PRUNE_VERBS = ("image prune", "system prune")  # in a lab only, and never with -a (the lesson images)
SERVICE_VERBS = ("service create", "service ls", "service ps", "service inspect", "service logs", "service scale",
                 "service rm")
BUILD_OPTIONS = {"--tag", "--quiet", "--no-cache", "--file", "--label", "--rm", "--force-rm"}
LESSON_IMAGES = {"busybox"}
_TAG = re.compile(r"[a-z0-9][a-z0-9._-]*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?")
_LABEL_FILTER = re.compile(r"label=(?P<key>[^=!]+)(=.*)?")


def check_prune(verb: str, options: Sequence[tuple[str, str | None]], context: RunContext) -> None:
    """In a lab: refused unless forced (-f), and for images without -a. On the shared daemon: refused unless
    forced and narrowed to a label the page sets, and image and system prune refused."""
    if context.isolated:
        if verb in LAB_PRUNE_VERBS and any(flag == "--all" for flag, _ in options):
            raise Refused(f"'docker {verb} -a' removes every image no container uses, the lesson images among them "
                          f"({', '.join(sorted(LESSON_IMAGES))}): the page's later blocks would stop with 'No such "
                          f"image' (and a reader's own images would go): write docker {verb} -f, which removes "
                          "only dangling images")
        if not any(flag == "--force" for flag, _ in options):
            raise Refused(f"'docker {verb}' without -f asks for confirmation, and a page cannot answer: write "
                          f"docker {verb} -f")
        return
    if verb in LAB_PRUNE_VERBS:
        raise Refused(f"'docker {verb}' runs only in a lab: on the shared daemon it removes objects the page did "
                      "not create (images carry no page's label); preview the page where labs run")
    example = f"docker {verb} -f --filter label=lesson=NAME"
    how = (f"write it as `{example}`, with a label the page gives its own objects (--label lesson=NAME), so that "
           "a pasted command removes only those")
    labels = [value for flag, value in options if flag == "--filter" and value is not None]
    if not any(value == UNKNOWN or _labelled(value) for value in labels):
        raise Refused(f"'docker {verb}' removes every unused object of its kind, on a shared daemon the machine's "
                      f"and in a reader's terminal the reader's: {how}")
    if not any(flag == "--force" for flag, _ in options):
        raise Refused(f"'docker {verb}' without -f asks for confirmation, and a page cannot answer: {how}")


def check_service(verb: str, options: Sequence[tuple[str, str | None]], context: RunContext) -> None:
    """Refused on the shared daemon: services need swarm mode, which only a lab's own daemon may enter. create and
    scale wait for the tasks and print a countdown that differs from run to run, unless -q (or -d) is given."""
    if not context.isolated:
        raise Refused(f"'docker {verb}' runs only in a lab: services need swarm mode (docker swarm init), which "
                      "changes the whole daemon, and the shared daemon is this machine's; preview the page where "
                      "labs run")
    if verb in ("service create", "service scale") and not {"--quiet", "--detach"} & {f for f, _ in options}:
        how = "-q (it still waits, and prints only the service's ID)" if verb == "service create" else \
            "-d (it returns at once: the tasks may still be starting)"
        raise Refused(f"'docker {verb}' waits for the tasks and prints a progress countdown that differs from run "
                      f"to run: write docker {verb} {how}")


def _labelled(value: str) -> bool:
    match = _LABEL_FILTER.fullmatch(value)
    return match is not None and not match.group("key").startswith("com.docker.")


def check_build(options: Sequence[tuple[str, str | None]], positionals: Sequence[str], context: RunContext) -> None:
    """Refused unless it builds a folder of the page, in a lab, into one plainly named image."""
    if not context.isolated:
        raise Refused("'docker build' runs only in a lab: a Dockerfile's RUN lines run any program with the "
                      "daemon's network, and on the shared daemon that is the machine's (preview the page where "
                      "labs run)")
    for flag, value in options:
        if flag not in BUILD_OPTIONS:
            raise Refused(f"'docker build {flag}' is refused: a page builds with only "
                          f"{', '.join(sorted(BUILD_OPTIONS))}")
        if flag == "--file" and value is not None and _outside(value):
            raise Refused(f"docker build -f {value}: the Dockerfile must be a file of the page (a relative path)")
    tags = [value for flag, value in options if flag == "--tag"]
    if len(tags) != 1:
        raise Refused("docker build needs exactly one -t NAME: the page runs the image by that name")
    tag = tags[0]
    if tag is not None and tag != UNKNOWN and (not _TAG.fullmatch(tag) or tag.partition(":")[0] in LESSON_IMAGES):
        raise Refused(f"docker build -t {tag}: name the image with lowercase letters, digits, '.', '_' and '-' (no "
                      f"registry, no '/'), and not after a lesson image ({', '.join(sorted(LESSON_IMAGES))})")
    if len(positionals) != 1 or (positionals[0] != UNKNOWN and _outside(positionals[0])):
        raise Refused("docker build takes one context, a folder of the page: `.` or a relative path (no URL, "
                      "no '-', no '..')")


def check_tag(positionals: Sequence[str], context: RunContext) -> None:
    """Refused unless it names an image of the lab with one more plain name."""
    if not context.isolated:
        raise Refused("'docker tag' runs only in a lab: on the shared daemon the new name would stay on this "
                      "machine's images, which other pages share (preview the page where labs run)")
    if len(positionals) != 2:
        raise Refused("docker tag takes two names: SOURCE and the new NAME")
    name = positionals[1]
    if name != UNKNOWN and (not _TAG.fullmatch(name) or name.partition(":")[0] in LESSON_IMAGES):
        raise Refused(f"docker tag ... {name}: name the image with lowercase letters, digits, '.', '_' and '-' (no "
                      f"registry, no '/'), and not after a lesson image ({', '.join(sorted(LESSON_IMAGES))})")


def _outside(path: str) -> bool:
    if path == "-" or "://" in path or path.startswith("git@"):
        return True
    pure = PurePosixPath(path)
    return pure.is_absolute() or ".." in pure.parts
