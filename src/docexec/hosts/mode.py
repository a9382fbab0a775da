"""Where a book's pages run: a lab of their own wherever labs can run (DOCEXEC_LAB), or the shared daemon; how
labs are made for an engine."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal

from docexec.core.config import EngineSettings
from docexec.core.errors import DaemonUnavailable, DocexecError
from docexec.lab import LabSettings, unsupported_reason

HostsMode = Literal["lab", "shared"]  # a lab of the page's own, or the shared daemon


def lab_settings(engine: EngineSettings) -> LabSettings:
    """How labs are made for this engine and CLI."""
    return LabSettings(engine_path=engine.path, cli=engine.cli, cli_plugins=engine.spec.cli_plugins)


def choose_mode(notify: Callable[[str], None] | None = None, settings: LabSettings | None = None) -> HostsMode:
    """DOCEXEC_LAB=yes|no|auto (default auto: a lab wherever one can run). CI=true means yes."""
    wanted = os.environ.get("DOCEXEC_LAB", "auto").lower()
    if wanted not in ("yes", "no", "auto"):
        raise DocexecError(f"DOCEXEC_LAB={wanted}: use yes, no or auto")
    if wanted == "no":
        return "shared"
    reason = unsupported_reason(settings)
    if not reason:
        return "lab"
    if wanted == "yes" or os.environ.get("CI", "").lower() == "true":
        raise DaemonUnavailable(f"{reason}; labs are required here (CI=true or DOCEXEC_LAB=yes)")
    if notify:
        notify(f"docexec: {reason}: using the shared daemon instead (good for previews; CI records in labs)")
    return "shared"
