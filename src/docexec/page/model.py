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

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from docexec.core.errors import PageError, PageErrors, raise_all
from docexec.lab.settings import MAX_HOSTS
from docexec.page import kinds
from docexec.page.daemon import DaemonFiles
from docexec.page.fences import Abandoned, Fence, scan
from docexec.page.frontmatter import DEFAULT_HOST, front_matter_daemon, front_matter_engines, front_matter_hosts
from docexec.page.kinds import ExecKind
from docexec.page.lines import Command, read_commands
from docexec.page.options import OPTIONS, BlockOptions, Kind, is_exec, read_options

__all__ = ["MAX_HOSTS", "OPTIONS", "Block", "Command", "Kind", "Page", "parse_file", "parse_page"]


@dataclass(frozen=True, kw_only=True)
class Block(BlockOptions):
    """An exec block: its options (options.py; `host` None: the page's first host; `prompt` None:
    terminal.DEFAULT_PROMPT), where it is and its commands."""

    page: str
    line: int  # 1-based line of the opening fence
    end_line: int  # 1-based line of the closing fence
    commands: tuple[Command, ...]
    text: str = ""  # a kind that holds no commands (page.kinds): the block's text, its fences' prefix removed

    @property
    def exec_kind(self) -> ExecKind:
        """The block's exec kind (page.kinds), as the page sees it."""
        return kinds.get(self.kind)

    def key(self) -> dict[str, object]:
        """What, if changed, makes the block's recorded output stale."""
        key: dict[str, object] = {"id": self.id, "kind": self.kind, "returncode": self.returncode,
                                  "commands": [c.text for c in self.commands]}
        if self.host:
            key["host"] = self.host
        if self.engines is not None:
            key["engines"] = list(self.engines)
        if self.exec_kind.typed_lines:
            key["typed"] = [[t.written for t in c.typed] for c in self.commands]
            key["prompt"] = self.prompt
        if not self.exec_kind.holds_commands:
            key["text"] = self.text
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
    daemon: DaemonFiles = ()  # (host, its /etc/docker/daemon.json) from front matter daemon: and host-daemon:
    engine: str | None = None  # the engine it is seen on (on_engine; None: as written, every block of any engine)
    own_cli: bool = True  # seen with that engine's own CLI

    def on_engine(self, engine: str, *, own_cli: bool = True) -> Page:
        """The page as it runs on the book's engine `engine`: a block limited to others (engines="...") is not
        executed there (not run, recorded, checked nor in the digest). With another CLI (`own_cli` False: the drift
        check's CLI variants) no block limited to engines is: it shows what one engine's CLI does, another's not."""
        return self if (self.engine, self.own_cli) == (engine, own_cli) else \
            dataclasses.replace(self, engine=engine, own_cli=own_cli)

    def runs_here(self, block: Block) -> bool:
        """Whether the block runs where the page is seen (on_engine)."""
        return block.engines is None or self.engine is None or (self.own_cli and block.runs_on(self.engine))

    @property
    def executed(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.run and self.runs_here(b))

    @property
    def commands(self) -> list[tuple[Block, Command]]:
        return [(b, c) for b in self.executed for c in b.commands]

    def runs(self, *words: str) -> bool:
        """Whether a command of the page, in any stage of a pipeline, starts with `words` (docker compose)."""
        return any([w.plain for w in stage[:len(words)]] == list(words)
                   for _, command in self.commands if command.shell for stage in command.shell.stages)

    def plain_words(self) -> list[str]:
        """Every word of the executed commands that has no expansion (image names are found among them)."""
        return list(self._plain_words)

    @functools.cached_property
    def _plain_words(self) -> tuple[str, ...]:  # asked for by every digest of the page
        words = [w.plain for _, c in self.commands if c.shell for w in c.shell.words() if w.is_plain]
        # A file's words too (exec="file"): the image a Dockerfile's FROM or a compose file's `image:` names.
        words += [w.strip("\"'") for b in self.executed if not b.exec_kind.holds_commands
                  and b.exec_kind.text_names_images for w in b.text.split()]
        return tuple(words)

    def digest(self, extra: dict[str, str] | None = None) -> str:
        """A hash of everything that decides the page's outputs: its executed blocks, in order, and `extra`
        (the content hashes of the images it uses)."""
        return _hash({"blocks": [b.key() for b in self.executed], **self._context(extra)})

    def context_digest(self, extra: dict[str, str] | None = None) -> str:
        """A hash of what decides every block's output besides the blocks themselves: the images, the hosts and
        their daemon settings."""
        return _hash(self._context(extra))

    def _context(self, extra: dict[str, str] | None) -> dict[str, object]:
        context: dict[str, object] = {"extra": extra or {}}
        if self.hosts != (DEFAULT_HOST,):
            context["hosts"] = list(self.hosts)
        if self.daemon:
            context["daemon"] = [list(pair) for pair in self.daemon]
        return context


