"""The page model: fences, front matter (`daemon`: the settings of the hosts' dockerd), block options, the shell
subset a command line is parsed with, and `model` (Page, Block, Command, parse_page); `kinds`: what an exec kind is
to the page, and the one registry of kinds, where the layers above look a block's kind up (the kinds themselves are
`docexec.kinds`). Pure parsing, no processes. Imports `core`, `term` (typed lines) and `lab.settings` (how many
hosts a lab has)."""
