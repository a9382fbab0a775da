"""One family of exceptions; every message names the page and line it is about."""

from __future__ import annotations


class DocexecError(Exception):
    """Base class: anything the engine reports to a person."""


class PageError(DocexecError):
    """Bad input in a page: a malformed fence, a refused command, an unknown option."""

    def __init__(self, page: str, line: int, message: str) -> None:
        self.page = page
        self.line = line
        self.message = message
        super().__init__(f"{page}:{line}: {message}")


class PageErrors(PageError):
    """Several problems in one page, in page order: `docexec lint` lists them all; anything else that catches a
    PageError still gets the first one's page, line and message."""

    def __init__(self, errors: list[PageError]) -> None:
        ordered = sorted(errors, key=lambda e: e.line)
        self.errors = tuple(ordered)
        super().__init__(ordered[0].page, ordered[0].line, ordered[0].message)
        self.args = ("\n".join(str(e) for e in ordered),)


def raise_all(errors: list[PageError]) -> None:
    """Raise the page's problems: the one PageError itself, several as PageErrors; nothing when there are none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise PageErrors(errors)


class CommandFailed(DocexecError):
    """A command exited with a code other than the one the page expects, or timed out."""

    def __init__(
        self, page: str, line: int, command: str, expected: int, actual: int | None, output: str,
        *, timed_out: bool = False, timeout: float = 0.0,
    ) -> None:
        self.page, self.line, self.command = page, line, command
        self.expected, self.actual, self.output = expected, actual, output
        self.timed_out = timed_out
        if timed_out:
            head = (f"{page}:{line}: command timed out after {timeout:g} s "
                    '(set timeout="N" on the block if it needs longer)')
        else:
            head = f"{page}:{line}: command exited with {actual}, the page expects {expected}"
        shown = output if len(output) <= 4000 else output[:4000] + "\n[... cut ...]"
        super().__init__(f"{head}\n  $ {command}\n" + "".join(f"  | {ln}\n" for ln in shown.splitlines()))


class DaemonUnavailable(DocexecError):
    """No Docker daemon answers where the environment points."""


class RefusedToRecord(DocexecError):
    """The engine is in a state that would make the page's outputs wrong (a foreign container, say)."""


class RecordingError(DocexecError):
    """A recording under snippets/ is missing, stale or unreadable."""
