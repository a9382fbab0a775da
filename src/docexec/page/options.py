"""Read and check the options of an exec fence's info string: ```console exec="docker" id="x" returncode="1"```.

Values are quoted, as SuperFences (which renders the site) requires: it ignores a fence with a bare `key=value`
and shows its text as it is.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from docexec.core.errors import PageError
from docexec.page import kinds
from docexec.page.frontmatter import HOST_NAME
from docexec.page.kinds import ExecKind

Kind = str  # the name of a registered exec kind (page.kinds): what exec="..." says

OPTION = re.compile(r"""(?x)
    \s*(?P<key>[A-Za-z][A-Za-z0-9_-]*)
    =(?: "(?P<dq>[^"]*)" | '(?P<sq>[^']*)' )
""")
SUPERFENCES_OPTION = re.compile(r"""(?P<key>[a-zA-Z][a-zA-Z0-9_]*)(?:=(?P<quot>"|')(?P<value>.*?)(?P=quot))?""")
BLOCK_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
OPTIONS = {
    "exec": 'what runs the commands, one of the registered exec kinds (docexec.kinds): "docker" (the docker CLI), '
            '"host" (read-only host tools, and docker), "session" (docker commands in a terminal, with the lines '
            'typed into them as `> ` lines), "file" (the block\'s text is a file, written before the next blocks '
            'run), or "topology" (a picture of the lab\'s network, measured; the block\'s text is its caption)',
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
    "path": 'exec="file" only: where the block\'s text is written, relative to the page\'s working folder ($PWD)',
    "hosts": 'exec="topology" only: the page\'s hosts the picture shows, separated by spaces (default: every one)',
    "only": 'exec="topology" only: the containers whose network namespaces the picture shows (with the host\'s '
            "own), separated by spaces",
    "engines": "the only engines of the book (pyproject.toml [[tool.docexec.engines]]) the block runs, is recorded "
               'and is drift-checked on, e.g. engines="28.5" (several: separated by spaces or commas)',
}
ENGINE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,30}")  # as pyproject.toml names an engine


def is_exec(info: str) -> bool:
    """Whether a fence's info string has an `exec` option: the fence is then an exec block (also for SuperFences,
    whose option syntax this reads)."""
    lang, _, rest = info.strip().partition(" ")
    return any(m.group("key") == "exec" for m in SUPERFENCES_OPTION.finditer(info if "=" in lang else rest))


@dataclass(frozen=True)
class BlockOptions:
    """An exec fence's options, checked."""

    lang: str
    id: str
    kind: Kind
    returncode: int = 0
    timeout: float | None = None
    show: bool = True
    run: bool = True
    reason: str | None = None
    volatile: tuple[str, ...] = ()
    title: str | None = None
    retry: float | None = None
    host: str | None = None
    prompt: str | None = None
    path: str | None = None
    hosts: str | None = None  # exec="topology": the hosts shown, as written (the page checks they are its own)
    only: str | None = None  # exec="topology": the containers shown, as written
    engines: tuple[str, ...] | None = None  # engines="...": the only engines it runs on (None: every one)

    def runs_on(self, engine: str) -> bool:
        """Whether the block runs on the book's engine named `engine`."""
        return self.engines is None or engine in self.engines


