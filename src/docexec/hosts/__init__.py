"""Where commands run and what the engine asks a Docker daemon itself: the backends (a lab per page, or the
shared daemon; `mode` chooses), the `spares` mkdocs serve keeps, `daemon` (the SDK client) with its `janitor` and
`image_builder`, the lesson `images`, and the lock that keeps one recording per daemon. Imports `core`,
`userland`, `lab`, `page`."""
