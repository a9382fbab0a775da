"""exec="host": the read-only host tools (policy.hostcmds) beside docker, looking at the machine the engine runs on.
A reader runs them as an ordinary user: the copy button copies those that need root with `sudo ` in front
(render.sudo), and the block says so."""

from __future__ import annotations

from docexec.kinds.base import Kind
from docexec.page.kinds import register
from docexec.page.model import Block, Command
from docexec.policy.check import DockerCall, Rules
from docexec.render.sudo import copy_line, needs_root


class Host(Kind):
    name = "host"
    reads_host = True
    substitutions = "host"  # NAME=$(ip ...) reads the host too

    def check(self, program: str, rules: Rules) -> DockerCall | None:
        if program == "docker":
            return rules.docker()
        rules.host()
        return None

    def copy_line(self, command: Command, root_vars: frozenset[str]) -> str:
        return copy_line(command, root_vars)

    def adds_sudo(self, block: Block, root_vars: frozenset[str]) -> bool:
        return any(c.shell and needs_root(c.shell, root_vars) for c in block.commands)


HOST = register(Host())