def read_options(page: str, line: int, info: str) -> BlockOptions:
    """The options of the exec fence on `line`; PageError names the first problem."""
    lang, _, rest = info.strip().partition(" ")
    if "=" in lang:
        raise PageError(page, line, f"the fence needs a language before its options, e.g. ```console {info.strip()}")
    options = _pairs(page, line, rest)
    checked = _Checker(page, line, options)
    kind = checked.choice("exec", kinds.names(), "docker")
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
    timeout, retry = checked.seconds("timeout", 600), checked.seconds("retry", 60)
    show = checked.choice("show", ("yes", "no"), "yes") == "yes"
    run = checked.choice("run", ("yes", "no"), "yes") == "yes"
    reason = options.get("reason")
    if not run and not reason:
        raise PageError(page, line, 'run="no" needs reason="..." saying why the reader sees it but it is not run')
    if run and reason:
        raise PageError(page, line, 'reason="..." only goes with run="no"')
    if not run and not show:
        raise PageError(page, line, 'a block with run="no" and show="no" does nothing: remove it')
    volatile = (checked.pattern("volatile"),) if "volatile" in options else ()
    host = options.get("host")
    if host is not None and not HOST_NAME.fullmatch(host):
        raise PageError(page, line, f"host=\"{host}\" is not a valid host name")
    prompt = checked.pattern("prompt") if "prompt" in options else None
    engines = checked.engines() if "engines" in options else None
    if engines is not None and not run:
        raise PageError(page, line, 'engines="..." says where a block runs: a block with run="no" never does')
    problem = _kind_problem(kinds.get(kind), options)
    if problem:
        raise PageError(page, line, problem)
    return BlockOptions(lang=lang, id=block_id, kind=kind, returncode=returncode,
                        timeout=timeout, show=show, run=run, reason=reason, volatile=volatile,
                        title=options.get("title"), retry=retry, host=host, prompt=prompt, path=options.get("path"),
                        hosts=options.get("hosts"), only=options.get("only"), engines=engines)


def _kind_problem(kind: ExecKind, given: Mapping[str, str]) -> str | None:
    """What is wrong with the options for the block's kind: an option only other kinds take, or the kind's own
    rules (ExecKind.check_options)."""
    for key in given:
        owners = [other for other in kinds.registered() if key in other.options]
        if owners and kind not in owners:
            return (f'{key}="..." only goes with ' + " or ".join(f'exec="{o.name}"' for o in owners)
                    + f" ({owners[0].options[key]})")
    return kind.check_options(given)


def _pairs(page: str, line: int, rest: str) -> dict[str, str]:
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
        value = m.group("dq") if m.group("dq") is not None else m.group("sq")
        if key not in OPTIONS:
            close = difflib.get_close_matches(key, OPTIONS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise PageError(page, line, f"unknown block option '{key}'{hint}; known options: "
                                        + ", ".join(OPTIONS))
        if key in options:
            raise PageError(page, line, f"option '{key}' is given twice")
        options[key] = value
        pos = m.end()
    return options


@dataclass(frozen=True)
class _Checker:
    page: str
    line: int
    options: dict[str, str]

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.options.get(key, default)
        if value not in allowed:
            raise PageError(self.page, self.line, f"{key}=\"{value}\" is not allowed: use one of "
                                                  + ", ".join(f'"{a}"' for a in allowed))
        return value

    def seconds(self, key: str, maximum: float) -> float | None:
        if key not in self.options:
            return None
        try:
            value = float(self.options[key])
            if not 0 < value <= maximum:
                raise ValueError
        except ValueError:
            raise PageError(self.page, self.line, f"{key}=\"{self.options[key]}\" must be a number of seconds "
                                                  f"above 0 and at most {maximum:g}") from None
        return value

    def engines(self) -> tuple[str, ...]:
        """engines="28.5" or "20.10, 28.5": engine names (whether the book has them is checked where its engines
        are known, book.pageset)."""
        value = self.options["engines"]
        names = tuple(n for n in re.split(r"[\s,]+", value) if n)
        bad = [n for n in names if not ENGINE_NAME.fullmatch(n)]
        if not names or bad:
            raise PageError(self.page, self.line, f"engines=\"{value}\" must name engines of the book, separated by "
                                                  'spaces or commas, e.g. engines="28.5"')
        if len(set(names)) != len(names):
            raise PageError(self.page, self.line, f"engines=\"{value}\" names an engine twice")
        return names

    def pattern(self, key: str) -> str:
        value = self.options[key]
        try:
            re.compile(value)
        except re.error as exc:
            raise PageError(self.page, self.line, f"{key}=\"{value}\" is not a valid regular expression: {exc}") \
                from None
        return value
