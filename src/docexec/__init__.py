"""docexec: run the docker commands of Markdown pages in throwaway Docker hosts, record and check their outputs.

This module is the public API: what a site, a test or another tool may use (`__all__`, checked by
tests/test_api.py). Everything else lives in the layer packages and may change without notice.

    settings = docexec.load_config(root)             # [tool.docexec] of the project's pyproject.toml
    with docexec.Project(settings, mode="offline") as project:
        page = project.load_page("basics/docker0.md")  # parsed and checked; PageError names page and line
        stored = project.store.load(page)              # its recording on the first engine (None: never recorded)
        html = docexec.render_page(page, stored)       # the transcripts, as the site shows them

The engine's layers, lowest first (a package imports only the ones before it; tests/test_layers.py checks every
import): core, term, userland, lab, page, policy, hosts, store, run, render, kinds, book, drift, cli; then, at the
top, the adapters `docexec.mkdocs_plugin` and `docexec.pytest_plugin`, the command `docexec.__main__`, and this module.
The package knows nothing of MkDocs or pytest outside those adapters.
"""

from docexec.book.project import MODES, Outcome, Project
from docexec.core.config import (
    Allowance,
    EngineSettings,
    EngineSpec,
    NoProject,
    RunContext,
    Settings,
    find_root,
    load_config,
)
from docexec.core.errors import (
    CommandFailed,
    DaemonUnavailable,
    DocexecError,
    PageError,
    PageErrors,
    RecordingError,
    RefusedToRecord,
)
from docexec.lab import Lab, LabSettings, unsupported_reason
from docexec.page.model import Block, Command, Page, parse_file, parse_page
from docexec.policy.refusal import Refused
from docexec.render.html import Rendered, render_page
from docexec.store.recording import CommandRecord, PageRecording
from docexec.store.store import RecordingStore

__version__ = "0.1.0"

__all__ = [
    "MODES",
    "Allowance",
    "Block",
    "Command",
    "CommandFailed",
    "CommandRecord",
    "DaemonUnavailable",
    "DocexecError",
    "EngineSettings",
    "EngineSpec",
    "Lab",
    "LabSettings",
    "NoProject",
    "Outcome",
    "Page",
    "PageError",
    "PageErrors",
    "PageRecording",
    "Project",
    "RecordingError",
    "RecordingStore",
    "Refused",
    "RefusedToRecord",
    "Rendered",
    "RunContext",
    "Settings",
    "__version__",
    "find_root",
    "load_config",
    "parse_file",
    "parse_page",
    "render_page",
    "unsupported_reason",
]
