"""The screen a person would see: pyte (a VT100 emulator) fed a program's byte stream, with its scrollback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyte

COLUMNS, LINES = 100, 30
TERM = "xterm"
HISTORY = 5000  # lines kept above the screen


class Screen:
    """pyte's screen with its scrollback, answering the terminal queries programs send (BusyBox's shell asks
    where the cursor is at each prompt, and waits for the answer)."""

    def __init__(self, reply: Callable[[str], None]) -> None:
        import pyte

        class Screen(pyte.HistoryScreen):
            def write_process_input(self, data: str) -> None:
                reply(data)

        self.screen: pyte.HistoryScreen = Screen(COLUMNS, LINES, history=HISTORY)
        self.stream = pyte.ByteStream(self.screen)

    def feed(self, data: bytes) -> None:
        self.stream.feed(data)

    def before_cursor(self) -> str:
        row = self.screen.buffer[self.screen.cursor.y]
        return "".join(row[x].data for x in range(self.screen.cursor.x))

    def cursor(self) -> tuple[int, int]:
        return len(self.screen.history.top) + self.screen.cursor.y, self.screen.cursor.x

    def text(self) -> str:
        rows = [*self.screen.history.top, *(self.screen.buffer[y] for y in range(LINES))]
        lines = ["".join(row[x].data for x in range(COLUMNS)).rstrip() for row in rows]
        while lines and not lines[-1]:
            lines.pop()
        return "".join(line + "\n" for line in lines)
