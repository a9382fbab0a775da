"""Typed reads of pyproject.toml's tables, with errors that say where the bad value is."""

from __future__ import annotations

import difflib
import json
import re
from typing import NoReturn

from docexec.core.errors import DocexecError


class Table:
    """Typed reads of one table of pyproject.toml; a value of the wrong type is a DocexecError that names the
    file, the table, the key, the value and what is expected."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise DocexecError(f"pyproject.toml: {where} = {_shown(data)}: expected a table")
        self.data: dict[str, object] = data
        self.where = where

    def fail(self, key: str, expected: str) -> NoReturn:
        raise DocexecError(f"pyproject.toml: {self.where} {key} = {_shown(self.data[key])}: expected {expected}")

    def only(self, known: tuple[str, ...]) -> None:
        for key in sorted(set(self.data) - set(known)):
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known)})"
            raise DocexecError(f"pyproject.toml: {self.where}: unknown settings: {key}{hint}")

    def text(self, key: str, default: str | None = None, *, pattern: str = "", expected: str = "a string") -> str:
        value = self.data.get(key, default)
        if value is None:
            raise DocexecError(f"pyproject.toml: {self.where} needs {key} ({expected})")
        if not isinstance(value, str) or (pattern and not re.fullmatch(pattern, value)):
            self.fail(key, expected)
        return value

    def number(self, key: str, default: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            self.fail(key, "a number of seconds above 0, such as 30")
        return float(value)

    def count(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(key, "a whole number above 0")
        return value

    def texts(self, key: str, expected: str = "a list of strings") -> list[str]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, expected)
        return value

    def tables(self, key: str) -> list[Table]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(key, f"an array of tables ([[{self.where.strip('[]')}.{key}]] entries)")
        return [Table(v, f"[[{self.where.strip('[]')}.{key}]] entry {n + 1}") for n, v in enumerate(value)]


def _shown(value: object) -> str:
    """A value as it is written in TOML, near enough to find it in the file."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
