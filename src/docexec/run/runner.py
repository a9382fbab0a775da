"""Run one page as one session: its commands in order, on a real daemon, and clean up whatever happens.

Page text never reaches a shell: each command line is parsed by `shellwords`, its words expanded by `expansion`,
checked by `policy` and `tracking`, and its programs are started directly by `pipeline` (or in a terminal by
`terminal`); `signals` stops them when the page is interrupted. How a block's command runs is its exec kind's
choice (`Runs`, what running asks of a kind: page.kinds).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from docexec.core.config import EngineSettings, RunContext, Settings
from docexec.core.errors import CommandFailed, DaemonUnavailable, DocexecError, PageError
from docexec.core.signals import PROCESSES, Interrupted, SignalGuard, interrupt_all
from docexec.hosts.backends import Backend, Host
from docexec.hosts.daemon import IMAGE_LABEL, LABEL
from docexec.page import kinds
from docexec.page.kinds import ExecKind
from docexec.page.model import Block, Command, Page
from docexec.page.shellwords import UnsetVariable
from docexec.policy.check import Refused, block_context, check_argv
from docexec.run.expansion import Expansion, Prepare, Run, Substitutions, SubstitutionTimedOut
from docexec.run.pipeline import PipeResult, run_pipeline
from docexec.run.terminal import Event
from docexec.run.tracking import Tracking
from docexec.store.normalize import scrub_labels

__all__ = ["Result", "Runs", "Session", "SessionStuck", "interrupt_all"]


@dataclass(frozen=True)
class Result:
    output: str
    returncode: int
    duration: float
    timed_out: bool = False
    truncated: bool = False
    events: tuple[Event, ...] = ()  # exec="session": the terminal's byte stream, for a replay
    typed_at: tuple[tuple[int, int], ...] = ()  # exec="session": where each `> ` line was typed on the screen
    figure: str = ""  # a pictured kind (page.kinds), when recorded: the picture of the output, an SVG (Runs.picture)


class SessionStuck(PageError):
    """A terminal session's program was not ready for a typed line, or never ended; the message shows the screen.
    Cleanup runs as for any failing page."""


class ClientVersions:
    """The docker CLI's version per way of finding it, asked once per process: running the CLI costs ~50 ms."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def of(self, host: Host, mode: str, cli: object) -> str:
        key = f"{mode}\0{host.env['PATH']}\0{cli}"  # these find the same docker CLI
        if key not in self._known:
            version = run_pipeline([host.wrap(["docker", "version", "--format", "{{.Client.Version}}"])],
                                   env=host.env, cwd=host.cwd, timeout=20, limit=4096, split_stdout=True)
            self._known[key] = version.stdout.strip()
        return self._known[key]


CLIENT_VERSIONS = ClientVersions()


