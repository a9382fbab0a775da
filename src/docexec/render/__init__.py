"""A page's executed blocks as HTML: `html` (transcripts, engine tabs, notes), the SuperFences `fence`, the copy
line's `sudo`, and the `wording` a site can translate. Imports `page`, `store` and `term`; never runs anything."""
