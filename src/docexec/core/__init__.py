"""The ground floor: the settings (the project's, read from pyproject.toml and the environment; one engine's; what
one run's checks see), the errors every layer raises, the labels docexec puts on Docker objects, the Ctrl-C policy,
and writing a file in one step (`files`). Imports nothing of docexec."""
