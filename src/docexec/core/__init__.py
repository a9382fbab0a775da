"""The ground floor: settings read from pyproject.toml and the environment, the errors every layer raises, the
labels docexec puts on Docker objects, the Ctrl-C policy, and writing a file in one step (`files`). Imports nothing
of docexec."""
