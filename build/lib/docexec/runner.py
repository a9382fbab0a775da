"""Run one page as one session: its commands in order, on a real daemon, and clean up whatever happens.

Page text never reaches a shell: each command line is parsed by `shellwords`, checked by `policy`, and its
programs are started directly, connected by pipes when the line has `|`.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType

from .blocks import Block, Command, Page
from .config import Config
from .daemon import IMAGE_LABEL, LABEL, Daemon
from .errors import CommandFailed, DaemonUnavailable, DocexecError, PageError
from .hosts import Backend, Host
from .normalize import scrub_labels
from .policy import UNKNOWN, DockerCall, Refused, check_argv, check_typed, iter_options
from .shellwords import ShellCommand, expand
from .terminal import Event

OWNED_TARGETS = {  # verbs that change an object: the page must have created it
    "container stop": "container", "container kill": "container", "container rm": "container",
    "container restart": "container", "container pause": "container", "container unpause": "container",
    "container rename": "container", "container exec": "container", "container cp": "container",
    "network rm": "network", "volume rm": "volume", "container attach": "container",
}


@dataclass(frozen=True)
class Result:
    output: str
    returncode: int
    duration: float
    timed_out: bool = False
    truncated: bool = False
    events: tuple[Event, ...] = ()  # exec="session": the terminal's byte stream, for a replay
    typed_at: tuple[tuple[int, int], ...] = ()  # exec="session": where each `> ` line was typed on the screen


class SessionStuck(PageError):
    """A terminal session's program was not ready for a typed line, or never ended; the message shows the screen.
    Cleanup runs as for any failing page."""


class Interrupted(DocexecError):
    """SIGTERM or SIGHUP arrived while a page was running; cleanup has run."""


class Session:
    """A page's run. Use as a context manager: entering makes the page's hosts (a lab, or the shared daemon with
    its checks); leaving removes everything the page created."""

    def __init__(self, page: Page, config: Config, backend: Backend, *,
                 notify: Callable[[str], None] = print, progress: Callable[[str], None] | None = None) -> None:
        self.page, self.config, self.backend = page, config, backend
        self.notify = notify
        self.progress = progress  # told each command as it starts (live progress of a recording)
        self.run_id = backend.run_id
        self.variables: dict[str, str] = {}
        self.hosts: dict[str, Host] = {}
        self.checks = config
        self._old_handlers: dict[int, object] = {}
        self._line = ""
        self._signal = 0

    @property
    def mode(self) -> str:
        return self.backend.mode

    def host(self, block: Block | None = None) -> Host:
        """The host a block runs on: the one its host="..." names, or the page's first."""
        name = block.host if block is not None and block.host else self.page.hosts[0]
        return self.hosts[name]

    # ----------------------------------------------------------------------------------------------
    # lifecycle

    def __enter__(self) -> Session:
        _OPEN.add(self)
        try:
            self._install_signal_handlers()
            self._raise_if_interrupted()
            self.hosts = self.backend.__enter__()
            self.variables = {"PWD": self.host().workdir}
            # The policy checks paths against the working folder the commands really get (/lab in a lab).
            self.checks = dataclasses.replace(self.config, workdir=Path(self.host().workdir),
                                              isolated=self.backend.mode == "lab")
        except BaseException:
            _OPEN.discard(self)
            self._restore_signal_handlers()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(failing=exc is not None)

    def close(self, *, failing: bool = False) -> None:
        """Remove what the page created. Safe to call twice; never touches objects of other runs."""
        try:
            if self in _OPEN:
                self.backend.close(failing=failing)
        finally:
            _OPEN.discard(self)
            self._restore_signal_handlers()

    def engine(self) -> dict[str, str]:
        """Versions and facts written beside the recording: the first host's engine, the CLI that ran the
        commands, and how the page ran (in a lab, or on the shared daemon)."""
        host = self.host()
        facts = dict(host.daemon.engine())
        key = f"{self.backend.mode}\0{host.env['PATH']}\0{self.config.cli}"  # these find the same docker CLI
        if key not in _CLIENT_VERSIONS:  # asked once per process: running the CLI costs about 50 ms a page
            version = run_pipeline([host.wrap(["docker", "version", "--format", "{{.Client.Version}}"])],
                                   env=host.env, cwd=host.cwd, timeout=20, limit=4096, split_stdout=True)
            _CLIENT_VERSIONS[key] = version.stdout.strip()
        facts["client"] = _CLIENT_VERSIONS[key]
        facts["mode"] = self.backend.mode
        if len(self.page.hosts) > 1:
            facts["hosts"] = ", ".join(self.page.hosts)
        return facts

    def _install_signal_handlers(self) -> None:
        """SIGINT, SIGTERM and SIGHUP stop the running command (its whole process group) and then the page, at a
        point where cleanup can run. Only the main thread can install handlers; pages run in other threads are
        stopped through `interrupt_all` by whoever owns the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return

        def interrupted(signum: int, frame: FrameType | None) -> None:
            self._signal = signum
            if _ACTIVE:
                for pgid in list(_ACTIVE):
                    _kill_group(pgid)
            else:
                self._raise_if_interrupted()

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, interrupted)

    def _raise_if_interrupted(self) -> None:
        signum = self._signal or _STOP[0]
        if signum:
            self._signal = 0
            raise Interrupted(f"stopped by {signal.Signals(signum).name} while running {self.page.name}; "
                              "everything the page created was removed")

    def _restore_signal_handlers(self) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._old_handlers.clear()

    # ----------------------------------------------------------------------------------------------
    # running

    def run(self, block: Block, command: Command, *, check: bool = True) -> Result:
        """Run one command; with `check`, an exit code other than the block's raises CommandFailed."""
        assert command.shell is not None, "blocks with run=\"no\" are never run"
        self._line = command.text
        if self.progress:
            self.progress(command.text)
        timeout = block.timeout or self.config.default_timeout
        start = time.monotonic()
        try:
            if block.kind == "session":
                result = self._session(block, command, command.shell, timeout)
            else:
                result = self._execute(block, command, command.shell, timeout)
            while (block.retry and result.returncode != block.returncode and not result.timed_out
                   and time.monotonic() - start < block.retry):
                time.sleep(0.2)  # something finishes asynchronously (a namespace torn down, a server starting)
                self._raise_if_interrupted()
                result = self._execute(block, command, command.shell, timeout)
        except Refused as exc:
            raise PageError(self.page.where or self.page.name, command.line, exc.message) from None
        except KeyError as exc:
            raise PageError(self.page.where or self.page.name, command.line,
                            f"${exc.args[0]} is not set: assign it first with {exc.args[0]}=$(command)") from None
        self._raise_if_interrupted()
        # The output as a reader would see it: without the labels the engine added to track objects.
        labels = (LABEL, IMAGE_LABEL)
        result = dataclasses.replace(result, output=scrub_labels(result.output, labels),
                                     duration=time.monotonic() - start,
                                     events=tuple((t, k, scrub_labels(d, labels)) for t, k, d in result.events))
        if result.returncode not in (0, block.returncode) and not self.host(block).daemon.answers():
            raise DaemonUnavailable(
                f"{self.page.where or self.page.name}:{command.line}: the Docker daemon stopped answering while "
                f"running «{command.text}». Nothing was recorded; the previous recordings are untouched, and what "
                "the page created is removed by the next run once the daemon is back.")
        if check and (result.timed_out or result.returncode != block.returncode):
            raise CommandFailed(self.page.where or self.page.name, command.line, command.text, block.returncode,
                                None if result.timed_out else result.returncode, result.output,
                                timed_out=result.timed_out, timeout=timeout)
        return result

    def _execute(self, block: Block, command: Command, shell: ShellCommand, timeout: float) -> Result:
        deadline = time.monotonic() + timeout
        notes: list[str] = []  # stderr of $(...) goes to the terminal, as in a shell
        status = [0]

        def substitute(inner: ShellCommand) -> str:
            argvs = self._argvs(block, inner, substitute)
            res = self._pipeline(block, argvs, max(0.1, deadline - time.monotonic()), split_stdout=True)
            if res.timed_out:
                raise _SubstitutionTimedOut(res)
            notes.append(res.output)
            status[0] = res.returncode
            return res.stdout

        try:
            if shell.assign:
                self.variables[shell.assign] = "\n".join(
                    expand(shell.stages[0][0], self.variables, substitute))
                return Result("".join(notes), status[0], 0.0)
            argvs = self._argvs(block, shell, substitute)
        except _SubstitutionTimedOut as exc:
            return Result("".join(notes) + exc.result.output, 124, 0.0, timed_out=True)
        res = self._pipeline(block, argvs, max(0.1, deadline - time.monotonic()), split_stdout=False)
        return Result("".join(notes) + res.output, res.returncode, 0.0, res.timed_out, res.truncated)

    def _session(self, block: Block, command: Command, shell: ShellCommand, timeout: float) -> Result:
        """Run a session's command in a terminal of its own on the block's host and type its `> ` lines."""
        from .terminal import DEFAULT_PROMPT, Stuck, run_in_terminal

        where = self.page.where or self.page.name
        for typed in command.typed:  # again with this run's rules (the lab LAN only where there is a lab)
            try:
                check_typed(typed.text, self.checks)
            except Refused as exc:
                raise PageError(where, typed.line, exc.message) from None
        deadline = time.monotonic() + timeout

        def substitute(inner: ShellCommand) -> str:
            argvs = self._argvs(block, inner, substitute)
            res = self._pipeline(block, argvs, max(0.1, deadline - time.monotonic()), split_stdout=True)
            if res.timed_out or res.returncode:
                raise Refused(f"$({inner.text}) failed (exit code {res.returncode}): {res.output.strip()[:200]}")
            return res.stdout

        (argv,) = self._argvs(block, shell, substitute)
        host = self.host(block)
        try:
            run = run_in_terminal(host.wrap(argv), command.typed, env=host.env, cwd=host.cwd, timeout=timeout,
                                  prompt=DEFAULT_PROMPT if block.prompt is None else block.prompt,
                                  limit=self.config.max_output_bytes, started=_ACTIVE.add, ended=_ACTIVE.discard)
        except Stuck as exc:
            self._raise_if_interrupted()
            line = command.typed[exc.index].line if exc.index < len(command.typed) else command.line
            shown = exc.screen if len(exc.screen) <= 4000 else "[... cut ...]\n" + exc.screen[-4000:]
            screen = "".join(f"  | {ln}\n" for ln in shown.splitlines())
            raise SessionStuck(where, line, f"{exc.reason}; " + (f"the screen:\n{screen}" if screen else
                                                                "the screen is empty\n")
                               + "(everything the page created is removed)") from None
        return Result(run.screen, run.returncode, 0.0, truncated=run.truncated, events=run.events,
                      typed_at=run.typed_at)

    def _argvs(self, block: Block, shell: ShellCommand,
               substitute: Callable[[ShellCommand], str]) -> list[list[str]]:
        """Expand, check and prepare every stage of a pipeline."""
        argvs = []
        for n, stage in enumerate(shell.stages):
            argv = [arg for word in stage for arg in expand(word, self.variables, substitute)]
            call = check_argv(argv, kind=block.kind, page=self.page.name, config=self.checks, stage=n,
                              line=self._line)
            if call is not None:
                argv = self._prepare_docker(self.host(block).daemon, argv, call)
            argvs.append(argv)
        return argvs

    def _prepare_docker(self, daemon: Daemon, argv: list[str], call: DockerCall) -> list[str]:
        """Track what the command creates (a label the page does not show) and check what it changes."""
        kind = OWNED_TARGETS.get(call.verb)
        if kind:
            targets = list(call.positionals[:1]) if call.verb in ("container exec", "container rename") else \
                [p.split(":", 1)[0] for p in call.positionals if ":" in p] if call.verb == "container cp" else \
                list(call.positionals)
            for target in targets:
                if not daemon.owns(kind, target, self.run_id):
                    raise Refused(f"{kind} '{target}' was not created by this page: pages only change what they "
                                  "create")
        connects = call.verb in ("network connect", "network disconnect") and len(call.positionals) >= 2
        if connects and not daemon.owns("container", call.positionals[1], self.run_id):
            raise Refused(f"container '{call.positionals[1]}' was not created by this page")
        extra: list[str] = []
        if call.verb in ("container run", "container create"):
            options = iter_options(argv, call)
            flags = {flag for flag, _ in options}
            extra = ["--label", f"{LABEL}={self.run_id}", "--pull", "never"]
            if "--memory" not in flags:
                extra += ["--memory", self.config.memory_limit]
            if "--pids-limit" not in flags:
                extra += ["--pids-limit", str(self.config.pids_limit)]
            for name in _named_volumes(options):
                if not daemon.volume_exists(name):
                    daemon.create_volume(name, self.run_id)
        elif call.verb in ("network create", "volume create"):
            extra = ["--label", f"{LABEL}={self.run_id}"]
        if not extra:
            return argv
        at = call.verb_index + 1
        return [*argv[:at], *extra, *argv[at:]]

    def _pipeline(self, block: Block, argvs: list[list[str]], timeout: float, *,
                  split_stdout: bool) -> _PipeResult:
        host = self.host(block)
        return run_pipeline([host.wrap(argv) for argv in argvs], env=host.env, cwd=host.cwd, timeout=timeout,
                            limit=self.config.max_output_bytes, split_stdout=split_stdout)


