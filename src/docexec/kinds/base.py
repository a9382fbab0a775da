"""What an exec kind is: one object that each layer asks what it needs of the kind's blocks (see page.kinds)."""

from __future__ import annotations

from collections.abc import Mapping

from docexec.policy.check import Checks
from docexec.render.kinds import Renders
from docexec.run.runner import Runs


class Kind(Checks, Runs, Renders):
    """An exec kind, whole. A kind sets `name` and says which rules its commands are checked with (`check`); the
    rest has defaults it overrides where it differs:

    - the page (page.kinds.ExecKind): `typed_lines`, `replay`, `reads_host`, `options` only it takes, and
      `check_options` (its rules about the others); a kind whose blocks hold data, not commands, `holds_commands`
      and `text_command`;
    - the policy (policy.check.Checks): `check`, and the kind that checks a `$(...)` inside (`substitutions`);
    - the runner (run.runner.Runs): `run` (default: as a pipeline);
    - the HTML (render.kinds.Renders): `output` under each command, `copy_line`, `adds_sudo`, `output_label`,
      `html_class`; or the whole code box (`code`) and the note under it (`note`).

    Register one instance (page.kinds.register) in the kind's module."""


def refused_option(kind: str, given: Mapping[str, str], refused: Mapping[str, str]) -> str | None:
    """The problem with the first of a block's options that its kind refuses (`refused`: each with why), if any."""
    for key, why in refused.items():
        if key in given:
            return f'{key}="..." does not go with exec="{kind}": {why}'
    return None
