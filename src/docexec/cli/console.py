"""Where the command line's messages go: one rich console, so live progress and messages do not overwrite each
other."""

from __future__ import annotations

from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
