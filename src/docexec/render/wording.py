"""The words a rendered page shows around its transcripts, in the book's language (the MkDocs plugin's `labels`
option; these are its defaults). Placeholders in braces are filled by render.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Labels:
    # the note under the page's title: one line, then each engine's provenance on demand (page_setup, page_engine)
    page_note: str = "Every output on this page is real, recorded on {date} · Docker {engines}"
    page_setup: str = "Recorded with:"
    page_engine: str = ("Docker Engine {engine} (API {api}), client {client}, storage driver {storage_driver}, "
                        "recorded on {date}")
    # what is wrong with a recording, shown under the note's line (page_on_engine: when engines differ)
    page_stale: str = "The page's commands changed after they were recorded; its outputs wait to be recorded again."
    page_stale_blocks: str = ("{count} command block(s) of this page changed after they were recorded (marked "
                              "below them); their outputs wait to be recorded again.")
    page_edited: str = ("The output of {count} block(s) was edited by hand after it was recorded (marked below "
                        "them): not verified.")
    page_stale_hidden: str = ("The page's setup steps or the order of its blocks changed after they were recorded; "
                              "its outputs wait to be recorded again.")
    page_on_engine: str = "Docker Engine {engine}: {text}"
    # the line under each block
    output: str = "Real output"
    session_output: str = "Real terminal session (100×30)"
    recorded: str = "{what} · Docker Engine {engines}{same} · recorded on {date}"
    engines_joiner: str = " and "
    same_output: str = " (same output)"
    exit_codes: str = " · exit code {codes}"
    codes_joiner: str = ", "
    stale_block: str = " · commands changed, output waits to be recorded again"
    edited: str = "Edited by hand after it was recorded, not verified · record this page again (docexec record)"
    not_run: str = "Not run: {reason}"
    not_recorded: str = "No recorded output yet: record this page (docexec record)"
    only_engines: str = "This command is only for {engines}"  # a block limited to other engines (engines="...")
    sudo: str = " · copied with sudo before the commands that need root"
    replay: str = "Replay"
    # what a terminal session's copy button copies after its first command, as shell comments (kinds/session.py)
    session_copy_note: str = ("The command above takes over the terminal. The lines below are comments, a paste "
                              "runs none of them: type them yourself")
    session_copy_typed: str = "typed inside the container:"
    session_copy_keys: str = "press {keys}"
    session_copy_host: str = "then, back on the host:"
    file: str = "A file: save it as {path} in the folder you run the commands in"  # under an exec="file" block
    topology: str = "Network topology measured in the lab"  # what a topology block's note calls its picture


ENGLISH = Labels()  # frozen: the defaults