_CLIENT_VERSIONS: dict[str, str] = {}
_OPEN: set[Session] = set()  # sessions not yet closed, for the exit handler below


@atexit.register
def _close_open_sessions() -> None:
    """The process is ending with a page still running: `mkdocs serve` runs rebuilds in a daemon thread, so after
    Ctrl-C its main thread exits without unwinding that thread. Stop the page's commands and remove what it made."""
    for pgid in list(_ACTIVE):
        _kill_group(pgid)
    for session in list(_OPEN):
        with contextlib.suppress(Exception):
            session.backend.emergency_close()


_STOP = [0]  # a signal number once the whole process has been asked to stop: every running page stops


def interrupt_all(signum: int) -> None:
    """Stop every page running in any thread: kill their running commands; each page then raises Interrupted at
    its next safe point and removes what it created (for `docexec record -j`, whose pages run in threads)."""
    _STOP[0] = signum
    for pgid in list(_ACTIVE):
        _kill_group(pgid)


class _SubstitutionTimedOut(Exception):
    def __init__(self, result: _PipeResult) -> None:
        self.result = result


def _named_volumes(options: list[tuple[str, str | None]]) -> list[str]:
    names = []
    for flag, value in options:
        if not value or UNKNOWN in value:
            continue
        if flag == "--volume":
            source = value.split(":", 1)[0]
            if ":" in value and source and not source.startswith(("/", ".")):
                names.append(source)
        elif flag == "--mount":
            fields = dict(f.partition("=")[::2] for f in value.split(","))
            named = fields.get("source") or fields.get("src")
            if fields.get("type", "volume") == "volume" and named:
                names.append(named)
    return names


