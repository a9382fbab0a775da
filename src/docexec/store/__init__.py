"""Recordings on disk: `recording` (a page's transcripts, metadata and checksums), `normalize` (what is truly
volatile), the page cache and the recordings no page uses. Imports `core`, `term`, `userland`, `page`."""