class Session:
    """A page's run. Use as a context manager: entering makes the page's hosts (a lab, or the shared daemon with
    its checks); leaving removes everything the page created."""

    def __init__(self, page: Page, settings: Settings, engine: EngineSettings, backend: Backend, *,
                 notify: Callable[[str], None] = print, progress: Callable[[str], None] | None = None) -> None:
        # Seen on its engine: blocks limited to other engines (engines="...") are not executed (Page.on_engine).
        if page.engine is None:
            page = page.on_engine(engine.name, own_cli=engine.cli == engine.spec.cli)
        self.page, self.settings, self.backend = page, settings, backend
        self.engine_settings = engine  # what it runs on (engine(): the facts that engine reports)
        self.notify = notify
        self.progress = progress  # told each command as it starts (live progress of a recording)
        self.run_id = backend.run_id
        self.hosts: dict[str, Host] = {}
        self.guard = SignalGuard(page.name)
        self.commands: Commands | None = None  # made on entering, when the hosts are known

    @property
    def mode(self) -> str:
        return self.backend.mode

    def host(self, block: Block | None = None) -> Host:
        """The host a block runs on: the one its host="..." names, or the page's first."""
        return _host(self.page, self.hosts, block)

    # ----------------------------------------------------------------------------------------------
    # lifecycle

    def __enter__(self) -> Session:
        PROCESSES.opened(self)
        try:
            self.guard.install()
            self.guard.raise_if_interrupted()
            self.hosts = self.backend.__enter__()
            # The policy checks paths against the working folder the commands really get (/lab in a lab).
            checks = self.settings.run_context(Path(self.host().workdir), isolated=self.backend.mode == "lab")
            tracking = Tracking(self.run_id, self.settings, isolated=checks.isolated)
            self.commands = Commands(self.page, self.settings, checks, self.hosts, tracking, self.guard,
                                     self.progress)
        except BaseException as exc:
            PROCESSES.closed(self)
            self.guard.restore()
            if not isinstance(exc, Interrupted):
                self.guard.raise_if_interrupted()  # a signal that came while the backend removed what it made
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(failing=exc is not None)
        if not isinstance(exc, Interrupted):
            self.guard.raise_if_interrupted()  # a signal that came during the cleanup, now finished

    def close(self, *, failing: bool = False) -> None:
        """Remove what the page created. Safe to call twice; never touches objects of other runs. A signal that
        comes meanwhile waits until it is done."""
        with PROCESSES.cleanup():  # a signal meanwhile waits until it is done
            try:
                if PROCESSES.is_open(self):
                    self.backend.close(failing=failing)
            finally:
                PROCESSES.closed(self)
                self.guard.restore()

    def emergency_close(self) -> None:
        """At process exit with the page still running (see signals.Processes.at_exit)."""
        self.backend.emergency_close()

    def engine(self) -> dict[str, str]:
        """Versions and facts written beside the recording: the first host's engine, the CLI that ran the
        commands, and how the page ran (in a lab, or on the shared daemon)."""
        host = self.host()
        facts = dict(host.daemon.engine())
        facts["client"] = CLIENT_VERSIONS.of(host, self.backend.mode, self.engine_settings.cli)
        facts["mode"] = self.backend.mode
        if len(self.page.hosts) > 1:
            facts["hosts"] = ", ".join(self.page.hosts)
        return facts

    def run(self, block: Block, command: Command, *, check: bool = True) -> Result:
        """Run one command; with `check`, an exit code other than the block's raises CommandFailed. A block that
        does not run here (limited to other engines, Page.on_engine) is refused: it is not part of this run."""
        assert self.commands is not None, "a session runs commands once entered"
        if not (block.run and self.page.runs_here(block)):
            where = f"{self.page.where or self.page.name}:{block.line}"
            raise DocexecError(f"{where}: block {block.id} does not run on engine {self.engine_settings.name}"
                               + ("" if self.page.own_cli else " with this CLI") + " (engines=\"...\")")
        return self.commands.run(block, command, check=check)

    def picture(self, block: Block, output: str) -> str:
        """The picture of a pictured kind's recorded output (Runs.picture), drawn on the page's hosts."""
        assert self.commands is not None, "a session draws once entered"
        return kinds.get(block.kind, Runs).picture(self.commands, block, output)


def _host(page: Page, hosts: dict[str, Host], block: Block | None) -> Host:
    return hosts[block.host if block is not None and block.host else page.hosts[0]]


