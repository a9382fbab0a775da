"""What the lint rules say when they refuse a command, and the word that stands for a value not known yet.

Refused is the one type every rule raises (docker verbs and options, host programs and filters, addresses), and
what the layers above catch; a command line the shell parser cannot read is not a refusal but a page error
(page.shellast.ShellSyntaxError, reported with its page and line where the page is read)."""

from __future__ import annotations

UNKNOWN = "\0"  # a word whose value is only known at run time (before $(...) and $NAME are expanded)


class Refused(ValueError):
    """A command the page may not run; `match` is the text an allowance would have to name."""

    def __init__(self, message: str, match: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.match = match
