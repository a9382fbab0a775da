"""The terminal driver of session blocks, with local programs (no Docker): the notation of typed lines, typing when
the program is ready, the screen a person would see, the failures a bad session gets, and the asciicast."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import pytest

from docexec.run.terminal import (
    COLUMNS,
    LINES,
    Stuck,
    TerminalRun,
    Typed,
    asciicast,
    cast_text,
    key_label,
    parse_typed,
    run_in_terminal,
)
from docexec.term.screen import Screen


def typed(*lines: str) -> list[Typed]:
    return [parse_typed(n + 10, text) for n, text in enumerate(lines)]


def run(program: str, *lines: str, timeout: float = 10, prompt: str | None = None,
        env: dict[str, str] | None = None) -> TerminalRun:
    """Run a Python program in a terminal and type `lines` into it."""
    argv = [sys.executable, "-u", "-c", textwrap.dedent(program)]
    extra = {} if prompt is None else {"prompt": prompt}
    return run_in_terminal(argv, typed(*lines), env={"PATH": "/usr/bin:/bin", **(env or {})}, cwd=Path("/"),
                           timeout=timeout, **extra)  # type: ignore[arg-type]


# A small line-reading program with a shell's prompt; SLOW makes it print slowly before each prompt.
REPL = """
    import os, sys, time
    slow = float(os.environ.get("SLOW", "0"))
    for n in range(3):
        print(f"warming up {n}")
        time.sleep(slow)
    while True:
        sys.stdout.write("app> ")
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line or line.strip() == "quit":
            break
        for n in range(2):
            time.sleep(slow)
            print(f"{line.strip()} {n}")
    sys.exit(3)
"""


# --------------------------------------------------------------------------------------------------
# The notation


def test_a_line_of_text_is_typed_then_enter() -> None:
    line = parse_typed(7, "ip addr show eth0")
    assert (line.line, line.keys_only, line.enter, line.text) == (7, False, True, "ip addr show eth0")
    assert line.data == b"ip addr show eth0\r"


def test_a_line_of_keys_only_sends_no_enter() -> None:
    line = parse_typed(1, "<Ctrl-P><Ctrl-Q>")
    assert line.keys_only and not line.enter
    assert line.keys == ("Ctrl-P", "Ctrl-Q")
    assert line.data == b"\x10\x11"
    assert " ".join(key_label(k) for k in line.keys) == "Ctrl+P Ctrl+Q"
    assert parse_typed(1, "<Enter>").data == b"\r"
    assert parse_typed(1, "<ctrl-c>").data == b"\x03"  # the letter's case does not matter


def test_text_and_keys_mixed_end_decides_enter() -> None:
    assert parse_typed(1, "ls<Tab>").data == b"ls\t"
    assert parse_typed(1, "<Ctrl-U>echo hi").data == b"\x15echo hi\r"
    assert parse_typed(1, "<Up><Enter>").data == b"\x1b[A\r"


def test_angle_brackets_that_are_not_keys_are_typed() -> None:
    assert parse_typed(1, "echo '<html>' > x").data == b"echo '<html>' > x\r"
    assert parse_typed(1, "a <b> c").text == "a <b> c"


@pytest.mark.parametrize(("written", "message"), [
    ("<Ctrl-PP>", "unknown key <Ctrl-PP>"),
    ("<Entr>", "did you mean <Enter>?"),
    ("   ", "write <Enter>"),
])
def test_misspelt_keys_and_empty_lines_are_refused(written: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        parse_typed(1, written)


# --------------------------------------------------------------------------------------------------
# Running


def test_lines_are_typed_at_the_prompt_of_a_program_that_prints_slowly() -> None:
    start = time.monotonic()
    result = run(REPL, "hello", "quit", env={"SLOW": "0.3"})
    assert result.returncode == 3
    assert result.screen == ("warming up 0\nwarming up 1\nwarming up 2\n"
                             "app> hello\nhello 0\nhello 1\napp> quit\n")
    # typed where the prompt left the cursor: row 3 and 6, just after "app> "
    assert result.typed_at == ((3, 5), (6, 5))
    assert time.monotonic() - start < 6


def test_the_screen_is_what_the_terminal_shows_after_redraws() -> None:
    program = r"""
        import sys, time
        w = sys.stdout.write
        w("first line\n")
        for n in (10, 50, 100):
            w(f"\rprogress {n}%"); sys.stdout.flush(); time.sleep(0.05)
        w("\n\x1b[31mred\x1b[0m and plain\n")
        w("to be overwritten\n")
        w("\x1b[1A\x1b[2K" + "overwritten\n")        # cursor up, erase the line, write again
        w("abcdef\x1b[3D\x1b[K" + "XY\n")            # cursor back 3, erase to the end of the line
        w("\x1b[5;1H" + "row five\n")                 # absolute position (1-based)
        w("中文 wide\n")
    """
    result = run(program)
    assert result.screen == ("first line\nprogress 100%\nred and plain\noverwritten\nrow five\n"
                             "中文 wide\n")


def test_lines_scrolled_off_the_screen_are_kept() -> None:
    result = run("for n in range(3 * 30): print(f'line {n}')")
    assert result.screen == "".join(f"line {n}\n" for n in range(90))


def test_a_line_the_terminal_wrapped_comes_back_whole() -> None:
    """A terminal wraps a line longer than its width at the last column, mid-word; that is a soft wrap (copying
    or widening the terminal joins it again), so the screen's text keeps the line whole. A newline the program
    printed stays, even right at the last column, and so does a wrap whose row was erased since."""
    long = " ".join(f"word{n}" for n in range(30))  # 178 columns: wrapped once
    program = rf"""
        import sys
        w = sys.stdout.write
        w("{long}\n")
        w("x" * {COLUMNS} + "\n" + "next\n")             # exactly the width, then its own newline
        w("y" * {COLUMNS} + "z\n")                        # wraps after the y's
        w("A" * {COLUMNS} + "B" + "\x1b[1A\r\x1b[2K" + "short\n\n")  # wraps, then the wrapped row erased
        w("wide " + "中" * {COLUMNS} + "\n")
    """
    result = run(program)
    assert result.screen.splitlines() == [long, "x" * COLUMNS, "next", "y" * COLUMNS + "z", "short", "B",
                                          "wide " + "中" * COLUMNS]


def test_the_lines_typed_are_placed_in_wrapped_lines() -> None:
    long = "0123456789" * 15
    result = run(f"print('{long}')\n" + textwrap.dedent(REPL), "hello", "quit")
    lines = result.screen.splitlines()
    assert lines[:5] == [long, "warming up 0", "warming up 1", "warming up 2", "app> hello"]
    assert result.typed_at == ((4, 5), (7, 5)), "rows 5 and 8 of the screen; the first line took two"
    long_prompt = f"print('{long}', end='app> ', flush=True)\ninput()\nprint('done')\n"
    result = run(long_prompt, "typed")
    assert result.screen == f"{long}app> typed\ndone\n"
    assert result.typed_at == ((0, len(long) + 5),)


def test_a_typed_line_its_program_broke_at_the_last_column_is_one_line() -> None:
    """BusyBox's shell echoes a long typed line itself and, at the last column, goes on to the next row with a
    newline of its own (bytes as recorded from `docker run -it busybox sh`). The rows that show the typed text
    are one line; the program's newline at the last column elsewhere stays."""
    typed = 'echo "a line that is longer than the terminal is wide, to see where it wraps: one two three four"'
    cut = COLUMNS - 4
    term = Screen(lambda reply: None)
    term.feed(b"\r\n/ # ")
    at = term.cursor()
    term.feed(f"{typed[:cut]}\r\r\n{typed[cut:]}\r\n".encode() + b"0" * COLUMNS + b"\r\n/ # ")
    term.join_echo(*at, typed)
    assert term.text() == f"\n/ # {typed}\n{'0' * COLUMNS}\n/ #\n"
    assert term.place(*at) == (1, 4) and term.place(3, 4) == (2, 4)
    term.join_echo(3, 4, "not what is there")
    assert term.text().splitlines()[2:] == ["0" * COLUMNS, "/ #"]