class Commands:
    """A page's commands on its hosts, once they are made: each line expanded (with the page's variables),
    checked, started, retried as its block says, and what went wrong said with the page's line."""

    def __init__(self, page: Page, settings: Settings, checks: RunContext, hosts: dict[str, Host],
                 tracking: Tracking, guard: SignalGuard, progress: Callable[[str], None] | None) -> None:
        self.page, self.hosts = page, hosts
        self.settings = settings
        self.checks = checks  # what this run's checks see: its working folder, whether in a lab
        self.tracking, self.guard, self.progress = tracking, guard, progress
        self.expansion = Expansion(_host(page, hosts, None).workdir)
        self.where = page.where or page.name
        self._line = ""

    def host(self, block: Block) -> Host:
        return _host(self.page, self.hosts, block)

    def run(self, block: Block, command: Command, *, check: bool = True) -> Result:
        self._line = command.text
        if self.progress:
            self.progress(command.text)
        timeout = block.timeout or self.settings.default_timeout
        start = time.monotonic()
        kind = kinds.get(block.kind, Runs)
        try:
            result = kind.run(self, block, command, timeout)
            while (block.retry and result.returncode != block.returncode and not result.timed_out
                   and time.monotonic() - start < block.retry):
                time.sleep(0.2)  # something finishes asynchronously (a namespace torn down, a server starting)
                self.guard.raise_if_interrupted()
                result = kind.run(self, block, command, timeout)
        except Refused as exc:
            raise PageError(self.where, command.line, exc.message) from None
        except UnsetVariable as exc:
            raise PageError(self.where, command.line,
                            f"${exc.name} is not set: assign it first with {exc.name}=$(command)") from None
        self.guard.raise_if_interrupted()
        # The output as a reader would see it: without the labels the engine added to track objects.
        labels = (LABEL, IMAGE_LABEL)
        result = dataclasses.replace(result, output=scrub_labels(result.output, labels),
                                     duration=time.monotonic() - start,
                                     events=tuple((t, k, scrub_labels(d, labels)) for t, k, d in result.events))
        if result.returncode not in (0, block.returncode) and not self.host(block).daemon.answers():
            raise DaemonUnavailable(
                f"{self.where}:{command.line}: the Docker daemon stopped answering while "
                f"running «{command.text}». Nothing was recorded; the previous recordings are untouched, and what "
                "the page created is removed by the next run once the daemon is back.")
        if check and (result.timed_out or result.returncode != block.returncode):
            raise CommandFailed(self.where, command.line, command.text, block.returncode,
                                None if result.timed_out else result.returncode, result.output,
                                timed_out=result.timed_out, timeout=timeout)
        return result

    def pipeline(self, block: Block, command: Command, timeout: float) -> Result:
        """The command expanded and run as a pipeline on the block's host (or, NAME=$(...), assigned)."""
        shell = command.shell
        assert shell is not None, "blocks with run=\"no\" are never run"
        substitute = self.substitutions(block, timeout)
        try:
            if shell.assign:
                self.expansion.assign(shell, substitute)
                return Result(substitute.printed, substitute.status, 0.0)
            argvs = substitute.argvs(shell)
        except SubstitutionTimedOut as exc:
            return Result(substitute.printed + exc.result.output, 124, 0.0, timed_out=True)
        res = self._run(block, split_stdout=False)(argvs, max(0.1, substitute.deadline - time.monotonic()))
        output = substitute.printed + res.output
        note = self.tracking.note(argvs)  # on the shared daemon: limits it shows that the book's output does not
        output += ("\n" if output[-1:] not in ("", "\n") else "") + note if note else ""
        return Result(output, res.returncode, 0.0, res.timed_out, res.truncated)

    def substitutions(self, block: Block, timeout: float, *, strict: bool = False) -> Substitutions:
        """How a command of the block is expanded (its `$(...)` run, each stage checked and tracked), within
        `timeout` seconds from now; `strict`: the command runs alone (see Substitutions)."""
        return Substitutions(self.expansion, self._prepare(block), self._run(block), time.monotonic() + timeout,
                             strict=strict)

    def _prepare(self, block: Block) -> Prepare:
        """How a stage's argv is checked (policy) and what it gets added (tracking), for this block."""
        context = block_context(self.settings, self.checks, block.engines, block.returncode)

        def prepare(stage: int, argv: list[str]) -> list[str]:
            call = check_argv(argv, kind=block.kind, page=self.page.name, context=context, stage=stage,
                              line=self._line)
            return argv if call is None else self.tracking.prepare(self.host(block).daemon, argv, call)

        return prepare

    def _run(self, block: Block, *, split_stdout: bool = True) -> Run:
        host = self.host(block)

        def run(argvs: list[list[str]], timeout: float) -> PipeResult:
            return run_pipeline([host.wrap(argv) for argv in argvs], env=host.env, cwd=host.cwd, timeout=timeout,
                                limit=self.settings.max_output_bytes, split_stdout=split_stdout)

        return run


class Runs(ExecKind):
    """What running a page asks of an exec kind: how one of its commands runs."""

    def run(self, commands: Commands, block: Block, command: Command, timeout: float) -> Result:
        """Run the command once, within `timeout` seconds (retry= runs it again; Commands.run checks and reports
        the result). The default: expanded and run as a pipeline on the block's host."""
        return commands.pipeline(block, command, timeout)

    def picture(self, commands: Commands, block: Block, output: str) -> str:
        """A pictured kind (page.kinds): the picture of a recorded output, an SVG, drawn only when a page is recorded
        (the drift check compares outputs, not pictures). The default: none."""
        return ""