def _hash(payload: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def parse_page(name: str, source: str, where: str = "") -> Page:
    """All blocks of a page that opt in to execution, checked; raises PageError naming the problem (PageErrors
    when there are several). `where` is the page's path as messages show it (default: `name`)."""
    page, errors = parse_page_collecting(name, source, where)
    raise_all(errors)
    return page


def parse_page_collecting(name: str, source: str, where: str = "") -> tuple[Page, list[PageError]]:
    """The page with the blocks that parsed, and every problem found (a block with a problem is left out)."""
    where = where or name
    errors: list[PageError] = []

    def collect(exc: PageError) -> None:
        errors.extend(PageError(where if e.page == name else e.page, e.line, e.message)
                      for e in (exc.errors if isinstance(exc, PageErrors) else (exc,)))

    hosts: tuple[str, ...] = (DEFAULT_HOST,)
    engines: tuple[str, ...] | None = None
    engines_line = 0
    daemon: DaemonFiles = ()
    try:
        hosts = front_matter_hosts(name, source)
        daemon = front_matter_daemon(name, source, hosts)
    except PageError as exc:
        collect(exc)
    try:
        engines, engines_line = front_matter_engines(name, source)
    except PageError as exc:
        collect(exc)
    blocks: list[Block] = []
    seen: dict[str, int] = {}
    for fence in scan(source):
        if not is_exec(fence.info):
            continue
        try:
            block, problems = _checked_block(name, fence, hosts, seen)
            blocks.append(block)  # with problems too: its good commands are still checked (the page is refused)
            for problem in problems:
                collect(problem)
        except PageError as exc:
            collect(exc)
    page = Page(name=name, blocks=tuple(blocks), where=where, hosts=hosts, engines=engines,
                engines_line=engines_line, daemon=daemon)
    return page, errors


def _checked_block(name: str, fence: Fence | Abandoned, hosts: tuple[str, ...],
                   seen: dict[str, int]) -> tuple[Block, list[PageError]]:
    """The block and the problems of its commands; its other problems (options, id, host) are raised."""
    if isinstance(fence, Abandoned):
        raise PageError(name, fence.line, f"this exec block is not a fenced block: {fence.why} (the page would "
                                          "show its text as it is)")
    block, problems = _block(name, fence)
    if block.id in seen:
        raise PageError(name, block.line, f"duplicate block id '{block.id}' (first used on line "
                                          f"{seen[block.id]})")
    seen[block.id] = block.line
    for key, named in (("host", block.host), ("hosts", block.hosts)):
        for host in (named or "").split():
            if host not in hosts:
                declared = f"the page's hosts are {', '.join(hosts)}" if hosts != (DEFAULT_HOST,) else \
                    "the page declares no hosts (front matter `hosts: [host1, host2]`)"
                raise PageError(name, block.line, f"{key}=\"{named}\": {host} is not a host of this page: {declared}"
                                if key == "hosts" else f"host=\"{host}\" is not a host of this page: {declared}")
    return block, problems


def parse_file(path: Path, name: str, where: str = "") -> Page:
    """parse_page of the page at `path` (`name`: its name below the docs folder; `where`: as messages cite it)."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PageError(where or name, 1, f"the page is not valid UTF-8 ({exc.reason} at byte {exc.start})") \
            from None
    return parse_page(name, source, where)


def _block(page: str, fence: Fence) -> tuple[Block, list[PageError]]:
    options = read_options(page, fence.line, fence.info)
    kind = kinds.get(options.kind)
    fields = {f.name: getattr(options, f.name) for f in dataclasses.fields(BlockOptions)}
    if not kind.holds_commands:  # its text is data (a file's content): one command stands for what is done with it
        try:
            display = kind.text_command(fence.content, fields)
        except ValueError as exc:
            raise PageError(page, fence.line, str(exc)) from None
        return Block(page=page, line=fence.line, end_line=fence.end_line, text=fence.content,
                     commands=(Command(fence.line, display, None),), **fields), []
    commands, problems = read_commands(page, fence.line, fence.content, parse_shell=options.run,
                                   typed_lines=kind.typed_lines)
    return Block(page=page, line=fence.line, end_line=fence.end_line, commands=commands, **fields), problems