def test_the_terminal_is_100_by_30_and_answers_cursor_queries() -> None:
    program = r"""
        import os, shutil, sys, termios, tty
        print(shutil.get_terminal_size(), os.environ["TERM"], os.isatty(0), os.getsid(0) == os.getpid())
        old = termios.tcgetattr(0); tty.setraw(0)
        sys.stdout.write("\x1b[6n"); sys.stdout.flush()
        reply = b""
        while not reply.endswith(b"R"):
            reply += os.read(0, 1)
        termios.tcsetattr(0, termios.TCSADRAIN, old)
        print(repr(reply))
    """
    result = run(program)
    assert result.screen == (f"os.terminal_size(columns={COLUMNS}, lines={LINES}) xterm True True\n"
                             "b'\\x1b[2;1R'\n")


def test_keys_go_to_a_program_that_reads_keys() -> None:
    program = r"""
        import os, sys, tty
        tty.setraw(0)
        got = b""
        while not got.endswith(b"\x11"):
            got += os.read(0, 1)
        sys.stdout.write(repr(got) + "\r\n")
    """
    result = run(program, "<Ctrl-C>", "<Ctrl-P><Ctrl-Q>")
    assert result.screen == "b'\\x03\\x10\\x11'\n"  # raw mode: Ctrl+C is a byte, not a signal


def test_ctrl_c_at_a_line_prompt_is_a_signal_to_the_foreground_process() -> None:
    program = r"""
        import signal, sys, time
        def interrupted(signum, frame):
            print("got SIGINT")
            sys.exit(130)
        signal.signal(signal.SIGINT, interrupted)
        sys.stdout.write("$ "); sys.stdout.flush()
        time.sleep(30)
    """
    result = run(program, "<Ctrl-C>")
    assert result.screen == "$ ^Cgot SIGINT\n"  # the terminal echoes ^C; the program prints its line
    assert result.returncode == 130