# --------------------------------------------------------------------------------------------------
# processes


@dataclass(frozen=True)
class _PipeResult:
    output: str  # what a terminal would show (stdout and stderr, interleaved)
    stdout: str  # with split_stdout: the last stage's stdout alone
    returncode: int
    timed_out: bool
    truncated: bool


def run_pipeline(argvs: list[list[str]], *, env: dict[str, str], cwd: Path, timeout: float, limit: int,
                 split_stdout: bool = False) -> _PipeResult:
    """Start `argvs` connected by pipes, in one process group, with no terminal and no stdin.
    At the deadline the whole group is killed and what was printed so far is kept."""
    term_r, term_w = os.pipe()
    out_r, out_w = os.pipe() if split_stdout else (None, term_w)
    readers = [_Reader(term_r, limit)] + ([_Reader(out_r, limit)] if out_r is not None else [])
    for reader in readers:
        reader.thread.start()
    procs: list[subprocess.Popen[bytes]] = []
    previous: int | None = None
    try:
        for n, argv in enumerate(argvs):
            last = n == len(argvs) - 1
            read_end, write_end = (None, out_w) if last else os.pipe()
            try:
                procs.append(subprocess.Popen(
                    argv, stdin=previous if previous is not None else subprocess.DEVNULL, stdout=write_end,
                    stderr=term_w, env=env, cwd=cwd, process_group=0 if n == 0 else procs[0].pid,
                    close_fds=True))
                if n == 0:
                    _ACTIVE.add(procs[0].pid)
            except FileNotFoundError:
                if procs:
                    _kill_group(procs[0].pid)
                if not cwd.is_dir():
                    raise DocexecError(f"the page's working directory {cwd} disappeared while it ran") from None
                raise DocexecError(f"'{argv[0]}' is not installed on this machine") from None
            finally:
                if previous is not None:
                    os.close(previous)
                if not last:
                    os.close(write_end)
            previous = read_end
    finally:
        os.close(term_w)
        if out_r is not None:
            os.close(out_w)
        if previous is not None:
            os.close(previous)
    deadline = time.monotonic() + timeout
    timed_out = False
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
            break
    if timed_out:
        _kill_group(procs[0].pid)
        for proc in procs:
            proc.wait()
    for r in readers:
        r.thread.join(timeout=5)
    _ACTIVE.discard(procs[0].pid)
    code = procs[-1].returncode
    if code < 0:
        code = 128 - code
    term = readers[0]
    return _PipeResult(output=term.text(), stdout=readers[1].text() if len(readers) > 1 else "",
                       returncode=124 if timed_out else code, timed_out=timed_out,
                       truncated=any(r.truncated for r in readers))


_ACTIVE: set[int] = set()  # process groups of running commands, killed when the page is interrupted


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


class _Reader:
    """Drain a pipe in a thread, keeping at most `limit` bytes."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd, self.limit = fd, limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.total = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)

    def _drain(self) -> None:
        with open(self.fd, "rb", buffering=0, closefd=True) as pipe:
            while chunk := pipe.read(65536):
                self.total += len(chunk)
                room = self.limit - self.size
                if room > 0:
                    self.chunks.append(chunk[:room])
                    self.size += min(room, len(chunk))

    @property
    def truncated(self) -> bool:
        return self.total > self.limit

    def text(self) -> str:
        text = clean_output(b"".join(self.chunks))
        if self.truncated:
            text += f"\n[docexec: output cut at {self.limit} of {self.total} bytes]\n"
        return text


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_output(data: bytes) -> str:
    """Bytes as a reader's terminal would show them, as UTF-8 text: invalid bytes become U+FFFD, colour and other
    escape sequences are removed, carriage returns are resolved, other control characters are made visible."""
    text = data.decode("utf-8", errors="replace")
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n")
    text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


