"""What a parsed command line is: words made of literal text, variables and `$(...)` substitutions, in the stages
of a pipeline, or one `NAME=value` assignment; and the errors of parsing and expanding them."""

from __future__ import annotations

from dataclasses import dataclass


class UnsetVariable(KeyError):
    """`$NAME` names a variable that no earlier line assigned (the only KeyError a page's author should see)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class ShellSyntaxError(ValueError):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Literal:
    text: str
    quoted: bool


@dataclass(frozen=True)
class Var:
    name: str
    quoted: bool


@dataclass(frozen=True)
class Subst:
    command: ShellCommand
    quoted: bool


Part = Literal | Var | Subst


@dataclass(frozen=True)
class Word:
    parts: tuple[Part, ...]

    @property
    def is_plain(self) -> bool:
        return all(isinstance(p, Literal) for p in self.parts)

    @property
    def plain(self) -> str:
        """The word's text when it has no expansions (check `is_plain` first)."""
        return "".join(p.text for p in self.parts if isinstance(p, Literal))

    def substitutions(self) -> list[Subst]:
        return [p for p in self.parts if isinstance(p, Subst)]


@dataclass(frozen=True)
class ShellCommand:
    """One line of a lesson: an optional `NAME=` assignment, or a pipeline of simple commands."""

    text: str
    stages: tuple[tuple[Word, ...], ...]
    assign: str | None = None  # NAME when the line is `NAME=value`; the value is stages[0][0]

    def words(self) -> list[Word]:
        return [w for stage in self.stages for w in stage]