def test_a_program_that_never_shows_a_prompt_times_out_with_its_screen() -> None:
    start = time.monotonic()
    with pytest.raises(Stuck) as info:
        run("import time\nprint('working...')\ntime.sleep(60)", "hello", timeout=1.5)
    assert time.monotonic() - start < 5
    assert info.value.index == 0 and not info.value.ended
    assert "not ready for this line within 1.5 s" in info.value.reason
    assert "[$#>%] " in info.value.reason
    assert info.value.screen == "working...\n"


def test_a_prompt_option_is_what_a_line_waits_for() -> None:
    program = "import sys\nsys.stdout.write('Name? ')\nsys.stdout.flush()\nprint('hi', input())"
    with pytest.raises(Stuck):
        run(program, "Ann", timeout=1)
    assert run(program, "Ann", prompt=r"\? ").screen == "Name? Ann\nhi Ann\n"


def test_a_program_that_never_ends_times_out_after_its_last_line() -> None:
    with pytest.raises(Stuck) as info:
        run(REPL, "hello", timeout=2)
    assert info.value.index == 1 and not info.value.ended
    assert "did not end within 2 s after its last typed line" in info.value.reason
    assert info.value.screen.endswith("app> hello\nhello 0\nhello 1\napp>\n")


def test_a_program_that_ends_before_a_line_is_typed() -> None:
    with pytest.raises(Stuck) as info:
        run(REPL, "quit", "more")
    assert info.value.index == 1 and info.value.ended
    assert "ended (exit code 3) before this line could be typed" in info.value.reason


def test_started_and_ended_see_the_process_group() -> None:
    seen: list[tuple[str, int]] = []
    run_in_terminal(["true"], [], env={"PATH": "/usr/bin:/bin"}, cwd=Path("/"), timeout=5,
                    started=lambda pid: seen.append(("start", pid)), ended=lambda pid: seen.append(("end", pid)))
    assert [kind for kind, _ in seen] == ["start", "end"] and seen[0][1] == seen[1][1]


# --------------------------------------------------------------------------------------------------
# The asciicast


def test_the_asciicast_is_v2_with_the_commands_and_markers() -> None:
    result = run(REPL, "hello", "quit")
    keys = run("import os, sys, tty\ntty.setraw(0)\nos.read(0, 2)\nprint('bye')", "<Ctrl-P><Ctrl-Q>")
    cast = asciicast([("app", result.events), ("keys", keys.events)])
    lines = cast.splitlines()
    assert json.loads(lines[0]) == {"version": 2, "width": 100, "height": 30, "env": {"TERM": "xterm"}}
    events = [json.loads(line) for line in lines[1:]]
    times = [e[0] for e in events]
    assert times == sorted(times) and all(round(t, 2) == t for t in times)
    assert events[0] == [0.0, "o", "$ app\r\n"]
    assert [e[2] for e in events if e[1] == "m"] == ["Ctrl+P Ctrl+Q"]
    # The second command starts on a line of its own even though the first left the cursor after "app> ".
    assert "app> quit\r\n$ keys\r\n" in "".join(e[2] for e in events if e[1] == "o")
    assert cast_text(cast).startswith("$ app\nwarming up 0\n")


def test_cast_text_ignores_timing_and_how_output_was_split() -> None:
    one = asciicast([("x", [(0.1, "o", "a\r\nb"), (0.5, "o", "c\r\n")])])
    other = asciicast([("x", [(0.3, "o", "a\r"), (2.0, "o", "\nbc\r"), (9.0, "o", "\n")])])
    assert one != other
    assert cast_text(one) == cast_text(other) == "$ x\na\nbc\n"


def test_the_first_line_waits_until_the_container_runs() -> None:
    """`docker run -it` puts the terminal in raw mode before its container starts: a Ctrl-C typed in between
    reaches a process that is not yet the container's command ("cannot start a stopped process"). With
    `started_inside`, the first line waits until the caller says the container runs; later lines do not ask."""
    asked: list[float] = []

    def started() -> bool:
        asked.append(time.monotonic())
        return len(asked) >= 8  # "runs" from the eighth question on, some 0.4 s after the prompt showed

    program = "import sys\nfor _ in range(2):\n    print('app> ', end='', flush=True)\n    sys.stdin.readline()\n"
    argv = [sys.executable, "-u", "-c", program]
    done = run_in_terminal(argv, typed("one", "two"), env={"PATH": "/usr/bin:/bin"}, cwd=Path("/"), timeout=10,
                           prompt="app> ", started_inside=started)
    assert done.returncode == 0 and "app> one\napp> two" in done.screen
    assert len(asked) == 8, "asked until it said yes, and only before the first line"
    with pytest.raises(Stuck, match="the container did not start within 2 s"):
        run_in_terminal(argv, typed("one"), env={"PATH": "/usr/bin:/bin"}, cwd=Path("/"), timeout=2,
                        prompt="app> ", started_inside=lambda: False)
