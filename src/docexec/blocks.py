"""Find the executable blocks of a Markdown page and check their options.

An executable block is a fenced code block whose info string has an `exec` option:

    ```console exec="docker" id="bridge-three"
    $ docker run -d --name master busybox sleep 1d
    $ docker exec master ip addr
    ```

GitHub shows it as an ordinary console block; the engine runs each `$ ` line and records its output.
A terminal session (`exec="session"`) also has `> ` lines: what is typed into the program its `$ ` line started
(see `terminal`).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .errors import PageError
from .shellwords import ShellCommand, ShellSyntaxError, join_continuations, parse
from .terminal import Typed, parse_typed

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

Kind = Literal["docker", "host", "session"]

OPTION = re.compile(r"""(?x)
    \s*(?P<key>[A-Za-z][A-Za-z0-9_-]*)
    =(?: "(?P<dq>[^"]*)" | '(?P<sq>[^']*)' | (?P<bare>[^\s"']+) )
""")
BLOCK_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
HOST_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
DEFAULT_HOST = "docker-host"  # the hostname of a page's only host
MAX_HOSTS = 8
OPTIONS = {
    "exec": 'what runs the commands: "docker" (the docker CLI), "host" (read-only host tools, and docker), or '
            '"session" (docker commands in a terminal, with the lines typed into them as `> ` lines)',
    "id": "a stable name, unique on the page: lowercase letters, digits and '-'",
    "returncode": "the exit code every command of the block must end with (default 0)",
    "timeout": "seconds each command may take before it is killed (default from pyproject.toml)",
    "show": '"no" runs the block but leaves it off the page (setup)',
    "run": '"no" shows the commands without running them; needs reason="..."',
    "reason": 'why a run="no" block is not run; shown to the reader',
    "volatile": "a regular expression: matching text is ignored by the drift check",
    "title": "a caption shown above the block",
    "host": "which of the page's hosts (front matter `hosts: [...]`) runs the block (default: the first)",
    "retry": "seconds to keep re-running each command until it ends with the expected exit code (for something the "
             "kernel or daemon finishes asynchronously); the last attempt is recorded",
    "prompt": 'exec="session" only: a regular expression for the program\'s prompt, left of the cursor, that a typed '
              "line waits for (default: a shell's, e.g. `/ # `)",
}
EXEC_FENCE_HINT = re.compile(r"^\s*(`{3,}|~{3,})[^\n]*\bexec=")

@functools.cache
def _markdown() -> MarkdownIt:
    """Only block structure matters (where fences are), so inline parsing is switched off: it is most of the cost.
    Imported on first use: a build whose pages all come from the page cache never loads it."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable("inline")


@dataclass(frozen=True)
class Command:
    line: int  # 1-based line of the `$ ` prompt in the page
    display: str  # as written after the prompt, continuation lines included
    shell: ShellCommand | None  # None in blocks that never run
    typed: tuple[Typed, ...] = ()  # exec="session": the `> ` lines typed into the program, in order

    @property
    def text(self) -> str:
        """The command on one line (continuations joined), as it is reported."""
        return join_continuations(self.display)


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # 1-based line of the opening fence
    end_line: int  # 1-based line of the closing fence
    id: str
    kind: Kind
    lang: str
    commands: tuple[Command, ...]
    returncode: int = 0
    timeout: float | None = None
    show: bool = True
    run: bool = True
    reason: str | None = None
    volatile: tuple[str, ...] = ()
    title: str | None = None
    retry: float | None = None
    host: str | None = None  # None: the page's first host
    prompt: str | None = None  # exec="session": what a typed line waits for (None: terminal.DEFAULT_PROMPT)

    def key(self) -> dict[str, object]:
        """What, if changed, makes the block's recorded output stale."""
        key: dict[str, object] = {"id": self.id, "kind": self.kind, "returncode": self.returncode,
                                  "commands": [c.text for c in self.commands]}
        if self.host:
            key["host"] = self.host
        if self.kind == "session":
            key["typed"] = [[t.written for t in c.typed] for c in self.commands]
            key["prompt"] = self.prompt
        return key

    def digest(self) -> str:
        """A hash of `key()`: kept per block in the recording, so that a stale page can tell which blocks changed."""
        return _hash(self.key())


