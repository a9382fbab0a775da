"""Exec kinds: what the blocks a page marks exec="NAME" are, and the one place they are registered.

A kind is one object (a `docexec.kinds.base.Kind`, one module under docexec/kinds/) that every layer asks what it
needs of the kind's blocks: the page which options and lines they take (ExecKind, here), the policy what their
commands may be (policy.check.Checks), the runner how one runs (run.runner.Runs), the HTML how they show
(render.kinds.Renders). Each of those is an ABC in the layer that asks, on top of ExecKind; a kind is all of them.

The layers below `kinds` import no kind: they look one up here, by the name a block carries (`get(block.kind)`,
or `get(block.kind, Facet)` for their own facet). Importing `docexec.kinds` registers the built-in kinds; the
book, which every front door goes through, does.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Mapping
from typing import ClassVar, TypeVar, overload

__all__ = ["ExecKind", "get", "names", "register", "registered", "unregister"]


class ExecKind(ABC):
    """What the page asks of an exec kind: its name and facts (class attributes; a kind sets those that differ)
    and the rules of its block options."""

    name: ClassVar[str]  # exec="NAME"
    # Its blocks have `> ` lines: what is typed into the program the `$ ` line above started, in a terminal. Each
    # `$ ` line is then a command of its own (no pipes, no NAME=$(...)); the lines and the prompt they wait for
    # (prompt=) are part of the block's digest.
    typed_lines: ClassVar[bool] = False
    replay: ClassVar[bool] = False  # a run keeps the terminal's byte stream: recorded as ID.cast, replayed on the page
    reads_host: ClassVar[bool] = False  # its commands look at the machine the engine runs on: not on a remote daemon
    options: ClassVar[Mapping[str, str]] = {}  # the block options only this kind takes, each with what it is for
    # Its blocks hold `$ ` commands (the default). False: a block's text is data the kind uses whole (exec="file":
    # a file's content); the block then has one command, with no shell (Command.shell None), which stands for what
    # the kind does with the text (text_command), and Block.text is the text.
    holds_commands: ClassVar[bool] = True
    # A kind that holds no commands: whether its text may name images the lab must have (exec="file": a Dockerfile's
    # FROM, a compose file's `image:`); not a caption's words.
    text_names_images: ClassVar[bool] = True
    # Its blocks' one command prints data, not what a terminal shows (exec="topology": the lab's network as JSON):
    # the recording keeps that output as it is in ID<data_suffix>, with no `$ ` line ("": a transcript, ID.txt).
    data_suffix: ClassVar[str] = ""
    # Its runs also give a picture (Result.figure, an SVG), kept beside the recording as ID.svg and shown instead
    # of a code box (render.kinds.Renders.figure).
    pictured: ClassVar[bool] = False

    def check_options(self, given: Mapping[str, str]) -> str | None:
        """What is wrong with a block's options (as written) for this kind; None: nothing. Each option's own
        value, and the options that only other kinds take, are checked before."""
        return None

    def text_command(self, text: str, options: Mapping[str, object]) -> str:
        """A kind that holds no commands: the one line that stands for the block (its command's `display`, named in
        its recording and in reports), from its text and its checked options (BlockOptions' fields by name). Raise
        ValueError saying what is wrong with the text."""
        raise NotImplementedError(f'exec="{self.name}" holds no commands but says nothing of its text')


K = TypeVar("K", bound=ExecKind)
_registered: dict[str, ExecKind] = {}
_NONE = "no exec kinds are registered: import docexec.kinds first (the book, docexec.book, does)"


def register(kind: K) -> K:
    """Make `kind` the one of exec="NAME" blocks (NAME: kind.name, registered once); returns it."""
    name = getattr(kind, "name", None)
    if not isinstance(name, str) or not name:
        raise TypeError(f"{type(kind).__name__} has no name: set `name` to what exec=\"...\" blocks say")
    if name in _registered:
        raise ValueError(f'exec="{name}" is registered already ({type(_registered[name]).__name__})')
    _registered[name] = kind
    return kind


def unregister(name: str) -> None:
    """Forget the kind registered as `name` (a test's own kind, say)."""
    del _registered[name]


def registered() -> tuple[ExecKind, ...]:
    """The registered kinds, in the order they were registered."""
    if not _registered:
        raise LookupError(_NONE)
    return tuple(_registered.values())


def names() -> tuple[str, ...]:
    """The registered kinds' names, in the order they were registered: what exec="..." may say."""
    return tuple(kind.name for kind in registered())


@overload
def get(name: str) -> ExecKind: ...
@overload
def get(name: str, facet: type[K]) -> K: ...
def get(name: str, facet: type[ExecKind] = ExecKind) -> ExecKind:
    """The kind registered as `name`, as the `facet` a layer asks it through (its own ABC on top of ExecKind)."""
    kind = _registered.get(name)
    if kind is None:
        raise LookupError(f'exec="{name}" is not a registered kind (registered: {", ".join(names())})')
    if not isinstance(kind, facet):
        raise TypeError(f'exec="{name}" ({type(kind).__name__}) is not a {facet.__name__}: an exec kind is a '
                        "docexec.kinds.base.Kind")
    return kind
