"""Terminals without processes: the `> ` key notation typed into a session, the screen (pyte) a byte stream
leaves, and asciicast files. Imports only `core`."""
