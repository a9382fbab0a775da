"""The exec kinds, one module each (`docker`: the docker CLI; `host`: read-only host tools, and docker; `session`:
docker commands in a terminal, with the lines typed into them; `file`: a file written to the page's working folder),
and what a kind is (`base.Kind`: what its blocks
take, what their commands may be, how one runs, how its blocks show). Each module registers its kind (page.kinds)
when imported; importing this package imports every module in it, in the order of their names, so a new kind is
one new module here and nothing else. Imports every layer below it (`page`, `policy`, `run`, `render` ...); the
book imports it."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")  # each registers its kind (base registers none)
