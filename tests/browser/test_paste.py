"""What the copy button of a terminal session gives can be pasted into a shell as it is: it parses (bash -n, sh -n),
and pasted into a terminal, no line of it runs in the wrong shell, whichever way the reader's shell reads a paste.

A session's first command takes over the terminal (docker run -it, docker attach, docker exec -it). Where the
lines pasted after it go depends on the reader's shell: bash 5.1 and later (bracketed paste, on by default) take
the whole paste and run the lines after the command themselves, once the container's program has ended; sh (dash,
BusyBox) and bash without bracketed paste read one line, and leave the rest in the terminal, to the container's
program. The paste is tried in a pseudo-terminal against each, with a stand-in `docker` that notes every call
and where it came from, and for the commands that take over the terminal starts an interactive `sh`: the
"container". The reader presses Enter after pasting, checks they are in the container, leaves it, and checks
they are back on the host.
"""

from __future__ import annotations

import html
import os
import re
import select
import shutil
import subprocess
from pathlib import Path

import pytest

from .test_copy import _blocks

pytestmark = pytest.mark.browser

FAKE_DOCKER = """#!/bin/sh
echo "${INSIDE:-0} docker $*" >> "$PASTE_LOG"
case " $* " in
  *" -it "*|*" attach "*) INSIDE=1 PS1='CONT# ' ENV= exec sh -i ;;
esac
"""
SHELLS = {  # a reader's shell: its command line, and whether it takes a paste whole (bracketed paste)
    "bash": (["bash", "--norc", "--noprofile", "-i"], True),
    "bash without bracketed paste": (["bash", "--norc", "--noprofile", "-i"], False),
    "sh": (["sh", "-i"], False),
}


def _session_copies(site: Path) -> dict[str, str]:
    return {f"{page} #{b['id']}": html.unescape(b["copy"])
            for page, blocks in _blocks(site).items() for b in blocks
            if "docexec-session" in b["classes"] and b["copy"] is not None and not re.search(r"-engine-", b["id"])}


class _Terminal:
    """A shell in a pseudo-terminal, as a reader's terminal sees it."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        import pty

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # pragma: no cover - the child
            os.execvpe(argv[0], argv, env)
        self.seen = ""

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def wait_for(self, pattern: str, what: str) -> str:
        """Read until the terminal shows `pattern` after what earlier waits read; that text, up to it. (The limit,
        20 s, only stops a hung shell.)"""
        for _ in range(200):
            found = re.search(pattern, self.seen)
            if found:
                text, self.seen = self.seen[:found.end()], self.seen[found.end():]
                return text
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.fd, 65536).decode(errors="replace")
                except OSError:  # the shell ended
                    break
        raise AssertionError(f"{what}: never saw {pattern!r}; the terminal showed:\n{self.seen[-2000:]}")

    def close(self) -> None:
        os.close(self.fd)
        os.waitpid(self.pid, 0)


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("sh") is None, reason="needs bash and sh")
@pytest.mark.parametrize("shell", SHELLS)
def test_a_pasted_session_runs_no_line_in_the_wrong_shell(site: Path, tmp_path: Path, shell: str) -> None:
    argv, bracketed = SHELLS[shell]
    (tmp_path / "docker").write_text(FAKE_DOCKER)
    (tmp_path / "docker").chmod(0o755)
    (tmp_path / "inputrc").write_text(f"set enable-bracketed-paste {'on' if bracketed else 'off'}\n")
    log = tmp_path / "calls"
    copies = _session_copies(site)
    assert copies, "no terminal session on the site"
    for where, copy in copies.items():
        parsed = subprocess.run([argv[0], "-n"], input=copy + "\n", text=True, capture_output=True)
        assert parsed.returncode == 0 and not parsed.stderr, f"{where}: {argv[0]} -n: {parsed.stderr}"
        log.write_text("")
        env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "TERM": "xterm", "HOME": str(tmp_path), "ENV": "",
               "PS1": "HOST$ ", "INPUTRC": str(tmp_path / "inputrc"), "PASTE_LOG": str(log), "LANG": "C.UTF-8"}
        term = _Terminal(argv, env)
        try:
            start = term.wait_for(r"HOST\$ ", f"{shell}: start")
            assert ("\x1b[?2004h" in start) == bracketed, f"{shell}: bracketed paste is not as wanted: {start!r}"
            if bracketed:  # the paste waits on the command line for the reader's Enter
                term.type(f"\x1b[200~{copy}\x1b[201~\r")
                term.wait_for(r"CONT# ", f"{where}, pasted into {shell}: in the container")
            else:  # the first line runs at once; the reader presses Enter for the last one
                term.type(copy)
                term.wait_for(r"CONT# ", f"{where}, pasted into {shell}: in the container")
                term.type("\r")
            term.type("echo IN-${INSIDE:-0}\r")  # the reader checks where they are
            term.wait_for(r"IN-1\b", f"{where}, pasted into {shell}: the reader's next line goes to the container")
            term.type("exit\r")  # leaves the container (the book's way, Ctrl+P Ctrl+Q, means nothing to sh)
            term.wait_for(r"HOST\$ ", f"{where}, pasted into {shell}: the host's prompt again")
            term.type("echo OUT-${INSIDE:-0}\r")
            term.wait_for(r"OUT-0\b", f"{where}, pasted into {shell}: back on the host")
            term.type("exit\r")
        finally:
            term.close()
        calls = log.read_text().splitlines()
        first = copy.split("\n", 1)[0]
        assert calls == [f"0 {first}"], f"{where}, pasted into {shell}: docker ran as {calls} (0: on the host, " \
            "1: inside the container); only the first command should run, on the host"
