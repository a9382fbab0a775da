"""What the engine adds to a page's docker commands, and what it lets them change.

Every container, network and volume a page creates carries a label with the run's id (how its objects are told
from others' on a shared daemon, and found again after a crash), and a container never pulls. On the shared daemon
a container also gets memory and process limits unless the page sets its own (they protect the machine; there
`docker inspect` shows them, unlike the book); in a lab it gets none, so its configuration is what the page wrote:
the lab's cgroup (lab/cgroups.py) limits the memory and processes of the whole lab. On a shared daemon a command
that stops, removes or enters an object must name one the page created (in a lab every container, network and
volume is the page's, among them the anonymous volumes Docker makes for its containers, which carry no label);
there a prune removes only objects with the run's label.
"""

from __future__ import annotations

from docexec.core.config import Settings
from docexec.hosts.daemon import LABEL, Daemon
from docexec.policy.check import UNKNOWN, DockerCall, Refused, iter_options
from docexec.policy.docker_grammar import resolve_verb
from docexec.policy.mounts import parse_mount
from docexec.policy.narrow_verbs import PRUNE_VERBS

OWNED_TARGETS = {  # verbs that change an object: the page must have created it
    "container stop": "container", "container kill": "container", "container rm": "container",
    "container restart": "container", "container pause": "container", "container unpause": "container",
    "container rename": "container", "container exec": "container", "container cp": "container",
    "network rm": "network", "volume rm": "volume", "container attach": "container",
}
INSPECT = ("inspect", "container inspect")  # what shows a container's limits (`docker stats` is refused)


class Tracking:
    """One run's labels and ownership checks (`run_id` names the run; `isolated`: it runs in a lab of its own)."""

    def __init__(self, run_id: str, settings: Settings, *, isolated: bool = False) -> None:
        self.run_id, self.settings, self.isolated = run_id, settings, isolated
        self.limited = False  # limits were added to a container of this run (on the shared daemon)

    def note(self, argvs: list[list[str]]) -> str:
        """A line for the output of a pipeline with these stages (prepared): on the shared daemon, once limits were
        added to a container of the run, `docker inspect` shows them, which the book and a reader's machine do
        not have."""
        if not self.limited or not any(argv[:1] == ["docker"] and resolve_verb(argv)[0] in INSPECT
                                       for argv in argvs):
            return ""
        return (f"[docexec: on the shared daemon the engine adds --memory {self.settings.memory_limit} --pids-limit "
                f"{self.settings.pids_limit} to containers that set no limits; in a lab, as on a reader's machine, "
                "they have none]\n")

    def _check_owned(self, daemon: Daemon, call: DockerCall) -> None:
        """A command that changes an object (or connects a container) must name one the run created."""
        kind = OWNED_TARGETS.get(call.verb)
        if kind:
            targets = list(call.positionals[:1]) if call.verb in ("container exec", "container rename") else \
                [p.split(":", 1)[0] for p in call.positionals if ":" in p] if call.verb == "container cp" else \
                list(call.positionals)
            for target in targets:
                if not daemon.owns(kind, target, self.run_id):
                    raise Refused(f"{kind} '{target}' was not created by this page: pages only change what they "
                                  "create")
        connects = call.verb in ("network connect", "network disconnect") and len(call.positionals) >= 2
        if connects and not daemon.owns("container", call.positionals[1], self.run_id):
            raise Refused(f"container '{call.positionals[1]}' was not created by this page")

    def prepare(self, daemon: Daemon, argv: list[str], call: DockerCall) -> list[str]:
        """Track what the command creates (a label the page does not show) and check what it changes."""
        if not self.isolated:  # in a lab everything is the page's
            self._check_owned(daemon, call)
        extra: list[str] = []
        if call.verb in ("container run", "container create"):
            options = iter_options(argv, call)
            flags = {flag for flag, _ in options}
            limits = [] if self.isolated else [  # in a lab none: the lab's cgroup limits the whole lab
                *(["--memory", self.settings.memory_limit] if "--memory" not in flags else []),
                *(["--pids-limit", str(self.settings.pids_limit)] if "--pids-limit" not in flags else [])]
            extra = ["--label", f"{LABEL}={self.run_id}", "--pull", "never", *limits]
            self.limited = self.limited or bool(limits)
            for name in _named_volumes(options):
                if not daemon.volume_exists(name):
                    daemon.create_volume(name, self.run_id)
        elif call.verb in ("network create", "volume create"):
            extra = ["--label", f"{LABEL}={self.run_id}"]
        elif call.verb in PRUNE_VERBS and not self.isolated:  # ANDed with the page's filter: only the run's
            extra = ["--filter", f"label={LABEL}={self.run_id}"]  # (in a lab all is the page's, unlabelled too)
        if not extra:
            return argv
        at = call.verb_index + 1
        return [*argv[:at], *extra, *argv[at:]]


def _named_volumes(options: list[tuple[str, str | None]]) -> list[str]:
    names = []
    for flag, value in options:
        mount = parse_mount(flag, value) if value and UNKNOWN not in value else None
        if mount is not None and mount.kind == "volume" and mount.source:
            names.append(mount.source)
    return names
