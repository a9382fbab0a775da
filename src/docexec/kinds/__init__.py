"""The exec kinds, one module each (`docker`: the docker CLI; `host`: read-only host tools, and docker; `session`:
docker commands in a terminal, with the lines typed into them), and what a kind is (`base.Kind`: what its blocks
take, what their commands may be, how one runs, how its blocks show). Each module registers its kind (page.kinds)
when imported; importing this package imports them all. A new kind is a new module here, imported below. Imports
every layer below it (`page`, `policy`, `run`, `render` ...); the book imports it."""

from docexec.kinds import docker, host, session  # noqa: F401  (each registers its kind, in this order)
