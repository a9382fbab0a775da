"""Running a page's commands: `runner` (a Session and its Commands; `Runs`, what it asks of an exec kind), the
expansion of a command line and its pipelines, the PTY `terminal` for sessions, what the engine adds to docker
commands (`tracking`), and `where` a book's pages run. Imports every layer below it (`hosts`, `policy`, `store`
...)."""
