"""The screen a person would see: pyte (a VT100 emulator) fed a program's byte stream, with its scrollback.

The text of the screen is its logical lines: a row the terminal wrapped because the next character did not fit
(autowrap, a soft wrap) is joined with the row it continued on, as a terminal joins them when its text is copied
or its window widened. A newline the program printed, even right at the last column, still ends a line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyte

COLUMNS, LINES = 100, 30
TERM = "xterm"
HISTORY = 5000  # lines kept above the screen
_WRAPPED = "docexec_wrapped"  # set on a pyte row the terminal wrapped (its text goes on in the next row)


def _cells(row: Any, start: int) -> str:
    """A pyte row's text from column `start` to its end (a wide character's second column adds nothing)."""
    return "".join(row[x].data for x in range(start, COLUMNS))


def _unwrap(row: object) -> None:
    if getattr(row, _WRAPPED, False):
        setattr(row, _WRAPPED, False)


class Screen:
    """pyte's screen with its scrollback, answering the terminal queries programs send (BusyBox's shell asks
    where the cursor is at each prompt, and waits for the answer), and knowing which rows it wrapped."""

    def __init__(self, reply: Callable[[str], None]) -> None:
        import pyte

        class Screen(pyte.HistoryScreen):
            drawing = False

            def write_process_input(self, data: str) -> None:
                reply(data)

            def draw(self, data: str) -> None:
                self.drawing = True
                try:
                    super().draw(data)
                finally:
                    self.drawing = False

            def carriage_return(self) -> None:
                if self.drawing:  # draw() goes to the next line only when a character does not fit: a wrap
                    setattr(self.buffer[self.cursor.y], _WRAPPED, True)
                super().carriage_return()

            def erase_in_line(self, how: int = 0, private: bool = False) -> None:
                super().erase_in_line(how, private)
                if how != 1:  # its end erased, a row no longer goes on in the next one
                    _unwrap(self.buffer[self.cursor.y])

            def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
                erased = {0: range(self.cursor.y + 1, self.lines), 1: range(self.cursor.y)}.get(how)
                for y in range(self.lines) if erased is None else erased:
                    _unwrap(self.buffer[y])
                super().erase_in_display(how, *args, **kwargs)

        self.screen: pyte.HistoryScreen = Screen(COLUMNS, LINES, history=HISTORY)
        self.stream = pyte.ByteStream(self.screen)

    def feed(self, data: bytes) -> None:
        self.stream.feed(data)

    def before_cursor(self) -> str:
        row = self.screen.buffer[self.screen.cursor.y]
        return "".join(row[x].data for x in range(self.screen.cursor.x))

    def cursor(self) -> tuple[int, int]:
        """Where the cursor is: (row counted from the first line kept above the screen, column)."""
        return len(self.screen.history.top) + self.screen.cursor.y, self.screen.cursor.x

    def _rows(self) -> list[Any]:
        return [*self.screen.history.top, *(self.screen.buffer[y] for y in range(LINES))]

    def join_echo(self, row: int, column: int, typed: str) -> None:
        """Join the rows that show `typed`, typed at (row, column) as `cursor()` gave it, where the program's line
        editor went on to the next row itself (BusyBox's shell prints a newline of its own once a typed line
        reaches the last column): what was typed is one line, as in a terminal that wrapped it."""
        rows = self._rows()
        while row + 1 < len(rows):
            shown, after = _cells(rows[row], column), _cells(rows[row + 1], 0)
            rest = typed[len(shown):]
            if not (rest and typed.startswith(shown) and (after.startswith(rest) or rest.startswith(after))):
                return
            setattr(rows[row], _WRAPPED, True)
            row, column, typed = row + 1, 0, rest

    def _lines(self) -> tuple[list[str], list[tuple[int, int]]]:
        """The logical lines (trailing blanks included), and for each row: its line and the column it starts at."""
        lines: list[str] = []
        starts: list[tuple[int, int]] = []
        wrapped = False
        for row in self._rows():
            text = _cells(row, 0)
            if wrapped:
                starts.append((len(lines) - 1, starts[-1][1] + COLUMNS))
                lines[-1] += text
            else:
                starts.append((len(lines), 0))
                lines.append(text)
            wrapped = getattr(row, _WRAPPED, False)
        return lines, starts

    def text(self) -> str:
        """The logical lines, scrolled-off ones first, without trailing blanks or blank lines at the end."""
        lines = [line.rstrip() for line in self._lines()[0]]
        while lines and not lines[-1]:
            lines.pop()
        return "".join(line + "\n" for line in lines)

    def place(self, row: int, column: int) -> tuple[int, int]:
        """A position `cursor()` gave, in the lines of `text()`: (line, column counted from the line's start)."""
        lines, starts = self._lines()
        if row < len(starts):
            line, start = starts[row]
            return line, start + column
        return len(lines) + row - len(starts), column
