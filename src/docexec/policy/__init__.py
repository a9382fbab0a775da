"""What a page may run, decided before anything runs: `check` is the one entry point (check_static,
check_typed; `Checks`, what it asks of an exec kind); the docker grammar and rules (from the CLIs' own option
table, docker_flags.json; `mounts`, the one reading of -v/--mount/--tmpfs), the host command grammar and rules
(both grammars read with the one option walker, `options_walker`), addresses, the project's allowances, and
`refusal` (the one Refused type). Imports `core` and `page`."""
