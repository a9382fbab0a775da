"""The RecordingStore: one object for a book's recordings on one engine. A save whose outputs normalise to the
stored ones keeps every file byte for byte; a real change rewrites them and says what changed; the drift check's
obtained transcripts; the recordings no page uses."""

from __future__ import annotations

from pathlib import Path

from docexec import CommandRecord, RecordingStore, parse_page
from docexec.cli.record import _report
from docexec.store.store import NewRecording, comparable, same_outputs

PAGE = parse_page("a/b.md", '# b\n\n```console exec="docker" id="x"\n$ docker ps -q\n$ docker network ls\n```\n')
ENGINE = {"engine": "20.10.24+dfsg1", "api": "1.41", "kernel": "6.18.44-fc-v669", "client": "20.10.24+dfsg1",
          "mode": "lab"}
NETWORKS = "NETWORK ID     NAME\n3f2a1b4c5d6e   bridge\n"


def run(networks: str = NETWORKS, engine: dict[str, str] | None = None, digest: str = "h1") -> NewRecording:
    return NewRecording(digest, "c1", {"x": [CommandRecord("docker ps -q", "", 0, 0.1),
                                             CommandRecord("docker network ls", networks, 0, 0.2)]},
                        engine or ENGINE)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_first_save_writes_the_recording(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    saved = store.save(PAGE, run())
    assert saved.outcome == "written" and not saved.kept
    assert [p.name for p in saved.changed] == ["x.txt", "_page.json"]
    assert [(c.name, c.before) for c in saved.changes] == [("x.txt", "")]
    assert saved.changes[0].after == "$ docker ps -q\n$ docker network ls\n" + NETWORKS
    assert saved.stored is not None and saved.stored.blocks == run().blocks
    assert store.status(PAGE, "h1") == "current"


def test_a_save_that_only_moved_volatile_fields_keeps_every_byte(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.save(PAGE, run())
    before = files(store.folder("a/b.md"))
    other_machine = {**ENGINE, "kernel": "6.18.44-fc-v1272", "storage_driver": "vfs"}
    saved = store.save(PAGE, run(NETWORKS.replace("3f2a1b4c5d6e", "9e8d7c6b5a41"), other_machine))
    assert saved.outcome == "unchanged" and saved.kept and saved.changed == () and saved.changes == ()
    assert files(store.folder("a/b.md")) == before
    assert saved.stored is not None and saved.stored.engine == ENGINE, "the engine facts it was recorded with stay"


def test_a_changed_page_with_the_same_outputs_refreshes_only_its_hash(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.save(PAGE, run())
    transcript = (store.folder("a/b.md") / "x.txt").read_bytes()
    saved = store.save(PAGE, run(NETWORKS.replace("3f2a1b4c5d6e", "9e8d7c6b5a41"), digest="h2"))
    assert saved.outcome == "kept" and [p.name for p in saved.changed] == ["_page.json"] and saved.changes == ()
    assert (store.folder("a/b.md") / "x.txt").read_bytes() == transcript
    assert store.status(PAGE, "h2") == "current"


def test_a_real_change_rewrites_the_files_and_says_what_changed(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.save(PAGE, run())
    old = (store.folder("a/b.md") / "x.txt").read_text()
    saved = store.save(PAGE, run(NETWORKS + "9e8d7c6b5a41   web\n"))
    assert saved.outcome == "written" and not saved.kept
    assert [p.name for p in saved.changed] == ["x.txt", "_page.json"]
    (change,) = saved.changes
    assert (change.name, change.before, change.after) == ("x.txt", old, old + "9e8d7c6b5a41   web\n")
    assert saved.stored is not None and saved.stored.blocks["x"][1].output.endswith("web\n")


def test_another_engine_is_a_new_recording(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.save(PAGE, run())
    saved = store.save(PAGE, run(engine={**ENGINE, "engine": "28.5.2"}))
    assert saved.outcome == "written" and [p.name for p in saved.changed] == ["_page.json"]
    assert saved.stored is not None and saved.stored.engine["engine"] == "28.5.2"
    assert comparable({**ENGINE, "storage_driver": "vfs", "cgroup": "2"}) == comparable(ENGINE)


def test_a_stored_recording_edited_by_hand_is_replaced_even_when_it_normalises_the_same(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.save(PAGE, run())
    path = store.folder("a/b.md") / "x.txt"
    good = path.read_text()
    path.write_text(good.replace("3f2a1b4c5d6e", "000000000000"))
    assert store.edited_files(PAGE) == [path]
    saved = store.save(PAGE, run())
    assert saved.outcome == "written" and path.read_text() == good and store.edited_files(PAGE) == []


def test_same_outputs_compares_commands_exit_codes_and_normalised_outputs(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    store.save(PAGE, run())
    stored = store.load(PAGE)
    assert stored is not None
    assert same_outputs(stored, run(NETWORKS.replace("3f2a1b4c5d6e", "9e8d7c6b5a41")).blocks, PAGE)
    assert not same_outputs(stored, run(NETWORKS.replace("bridge", "host")).blocks, PAGE)
    failed = {"x": [CommandRecord("docker ps -q", "", 1, 0.1), CommandRecord("docker network ls", NETWORKS, 0, 0.2)]}
    assert not same_outputs(stored, failed, PAGE)


def test_obtained_transcripts_sit_beside_the_recording(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    block = PAGE.executed[0]
    records = [CommandRecord("docker ps -q", "box\n", 0, 0.0), CommandRecord("docker network ls", "", 0, 0.0)]
    path = store.keep_obtained("a/b.md", block, records)
    assert path == tmp_path / "a" / "b" / "x.obtained" == store.obtained("a/b.md", "x")
    assert path.read_text() == "$ docker ps -q\nbox\n$ docker network ls\n"
    assert store.obtained("a/b.md", "x", "28.2") == tmp_path / "a" / "b" / "x.28.2.obtained"
    store.drop_obtained("a/b.md", "x")
    assert not path.exists()


def test_unused_finds_an_orphan_page_folder_and_an_orphan_transcript(tmp_path: Path) -> None:
    nested = tmp_path / "_engines" / "28.5"
    store = RecordingStore(tmp_path, [nested])
    store.save(PAGE, run())
    assert store.unused([PAGE]) == []
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "_page.json").write_text("{}")
    (tmp_path / "gone" / "old.txt").write_text("$ docker ps\n")
    (tmp_path / "a" / "b" / "removed.txt").write_text("$ docker ps\n")
    store.keep_obtained("a/b.md", PAGE.executed[0], run().blocks["x"])  # the drift check's, for review
    nested.mkdir(parents=True)
    (nested / "other.txt").write_text("$ docker ps\n")  # another engine's recordings
    assert store.unused([PAGE]) == [tmp_path / "a" / "b" / "removed.txt", tmp_path / "gone"]
    assert store.unused([]) == [tmp_path / "a" / "b", tmp_path / "gone"], "a page folder no page uses: the folder"


def test_the_record_command_reports_what_a_save_changed(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path)
    said: list[str] = []
    _report("a/b.md", store.save(PAGE, run()).changes, 1.0, said.append)
    assert said[0] == "[yellow]changed[/yellow]   a/b.md (1.0 s): x.txt"
    assert "[green]+NETWORK ID     NAME[/green]" in said
    said.clear()
    _report("a/b.md", store.save(PAGE, run(NETWORKS.replace("3f2a1b4c5d6e", "9e8d7c6b5a41"))).changes, 1.0,
            said.append)
    assert said == ["[green]unchanged[/green] a/b.md (1.0 s)"]
