"""docexec: run the docker commands of Markdown pages on a real daemon, record and check their outputs.

The package knows nothing of MkDocs or pytest internals; `docexec.mkdocs_plugin` (the MkDocs plugin) and
`docexec.pytest_plugin` are thin adapters around it.
"""

from __future__ import annotations

__version__ = "0.1.0"
