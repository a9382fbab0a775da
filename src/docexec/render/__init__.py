"""A page's executed blocks as HTML: `html` (transcripts, engine tabs, notes), the SuperFences `fence`, the copy
line's `sudo`, the `wording` a site can translate, and `kinds` (what rendering asks of an exec kind). Imports
`page` and `store`; never runs anything."""
