"""exec="docker": the docker CLI, and nothing else."""

from __future__ import annotations

from docexec.kinds.base import Kind
from docexec.page.kinds import register
from docexec.policy.check import DockerCall, Refused, Rules


class Docker(Kind):
    name = "docker"

    def check(self, program: str, rules: Rules) -> DockerCall | None:
        if program == "docker":
            return rules.docker()
        raise Refused(f"'{program}' is not docker: put host commands in a block with exec=\"host\"")


DOCKER = register(Docker())
