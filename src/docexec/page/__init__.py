"""The page model: fences, front matter, block options, the shell subset a command line is parsed with, and
`model` (Page, Block, Command, parse_page). Pure parsing, no processes. Imports `core`, `term` (typed lines) and
`lab.settings` (how many hosts a lab has)."""
