"""Graphviz on a page's host: `render_dot` draws a graph with the host's `dot`. On a lab host that is the lab
userland's (pinned in userland.lock, with the fonts it measures text with, fonts-dejavu-core), so a graph gives the
same SVG, byte for byte, on every machine. On the shared daemon's host it would be the machine's own dot, if any."""

from __future__ import annotations

import subprocess

from docexec.core.errors import DocexecError
from docexec.hosts.backends import Host

TIMEOUT = 60.0  # seconds: a page's picture is a few dozen nodes, drawn in well under one


def render_dot(host: Host, source: str) -> str:
    """The SVG text `dot -Tsvg` makes of `source` (a graph in Graphviz's DOT language) on `host`.

    Raises DocexecError when dot cannot be started, fails, takes longer than TIMEOUT, gives no SVG, or prints
    anything on stderr: a warning (a syntax slip, a font fontconfig cannot find ...) means the picture is not the one
    meant, so it is refused rather than recorded."""
    argv = host.wrap(["dot", "-Tsvg"])
    try:
        done = subprocess.run(argv, input=source, capture_output=True, text=True, env=host.env, cwd=host.cwd,
                              timeout=TIMEOUT, check=False)
    except OSError as exc:
        raise DocexecError(f"dot could not be started on {host.name}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise DocexecError(f"dot -Tsvg on {host.name} took longer than {TIMEOUT:.0f}s") from None
    problem = done.stderr.strip()
    if done.returncode != 0 or problem:
        said = f": {problem[-600:]}" if problem else ""
        raise DocexecError(f"dot -Tsvg on {host.name} " + (f"failed (exit status {done.returncode})"
                                                             if done.returncode else "printed a warning") + said)
    if "<svg" not in done.stdout:
        raise DocexecError(f"dot -Tsvg on {host.name} printed no SVG: {done.stdout.strip()[:200]!r}")
    return done.stdout