@dataclass(frozen=True)
class Page:
    name: str  # path below docs/, e.g. "modes/bridge.md": names the recording
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    where: str = ""  # the path people see in messages, e.g. "docs/modes/bridge.md"
    hosts: tuple[str, ...] = (DEFAULT_HOST,)  # the Docker hosts of the page's lab, from its front matter
    engines: tuple[str, ...] | None = None  # front matter `engines:` (None: every engine of the book)
    engines_line: int = 0

    @property
    def executed(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.run)

    @property
    def commands(self) -> list[tuple[Block, Command]]:
        return [(b, c) for b in self.executed for c in b.commands]

    def plain_words(self) -> list[str]:
        """Every word of the executed commands that has no expansion (image names are found among them)."""
        return [w.plain for _, c in self.commands if c.shell for w in c.shell.words() if w.is_plain]

    def digest(self, extra: dict[str, str] | None = None) -> str:
        """A hash of everything that decides the page's outputs: its executed blocks, in order, and `extra`
        (the content hashes of the images it uses)."""
        return _hash({"blocks": [b.key() for b in self.executed], **self._context(extra)})

    def context_digest(self, extra: dict[str, str] | None = None) -> str:
        """A hash of what decides every block's output besides the blocks themselves: the images and the hosts."""
        return _hash(self._context(extra))

    def _context(self, extra: dict[str, str] | None) -> dict[str, object]:
        context: dict[str, object] = {"extra": extra or {}}
        if self.hosts != (DEFAULT_HOST,):
            context["hosts"] = list(self.hosts)
        return context


def _hash(payload: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def parse_page(name: str, source: str, where: str = "") -> Page:
    """All blocks of a page that opt in to execution, checked; raises PageError on the first problem.
    `where` is the page's path as messages show it (default: `name`)."""
    try:
        return _parse_page(name, source, where or name)
    except PageError as exc:
        if exc.page == name and where:
            raise PageError(where, exc.line, exc.message) from None
        raise


def _parse_page(name: str, source: str, where: str) -> Page:
    blocks: list[Block] = []
    seen: dict[str, int] = {}
    hosts = _front_matter_hosts(name, source)
    engines, engines_line = _front_matter_engines(name, source)
    for token in _markdown().parse(source):
        if token.type == "code_block" and token.map:
            for offset, text in enumerate(token.content.splitlines()):
                if EXEC_FENCE_HINT.match(text):
                    raise PageError(name, token.map[0] + offset + 1,
                                    "an exec block must not be indented (inside an admonition, list or tab): "
                                    "move it to the top level of the page")
        if token.type != "fence" or not token.map or "exec=" not in token.info:
            continue
        line = token.map[0] + 1
        if token.level > 0:
            raise PageError(name, line, "an exec block must be at the top level of the page, not inside a list "
                                        "or quote")
        block = _block(name, line, token.map[1], token.info, token.content)
        if block.id in seen:
            raise PageError(name, line, f"duplicate block id '{block.id}' (first used on line {seen[block.id]})")
        seen[block.id] = line
        if block.host is not None and block.host not in hosts:
            declared = f"the page's hosts are {', '.join(hosts)}" if hosts != (DEFAULT_HOST,) else \
                "the page declares no hosts (front matter `hosts: [host1, host2]`)"
            raise PageError(name, line, f"host=\"{block.host}\" is not a host of this page: {declared}")
        blocks.append(block)
    return Page(name=name, blocks=tuple(blocks), where=where, hosts=hosts, engines=engines, engines_line=engines_line)


FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


def _front_matter(name: str, source: str, key: str) -> dict[str, object] | None:
    """The page's YAML front matter, when it has `key` (None otherwise)."""
    match = FRONT_MATTER.match(source)
    if not match or key not in (match.group(1) or ""):
        return None
    import yaml

    try:
        meta = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PageError(name, 2 + (mark.line if mark else 0), f"the front matter is not valid YAML: {exc}") from None
    return meta if isinstance(meta, dict) and key in meta else None


def _front_matter_engines(name: str, source: str) -> tuple[tuple[str, ...] | None, int]:
    """The `engines:` list of the page's front matter: the only engines (of the book's) it runs on."""
    meta = _front_matter(name, source, "engines")
    if meta is None:
        return None, 0
    line = 1 + next((n for n, text in enumerate(source.splitlines()) if text.startswith("engines")), 0)
    engines = meta["engines"]
    if not isinstance(engines, list) or not engines or not all(isinstance(e, str) for e in engines):
        raise PageError(name, line, 'engines: must be a list of engine names in quotes, e.g. engines: ["20.10"]')
    return tuple(engines), line


def _front_matter_hosts(name: str, source: str) -> tuple[str, ...]:
    """The `hosts:` list of the page's YAML front matter: the lab hosts its blocks run on."""
    meta = _front_matter(name, source, "hosts")
    if meta is None:
        return (DEFAULT_HOST,)
    line = 1 + next((n for n, text in enumerate(source.splitlines()) if text.startswith("hosts")), 0)
    hosts = meta["hosts"]
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) for h in hosts):
        raise PageError(name, line, "hosts: must be a list of host names, e.g. hosts: [host1, host2]")
    if len(hosts) > MAX_HOSTS:
        raise PageError(name, line, f"hosts: at most {MAX_HOSTS} hosts on one page (a lab's LAN is 192.0.2.0/24)")
    for host in hosts:
        if not HOST_NAME.fullmatch(host):
            raise PageError(name, line, f"hosts: '{host}' is not a valid host name: lowercase letters, digits and "
                                        "'-', starting with a letter")
    if len(set(hosts)) != len(hosts):
        raise PageError(name, line, "hosts: a host name is given twice")
    return tuple(hosts)


