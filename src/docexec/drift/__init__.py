"""The drift check as pytest items: the variants (engine x CLI) a page is checked with, one item per command
comparing the output with its recording (`command`, `compare`, the CLIs' wording in `clis`), and the unused
recordings item. Imports `book` and below; `docexec.pytest_plugin` is its thin adapter."""
