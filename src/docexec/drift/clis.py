"""What the docker CLIs say differently about the same result.

The drift check runs the first engine's pages with the CLI that recorded them (Debian 12's, 20.10) and also with
the newer CLI a machine may carry (28.x). Both must run every command with the same exit code; their words differ
in a few places that are the CLI's wording, not Docker's behaviour. Each rule rewrites the newer CLI's wording into
the older one's (or drops it from both) before the outputs are compared, so any other difference still fails the
check. Readers see the newer wording itself in the pages' Engine 28.5 tabs, recorded with that engine's own CLI.
"""

from __future__ import annotations

import re

# (what CLI 28 prints, what CLI 20.10 prints for the same thing, why they differ)
RULES: tuple[tuple[str, str, str], ...] = (
    (r"(?m)^(docker: .*?)\.?\n\nRun 'docker [a-z]+(?: [a-z]+)? --help' for more information$", r"\1",
     "a failed `docker run`: CLI 28 adds a help hint to every error, in a paragraph of its own"),
    (r"(?m)^(docker: .*?)\.?\nSee 'docker [a-z]+(?: [a-z]+)? --help'\.$", r"\1",
     "CLI 20.10 adds its help hint only to some errors (not to a container that fails to start)"),
    (r"(?m)^(docker: .*)\.$", r"\1", "CLI 20.10 ends the error with a full stop, CLI 28 does not"),
    (r"\[::\]:(\d+)", r":::\1", "IPv6 port bindings in `docker port` and `docker ps`: CLI 28 writes [::]:8080"),
    (r"Error response from daemon: network (\S+) not found", r"Error: No such network: \1",
     "CLI 20.10 words the missing network itself; CLI 28 passes on the daemon's words"),
    (r"Error response from daemon: get (\S+): no such volume", r"Error: No such volume: \1",
     "the same for a missing volume"),
    (r"Error response from daemon: Could not find the file (\S+) in container (\S+)",
     r"Error: No such container:path: \2:\1", "the same for a missing path in `docker cp`"),
    (r'"Options": null', r'"Options": {}', "`docker volume inspect` of a volume without options"),
    (r"(?m)^(Error response from daemon: .*)\nexit status 1$", r"\1",
     "a failed `docker network rm`: CLI 28 adds a line with its own exit status after the daemon's error"),
    (r"(?m)^DEPRECATED: The legacy builder is deprecated and will be removed in a future release\.\n(?: {12}.*\n)*\n",
     "", "`docker build` without the buildx plugin: CLI 28 says first that the legacy builder is deprecated, then "
     "builds with it, as CLI 20.10 does without a word"),
)


def as_older_cli(text: str) -> str:
    """`text` with the newer CLI's wording rewritten into the older one's, and no trailing blank lines (CLI 20.10
    ends `docker swarm init` with one, CLI 28 does not)."""
    for pattern, older, _ in RULES:
        text = re.sub(pattern, older, text)
    return text.rstrip("\n") + "\n" if text.strip() else text
