"""docexec: run the docker commands of Markdown pages in throwaway Docker hosts, record and check their outputs.

The package knows nothing of MkDocs or pytest internals; `docexec.mkdocs_plugin` (the MkDocs plugin) and
`docexec.pytest_plugin` are thin adapters around it.
"""

from __future__ import annotations

__version__ = "0.1.0"

# The layers, lowest first: a package imports only the packages before it (tests/test_layers.py checks every
# import); "*" is the modules at the top (the project, the adapters, this public API).
LAYERS = ("core", "term", "userland", "lab", "page", "policy", "hosts", "store", "run", "render", "book", "drift",
          "cli", "*")
