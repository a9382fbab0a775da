"""The lint rules for docker commands: which verbs and options are refused and why (they reach past the
container, need a terminal, contact a registry, change what other pages share, or differ between the two CLIs),
and which values are (bind mounts of the machine, host namespaces, files outside the page)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import PurePosixPath

from docexec.core.config import RunContext
from docexec.policy.docker_flags import NEW_CLI, OLD_CLI, OPTIONS
from docexec.policy.docker_grammar import (
    HELP_REFUSED,
    SHORTS_OF_NEW,
    SHORTS_OF_OLD,
    DockerCall,
    resolve_verb,
    split_call,
    walk,
)
from docexec.policy.mounts import parse_mount
from docexec.policy.narrow_verbs import (
    LAB_PRUNE_VERBS,
    PRUNE_VERBS,
    SERVICE_VERBS,
    check_build,
    check_prune,
    check_service,
    check_tag,
)
from docexec.policy.refusal import UNKNOWN, Collect, Refused

_TERMINAL = ("needs a terminal, which only a terminal session block has (exec=\"session\", with the lines typed "
             "into it as `> ` lines); elsewhere, start the container with -d and run commands in it with "
             "`docker exec NAME COMMAND`")
_DEVICE = "it gives the container a host device"
# Options refused whatever their value: they reach past the container (devices, the kernel, the Docker socket),
# need a terminal, depend on the machine, or print what differs between CLI versions.
REFUSED_OPTIONS = {
    "--privileged": "it gives the container the whole host: every device and capability of the machine",
    "--cap-add": "it widens what the container may do to the machine",
    "--device": _DEVICE, "--device-cgroup-rule": _DEVICE, "--gpus": _DEVICE,
    "--device-read-bps": _DEVICE, "--device-read-iops": _DEVICE, "--device-write-bps": _DEVICE,
    "--device-write-iops": _DEVICE, "--blkio-weight-device": _DEVICE,
    "--cgroup-parent": "it places the container in cgroups outside Docker's own",
    "--runtime": "another container runtime makes outputs depend on the machine",
    "--storage-opt": "storage driver options depend on the machine",
    "--volume-driver": "volume plugins are not installed in labs",
    "--use-api-socket": "it gives the container the Docker socket, and with it the whole host",
    "--detach-keys": "the lessons teach Docker's own detach keys, Ctrl+P Ctrl+Q",
    "--help": HELP_REFUSED,
    "--kubeconfig": "Kubernetes is not part of these lessons",
    "--checkpoint": "checkpoints are experimental", "--checkpoint-dir": "checkpoints are experimental",
    "--isolation": "isolation modes exist only on Windows",
    "--platform": "another platform's image would have to be pulled",
    "--disable-content-trust": "content trust concerns registries, which lessons never contact",
    "--follow": "it never ends, and a page's command must (show what was logged so far, without -f)",
}
REFUSED_VERBS = {
    "image pull": "it needs a registry, and lessons never contact the internet",
    "image push": "it needs a registry, and lessons never contact the internet",
    "login": "it needs a registry, and lessons never contact the internet",
    "logout": "it needs a registry, and lessons never contact the internet",
    "search": "it needs a registry, and lessons never contact the internet",
    "container commit": "pages must not change the images that other pages share",
    "image rm": "pages must not change the images that other pages share",
    "image save": "it writes a tar archive; pages must not change the images other pages share",
    "image load": "pages must not change the images that other pages share",
    "image import": "pages must not change the images that other pages share",
    "container export": "it writes a tar archive of a container; use docker cp for single files",
    "container update": "not needed by the lessons",
    "container stats": "its output changes every second",
    "compose build": "lesson images are built by the engine from images/ (add a folder there)",
    "compose pull": "it needs a registry, and lessons never contact the internet",
    "compose push": "it needs a registry, and lessons never contact the internet",
    "compose publish": "it needs a registry, and lessons never contact the internet",
    "compose watch": "it never ends, and a page's command must",
    "compose attach": "it needs a terminal: use docker compose exec SERVICE COMMAND",
}
_REGISTRY = "it needs a registry, and lessons never contact the internet"
# Options of docker compose refused whatever their value (docker compose's own options are checked like the
# subcommand's; --privileged, --cap-add, --pull and the others above hold for compose too).
COMPOSE_REFUSED_OPTIONS = {
    "--build": "lesson images are built by the engine from images/ (add a folder there)",
    "--quiet-build": "lesson images are built by the engine from images/ (add a folder there)",
    "--rmi": "pages must not change the images that other pages share",
    "--resolve-image-digests": _REGISTRY, "--lock-image-digests": _REGISTRY,
    "--watch": "it never ends, and a page's command must",
    "--menu": "it needs a terminal",
    "--output": "it writes a file: show the output instead",
}
# A compose file says what its containers get: --privileged, host bind mounts, network_mode: host, devices, the
# Docker socket. None of that goes through the options checked here, so on a daemon that is not the page's own
# (the shared daemon, which is the machine's) docker compose does not run at all.
COMPOSE_SHARED = ("'docker compose' runs only in a lab: a compose file can ask for privileged containers, bind "
                  "mounts of any host folder, host networking and devices, which no option check sees, and the "
                  "shared daemon is this machine's own; preview and record this page where labs run")


def parse_docker(argv: Sequence[str]) -> DockerCall:
    """Split a docker command line into its verb, options and positional arguments (see docker_grammar); a
    refused verb is refused with the reason."""
    verb, i = resolve_verb(argv)
    if verb in REFUSED_VERBS:
        raise Refused(f"'docker {verb}' is refused: {REFUSED_VERBS[verb]}")
    return split_call(argv, verb, i)


def check_docker(argv: Sequence[str], context: RunContext, *, terminal: bool = False) -> DockerCall:
    """`terminal`: the command runs in a terminal session (exec="session"), where -i, -t and `docker attach` have
    a terminal to use."""
    call = parse_docker(argv)
    verb = call.verb
    if verb == "container attach" and not terminal:
        raise Refused(f"'docker attach' {_TERMINAL}")
    options = [(verb, option) for option in walk(argv, verb, call.verb_index + 1)[0]]
    collect = Collect()  # every refused option and value of the command, not only the first
    if verb.startswith("compose "):
        options = [("compose", option) for option in walk(argv, "compose", 2)[0]] + options
        collect.run(partial(_check_compose, call, [option for _, option in options], context))
    for table, option in options:
        collect.run(partial(_check_option, table, option, verb, context, terminal=terminal))
    if verb == "container cp":
        collect.run(partial(_check_cp, call.positionals, context))
    plain = [(flag, value) for _, (flag, value, _) in options]
    if verb in PRUNE_VERBS or verb in LAB_PRUNE_VERBS:
        collect.run(partial(check_prune, verb, plain, context))
    if verb in SERVICE_VERBS:
        collect.run(partial(check_service, verb, plain, context))
    if verb == "image build":
        collect.run(partial(check_build, plain, call.positionals, context))
    if verb == "image tag":
        collect.run(partial(check_tag, call.positionals, context))
    collect.done()
    return call


def _check_option(table: str, option: tuple[str, str | None, str], verb: str, context: RunContext, *,
                  terminal: bool) -> None:
    """One option of the command (as the walk read it: long name, value, spelling) in the table of `table`."""
    flag, value, spelled = option
    short, _, since = OPTIONS[table][flag]
    if spelled == short and short in SHORTS_OF_OLD.get(table, ()) and short in SHORTS_OF_NEW.get(table, ()):
        since = "20.10"  # a short option both CLIs have (-t of docker stop: --time there, --timeout here)
    if since == "28" and not _new_flag_shown(context):
        hint = f": write {short}, which both have" if short and short in SHORTS_OF_OLD.get(table, ()) else \
            ", or limit the block to engines whose CLI has it (engines=\"...\")"
        raise Refused(f"'{flag}' exists only in docker CLI 28 and later; Debian's docker.io (CLI 20.10) stops "
                      f"with 'unknown flag'{hint}")
    if since == "20.10-only":
        hint = f": write {short}" if short else ""
        raise Refused(f"'{flag}' is deprecated: newer docker CLIs print a warning{hint}")
    if flag in ("--tty", "--interactive"):
        if terminal and verb in ("container run", "container exec"):
            return
        if terminal:
            raise Refused(f"'{flag}' of 'docker {verb}': in a terminal session, use docker run -it, "
                          "docker exec -it or docker attach")
        raise Refused(f"'{flag}' {_TERMINAL}")
    reason = REFUSED_OPTIONS.get(flag)
    if reason:
        raise Refused(f"'{flag}' is refused: {reason}", match=f"{flag} {value}" if value is not None else flag)
    if flag == "--pull" and value != "never":
        raise Refused("--pull would contact a registry: lesson images are built from this repository")
    danger = _dangerous(flag, value, context)
    if danger:
        raise Refused(danger, match=f"{flag} {value}" if value is not None else flag)


def _check_compose(call: DockerCall, options: Sequence[tuple[str, str | None, str]], context: RunContext) -> None:
    """docker compose: only in a lab; its own refused options; `up` detached, since attached it never ends."""
    if not context.isolated:
        raise Refused(COMPOSE_SHARED)
    for flag, _, _ in options:
        if flag in COMPOSE_REFUSED_OPTIONS:
            raise Refused(f"'{flag}' of 'docker {call.verb}' is refused: {COMPOSE_REFUSED_OPTIONS[flag]}")
    if call.verb == "compose up" and not {"--detach", "--wait"} & {flag for flag, _, _ in options}:
        raise Refused("'docker compose up' without -d stays attached to the containers' output and never ends: "
                      "write docker compose up -d")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split(".")) if text else ()


def _new_flag_shown(context: RunContext) -> bool:
    """Whether a block may use an option only CLI 28 has (docker_flags: CLI NEW_CLI has it, OLD_CLI has not):
    only a block limited to engines (context.clis) whose every CLI has it, or whose every CLI is that older one
    and stops with 'unknown flag' on purpose (exit code 125, the CLI's for a bad command line). Fail closed: an
    engine whose CLI version is not said (''), or any other version, has it refused."""
    if not context.clis or "" in context.clis:
        return False
    if all(_version(v) >= _version(NEW_CLI) for v in context.clis):
        return True
    return context.returncode == 125 and all(_version(v)[:2] == _version(OLD_CLI)[:2] for v in context.clis)


def _dangerous(flag: str, value: str | None, context: RunContext) -> str | None:
    """Refusals that depend on an option's value (its long name; UNKNOWN parts are checked again at run time)."""
    if value is None or value == UNKNOWN:
        return None
    if flag in ("--pid", "--ipc", "--userns", "--uts", "--cgroupns") and value == "host":
        return f"{flag}=host shares the machine's {flag[2:]} namespace with the container"
    if flag == "--security-opt" and not value.startswith("no-new-privileges"):
        return f"--security-opt {value} weakens the container's confinement"
    mount = parse_mount(flag, value)
    if mount is not None:
        if any(k.startswith("volume-opt") for k in mount.fields) or "volume-driver" in mount.fields:
            return "--mount with volume-opt/volume-driver can mount any folder of the machine as a volume"
        return _bind_source(mount.source, context) if mount.kind == "bind" and mount.source else None
    if flag == "--opt" and (value.startswith("device=") or "bind" in value):
        return f"--opt {value}: volume options can mount any folder of the machine"
    if flag == "--log-driver" and value not in ("json-file", "local", "none"):
        return f"--log-driver {value} would send the container's output elsewhere: use json-file or local"
    if flag == "--log-opt" and value.partition("=")[0] not in ("max-size", "max-file", "compress", "mode",
                                                                 "max-buffer-size", "labels", "env", "tag"):
        return f"--log-opt {value}: only max-size, max-file, compress, mode, max-buffer-size, labels, env, tag"
    if flag in ("--env-file", "--label-file", "--cidfile"):
        return _page_file(flag, value, context)
    return None


def _page_file(flag: str, value: str, context: RunContext) -> str | None:
    if UNKNOWN in value:
        return None
    path = PurePosixPath(value)
    outside = path.is_absolute() and PurePosixPath(context.workdir) not in path.parents and not context.isolated
    if ".." in path.parts or outside:
        return f"{flag} {value}: files of the page must be below its working directory (use a relative path)"
    return None


def _bind_source(source: str, context: RunContext) -> str | None:
    if source == UNKNOWN or UNKNOWN in source:
        return None  # checked again with the real value
    path = PurePosixPath(source)
    if not path.is_absolute():
        return None  # docker itself refuses relative -v sources; --mount resolves them against the cwd
    if ".." in path.parts:
        return f"bind mount source {source}: '..' is not allowed"
    if path.parts[1:2] and path.parts[1] in ("proc", "sys", "dev"):
        return f"bind mount of {source}: /proc, /sys and /dev are the kernel's, not files of a host"
    if context.isolated or path == PurePosixPath(context.workdir) or PurePosixPath(context.workdir) in path.parents:
        return None  # in a lab, every folder is the lab's own
    return (f"bind mount of {source}: on the shared daemon pages may only bind-mount folders below their working "
            "directory (write \"$PWD\"/NAME); in a lab any folder of the lab")


def _check_cp(positionals: Sequence[str], context: RunContext) -> None:
    if len(positionals) != 2:
        return
    for arg in positionals:
        if arg == "-":
            raise Refused("docker cp with '-' streams a tar archive: copy to a file and show it with cat")
        if ":" not in arg and arg != UNKNOWN and arg.startswith("/"):
            refusal = _bind_source(arg, context)
            if refusal:
                raise Refused("docker cp: host paths must be relative, or below the page's working directory")
