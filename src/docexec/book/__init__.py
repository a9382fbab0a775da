"""A book: its pages as the engine sees them (`pageset`: parsed, checked, their digests and status; it registers
the exec kinds, `docexec.kinds`) and the `project` that decides, page by page, whether to render, record or
refuse. Imports everything below it."""