def parse_file(path: Path, name: str, where: str = "") -> Page:
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PageError(where or name, 1, f"the page is not valid UTF-8 ({exc.reason} at byte {exc.start})") \
            from None
    return parse_page(name, source, where)


def _block(page: str, line: int, end: int, info: str, content: str) -> Block:
    lang, _, rest = info.strip().partition(" ")
    if "=" in lang:
        raise PageError(page, line, f"the fence needs a language before its options, e.g. ```console {info.strip()}")
    options: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        if rest[pos:].strip() == "":
            break
        m = OPTION.match(rest, pos)
        if not m:
            raise PageError(page, line, f"cannot read the fence options at «{rest[pos:].strip()}»: "
                                        'write them as key="value"')
        key = m.group("key")
        value = next(v for v in (m.group("dq"), m.group("sq"), m.group("bare")) if v is not None)
        if key not in OPTIONS:
            close = difflib.get_close_matches(key, OPTIONS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise PageError(page, line, f"unknown block option '{key}'{hint}; known options: "
                                        + ", ".join(OPTIONS))
        if key in options:
            raise PageError(page, line, f"option '{key}' is given twice")
        options[key] = value
        pos = m.end()

    def choice(key: str, allowed: tuple[str, ...], default: str) -> str:
        value = options.get(key, default)
        if value not in allowed:
            raise PageError(page, line, f"{key}=\"{value}\" is not allowed: use one of "
                                        + ", ".join(f'"{a}"' for a in allowed))
        return value

    kind = choice("exec", ("docker", "host", "session"), "docker")
    block_id = options.get("id")
    if block_id is None:
        raise PageError(page, line, 'an exec block needs an id, e.g. id="bridge-three" (it names the recording)')
    if not BLOCK_ID.fullmatch(block_id):
        raise PageError(page, line, f"id=\"{block_id}\" is not allowed: use lowercase letters, digits and '-'")
    try:
        returncode = int(options.get("returncode", "0"))
        if not 0 <= returncode <= 255:
            raise ValueError
    except ValueError:
        raise PageError(page, line, f"returncode=\"{options['returncode']}\" must be a whole number from 0 to 255") \
            from None
    def seconds(key: str, maximum: float) -> float | None:
        if key not in options:
            return None
        try:
            value = float(options[key])
            if not 0 < value <= maximum:
                raise ValueError
        except ValueError:
            raise PageError(page, line, f"{key}=\"{options[key]}\" must be a number of seconds above 0 and at "
                                        f"most {maximum:g}") from None
        return value

    timeout = seconds("timeout", 600)
    retry = seconds("retry", 60)
    show = choice("show", ("yes", "no"), "yes") == "yes"
    run = choice("run", ("yes", "no"), "yes") == "yes"
    reason = options.get("reason")
    if not run and not reason:
        raise PageError(page, line, 'run="no" needs reason="..." saying why the reader sees it but it is not run')
    if run and reason:
        raise PageError(page, line, 'reason="..." only goes with run="no"')
    if not run and not show:
        raise PageError(page, line, 'a block with run="no" and show="no" does nothing: remove it')
    volatile: tuple[str, ...] = ()
    if "volatile" in options:
        try:
            re.compile(options["volatile"])
        except re.error as exc:
            raise PageError(page, line, f"volatile=\"{options['volatile']}\" is not a valid regular expression: "
                                        f"{exc}") from None
        volatile = (options["volatile"],)

    host = options.get("host")
    if host is not None and not HOST_NAME.fullmatch(host):
        raise PageError(page, line, f"host=\"{host}\" is not a valid host name")
    session = kind == "session"
    prompt = options.get("prompt")
    if prompt is not None:
        if not session:
            raise PageError(page, line, 'prompt="..." only goes with exec="session" (the prompt a typed line '
                                        "waits for)")
        try:
            re.compile(prompt)
        except re.error as exc:
            raise PageError(page, line, f"prompt=\"{prompt}\" is not a valid regular expression: {exc}") from None
    if session and retry is not None:
        raise PageError(page, line, 'retry="..." does not go with exec="session": a session is typed once')
    commands = _commands(page, line, content, parse_shell=run, session=session)
    return Block(host=host, page=page, line=line, end_line=end, id=block_id, kind=kind,  # type: ignore[arg-type]
                 lang=lang, commands=commands, returncode=returncode, timeout=timeout, show=show, run=run,
                 reason=reason, volatile=volatile, title=options.get("title"), retry=retry, prompt=prompt)


def _commands(page: str, fence_line: int, content: str, *, parse_shell: bool,
              session: bool = False) -> tuple[Command, ...]:
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    commands: list[Command] = []
    i = 0
    while i < len(lines):
        number = fence_line + 1 + i
        text = lines[i]
        if not text.strip():
            i += 1
            continue
        if session and (text.startswith("> ") or text == ">"):
            if not commands:
                raise PageError(page, number, "a '> ' line types into the program of the '$ ' command above it: "
                                              "start the session with a '$ ' command")
            try:
                typed = parse_typed(number, text[2:])
            except ValueError as exc:
                raise PageError(page, number, str(exc)) from None
            last = commands[-1]
            commands[-1] = Command(last.line, last.display, last.shell, (*last.typed, typed))
            i += 1
            continue
        if not text.startswith("$ "):
            hint = ("; lines typed into a program ('> ') go in a terminal session block, exec=\"session\""
                    if text.startswith(">") else "")
            raise PageError(page, number, "an exec block holds only commands, each starting with '$ ' "
                                          f"(found «{text.strip()[:60]}»); outputs are recorded for you{hint}")
        display = [text[2:]]
        while display[-1].endswith("\\"):
            i += 1
            if i >= len(lines):
                raise PageError(page, number, "the last line ends with '\\' but no line follows")
            display.append(lines[i])
        joined = "\n".join(display)
        shell = None
        if parse_shell:
            try:
                shell = parse(join_continuations(joined))
            except ShellSyntaxError as exc:
                raise PageError(page, number, f"{exc.message} (in «{joined.strip()[:80]}»)") from None
            if session and (len(shell.stages) > 1 or shell.assign):
                raise PageError(page, number, "a session's command runs in the terminal on its own: no pipes and "
                                              "no NAME=$(...) (put those in an ordinary exec block)")
        commands.append(Command(line=number, display=joined, shell=shell))
        i += 1
    if not commands:
        raise PageError(page, fence_line, "the exec block is empty: add '$ ' commands or remove the block")
    return tuple(commands)
