"""Recordings on disk, as one object: the RecordingStore (`store`: load, status, save, the drift check's obtained
transcripts, the unused report), over `recording` (the file format: a page's transcripts, metadata and checksums),
`normalize` (what is truly volatile), `unused` (the recordings no page uses) and the page cache. Imports `core`,
`term`, `userland`, `page`."""
