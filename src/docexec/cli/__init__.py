"""The `docexec` command: lint, status, record (with its live view), engines and clean. Imports `book` and
below."""
