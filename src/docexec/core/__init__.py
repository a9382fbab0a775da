"""The ground floor: the settings (the project's, read from pyproject.toml and the environment; one engine's; what
one run's checks see), the errors every layer raises, the labels docexec puts on Docker objects, and the Ctrl-C
policy. Imports nothing of docexec."""
