"""exec="session": docker commands in a terminal of their own (run.terminal), with the `> ` lines under each typed
into the program it started; the screen it left is the output, shown with the typed lines marked where they were
typed, and the terminal's byte stream is kept for a replay."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from docexec.core.errors import PageError
from docexec.core.signals import PROCESSES
from docexec.hosts.backends import Host
from docexec.kinds.base import Kind
from docexec.page.kinds import register
from docexec.page.model import Block, Command
from docexec.policy.check import DockerCall, Refused, Rules, check_typed
from docexec.policy.docker_grammar import iter_options, resolve_verb, split_call
from docexec.render.kinds import escape
from docexec.render.wording import Labels
from docexec.run.runner import Commands, Result, SessionStuck
from docexec.store.recording import CommandRecord
from docexec.term.keys import Typed, key_label


class Session(Kind):
    name = "session"
    typed_lines = True
    replay = True
    options: ClassVar[Mapping[str, str]] = {"prompt": "the prompt a typed line waits for"}
    html_class = "docexec-session"

    def check_options(self, given: Mapping[str, str]) -> str | None:
        return 'retry="..." does not go with exec="session": a session is typed once' if "retry" in given else None

    def check(self, program: str, rules: Rules) -> DockerCall | None:
        if program == "docker":
            return rules.docker(terminal=True)
        raise Refused(f"'{program}' is not docker: a terminal session runs docker commands (docker run -it, docker "
                      "exec -it, docker attach)")

    def run(self, commands: Commands, block: Block, command: Command, timeout: float) -> Result:
        """In a terminal of its own on the block's host, typing its `> ` lines."""
        from docexec.run.terminal import DEFAULT_PROMPT, Stuck, run_in_terminal

        for typed in command.typed:  # again with this run's rules (the lab LAN only where there is a lab)
            try:
                check_typed(typed.text, commands.checks)
            except Refused as exc:
                raise PageError(commands.where, typed.line, exc.message) from None
        assert command.shell is not None, "blocks with run=\"no\" are never run"
        (argv,) = commands.substitutions(block, timeout, strict=True).argvs(command.shell)
        host = commands.host(block)
        try:
            run = run_in_terminal(host.wrap(argv), command.typed, env=host.env, cwd=host.cwd, timeout=timeout,
                                  prompt=DEFAULT_PROMPT if block.prompt is None else block.prompt,
                                  limit=commands.settings.max_output_bytes, started=PROCESSES.started,
                                  ended=PROCESSES.ended, started_inside=_container_running(host, argv))
        except Stuck as exc:
            commands.guard.raise_if_interrupted()
            line = command.typed[exc.index].line if exc.index < len(command.typed) else command.line
            shown = exc.screen if len(exc.screen) <= 4000 else "[... cut ...]\n" + exc.screen[-4000:]
            screen = "".join(f"  | {ln}\n" for ln in shown.splitlines())
            raise SessionStuck(commands.where, line, f"{exc.reason}; " + (f"the screen:\n{screen}" if screen else
                                                                         "the screen is empty\n")
                               + "(everything the page created is removed)") from None
        return Result(run.screen, run.returncode, 0.0, truncated=run.truncated, events=run.events,
                      typed_at=run.typed_at)

    def output(self, command: Command, record: CommandRecord | None) -> str:
        """The screen the command left, with each typed line marked where it was typed: its text as the program
        echoed it, and keys (which show nothing, or `^C`) as badges. Without a recording: the typed lines as
        written."""
        if record is None:
            return "".join(f'<span class="gp">&gt; </span><span class="docexec-typed">{escape(t.written)}</span>\n'
                           for t in command.typed)
        lines = record.output.removesuffix("\n").split("\n") if record.output else []
        marks: dict[int, list[tuple[int, Typed]]] = {}
        for line, (row, column) in zip(command.typed, record.typed_at, strict=False):
            marks.setdefault(min(row, len(lines)), []).append((column, line))
        if len(lines) in marks:
            lines.append("")
        shown = []
        for row, text in enumerate(lines):
            shown.append(_marked(text, sorted(marks.get(row, ()), key=lambda m: m[0])))
        return f'<span class="go">{"".join(line + chr(10) for line in shown)}</span>' if shown else ""

    def output_label(self, labels: Labels) -> str:
        return labels.session_output

    def copy(self, block: Block, root_vars: frozenset[str], labels: Labels) -> str:
        """The first command, then the rest as comments: what to type inside the container, and the commands to run
        back on the host. A paste must not put a line into the wrong shell, and where the lines after a command
        that takes over the terminal go depends on the reader's shell: bash 5.1+ (bracketed paste) runs them
        itself after the container's program ends, sh and older bash leave them to the container's program. A
        comment does nothing in either (docs/maintainers/writing.md, 终端会话)."""
        first, *rest = block.commands
        lines = [first.display]
        if first.typed or rest:
            lines.append(f"# {labels.session_copy_note}")
        for n, command in enumerate(block.commands):
            if n:
                lines.append(f"# {labels.session_copy_host}")
                lines.extend(f"#   {line}" for line in command.display.split("\n"))
            if command.typed:
                lines.append(f"# {labels.session_copy_typed}")
                lines.extend(f"#   {_typed_words(typed, labels)}" for typed in command.typed)
        return "\n".join(lines)


def _typed_words(typed: Typed, labels: Labels) -> str:
    """A `> ` line as the copy's comment says it: its text, or the keys to press."""
    if typed.keys_only:
        return labels.session_copy_keys.format(keys=" ".join(key_label(k) for k in typed.keys))
    return typed.written


def _container_running(host: Host, argv: Sequence[str]) -> Callable[[], bool] | None:
    """For `docker run ... --name X ...` in a session: whether X runs yet (typing waits for it); None otherwise.
    The name is read with the lint's own docker grammar, so every spelling counts and a `--name` after the image
    (an argument of the container's command) does not."""
    if not argv or Path(argv[0]).name != "docker":
        return None
    try:
        verb, i = resolve_verb(argv)
        if verb != "container run":
            return None
        name = dict(iter_options(argv, split_call(argv, verb, i))).get("--name")
    except Refused:
        return None
    if not name:
        return None
    client = host.daemon.client

    def running() -> bool:
        try:
            return bool(client.api.inspect_container(name)["State"]["Running"])
        except Exception:  # not created yet, or the daemon is busy: not running
            return False

    return running


def _marked(text: str, marks: list[tuple[int, Typed]]) -> str:
    out, pos = [], 0
    for column, typed in marks:
        at = min(_index_of_column(text, column), len(text))  # past the end: a blank the screen text has not kept
        if at < pos:
            continue
        out.append(escape(text[pos:at]))
        pos = at
        if typed.keys_only:
            out.append("".join(f'<kbd class="docexec-key">{html.escape(key_label(k))}</kbd>' for k in typed.keys))
        elif typed.text and text.startswith(typed.text, at):
            out.append(f'<span class="docexec-typed">{escape(typed.text)}</span>')
            pos = at + len(typed.text)
    out.append(escape(text[pos:]))
    return "".join(out)


def _index_of_column(text: str, column: int) -> int:
    """The index in `text` of the character at a terminal column (wide characters take two)."""
    width = 0
    for index, char in enumerate(text):
        if width >= column:
            return index
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return len(text) + max(0, column - width)


SESSION = register(Session())
