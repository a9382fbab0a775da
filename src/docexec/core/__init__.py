"""The ground floor: settings read from pyproject.toml and the environment, the errors every layer raises, the
labels docexec puts on Docker objects, and the Ctrl-C policy. Imports nothing of docexec."""
