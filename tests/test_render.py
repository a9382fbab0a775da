"""The transcript HTML: commands and outputs escaped, copy text holds only commands."""

from __future__ import annotations

import html
import re

from docexec import CommandRecord, PageRecording, Project, parse_page, render_page
from docexec.render.html import EngineRecording
from docexec.render.note import NOTE_END, NOTE_START

from .conftest import MakeProject
from .rendering import book_labels, convert

SOURCE = """# 标题

Intro.

```console exec="docker" id="x" title="三个容器"
$ docker ps --format '{{.Names}}\\t{{.Status}}'
$ docker exec web sh -c 'echo "<b>" && cat /f'
```

```console exec="host" id="no" run="no" reason="会改写宿主机文件"
$ sudo cp f /var/lib/docker/x
```

```console exec="docker" id="setup" show="no"
$ docker network create lab
```

After.
"""


def stored() -> PageRecording:
    return PageRecording(
        page="p.md", digest="h", recorded="2026-11-27T21:00:00Z",
        engine={"engine": "20.10.24", "api": "1.41", "client": "28.2.2", "storage_driver": "overlay2"},
        blocks={"x": [CommandRecord("", "web\tUp 1 second\n", 0, 0.1), CommandRecord("", "<b> & 'q'\n", 0, 0.1)],
                "setup": [CommandRecord("", "abc\n", 0, 0.1)]})


def full(source: str, page, recording) -> str:  # type: ignore[no-untyped-def]
    """The page's HTML, converted as the site converts it."""
    return convert(source, render_page(page, recording, labels=book_labels()))


def test_blocks_become_transcripts() -> None:
    page = parse_page("p.md", SOURCE)
    out = full(SOURCE, page, stored())
    assert "```console exec" not in out and "Intro." in out and "After." in out
    assert "&lt;b&gt; &amp; &#x27;q&#x27;" in out
    assert "web&#9;Up 1 second" in out, "tabs must survive Python-Markdown"
    assert "三个容器" in out
    assert "未执行：会改写宿主机文件" in out
    assert "docker network create lab" not in out, "show=no blocks are run but not shown"
    assert "实录于 <span class=\"docexec-date\">2026-11-27</span>" in out and "Docker Engine 20.10.24" in out


def test_copy_text_is_only_the_commands() -> None:
    page = parse_page("p.md", SOURCE)
    out = full(SOURCE, page, stored())
    copies = [html.unescape(m) for m in re.findall(r'data-copy="([^"]*)"', out)]
    assert copies[0] == "docker ps --format '{{.Names}}\\t{{.Status}}'\ndocker exec web sh -c 'echo \"<b>\" && cat /f'"


def test_the_page_note_follows_the_title() -> None:
    page = parse_page("p.md", SOURCE)
    lines = full(SOURCE, page, stored()).split("\n")
    assert lines[0] == "<h1>标题</h1>"
    assert lines[1] == NOTE_START
    assert lines[2].startswith('<div class="docexec-page-source" data-search-exclude>')


def _notes(html_text: str) -> list[str]:
    return re.findall(re.escape(NOTE_START) + r"(.*?)" + re.escape(NOTE_END), html_text, re.S)


def test_one_short_note_for_every_engine_and_their_details_on_demand() -> None:
    newer = PageRecording("p.md", "h", "2026-11-28T09:00:00Z",
                          {"engine": "28.5.2+dfsg4", "api": "1.51", "client": "28.5.2+dfsg4",
                           "storage_driver": "overlay2"}, stored().blocks)
    page = parse_page("p.md", SOURCE)
    rendered = render_page(page, stored(), others=[EngineRecording("Engine 28.5", newer, engine="28.5")],
                           labels=book_labels())
    notes = _notes(convert(SOURCE, rendered))
    assert len(notes) == 1, "one note, whatever the number of engines"
    summary = re.search(r"<summary>(.*?)</summary>", notes[0], re.S)
    assert summary is not None
    line = re.sub(r"<[^>]+>", "", summary.group(1))
    assert line == "本页输出实录于 2026-11-28 · Docker 28.5 与 20.10", "the newest engine first, the latest date"
    assert '<span class="docexec-date">2026-11-28</span>' in summary.group(1), "the date never breaks"
    details = notes[0].split("</summary>", 1)[1]
    assert "28.5.2+dfsg4（API 1.51）" in details and "20.10.24（API 1.41），客户端 28.2.2，存储驱动 overlay2" in details
    assert "<details open" not in notes[0], "the details wait to be opened"


def test_what_is_wrong_with_a_recording_is_said_once_outside_the_details() -> None:
    page = parse_page("p.md", SOURCE)
    other = EngineRecording("Engine 28.5", stored(), stale=True, engine="28.5")
    both = _notes(convert(SOURCE, render_page(page, stored(), stale=True, others=[other],
                                              labels=book_labels())))[0]
    assert both.count("本页命令在录制后有改动") == 1 and "docexec-stale" in both
    assert both.index("本页命令在录制后有改动") > both.index("</details>"), "shown, not hidden in the details"
    one = _notes(convert(SOURCE, render_page(page, stored(), others=[other], labels=book_labels())))[0]
    assert "Docker Engine 20.10.24：本页命令在录制后有改动" in one, "only one engine's recording is stale: named"


def test_missing_recordings_still_show_the_commands() -> None:
    page = parse_page("p.md", SOURCE)
    out = full(SOURCE, page, None)
    assert "docker ps --format" in out and "尚无录制输出" in out


def test_rendered_markdown_builds_to_the_expected_html() -> None:
    page = parse_page("p.md", SOURCE)
    built = full(SOURCE, page, stored())
    code = re.search(r"<code>(.*?)</code>", built, re.S)
    assert code is not None
    assert '<span class="go">web\tUp 1 second\n</span>' in code.group(1).replace("&#9;", "\t")
    assert "<p></p>" not in built and "docexec-hidden" not in built, "a show=no block leaves nothing"


def test_an_exec_fence_the_engine_did_not_find_is_an_error() -> None:
    import pytest
    from pymdownx.superfences import SuperFencesException  # type: ignore[import-untyped]

    page = parse_page("p.md", SOURCE)
    other = '\n```console exec="docker" id="other"\n$ docker ps\n```\n'
    with pytest.raises(SuperFencesException, match=re.escape('p.md: an exec block with id="other"')):
        convert(SOURCE + other, render_page(page, stored(), labels=book_labels()))


def test_an_exec_block_that_does_not_become_a_transcript_is_reported() -> None:
    import pytest

    source = '# t\n\n    ```console exec="docker" id="x"\n    $ docker ps\n    ```\n'  # an indented code block
    page = parse_page("p.md", source)
    with pytest.raises(AssertionError, match="not rendered as transcripts: \\['x'\\]"):
        convert(source, render_page(page, stored(), labels=book_labels()))


SESSION = """# t

```console exec="session" id="s"
$ docker attach m
> sleep 30
> <Ctrl-C>
> <Ctrl-P><Ctrl-Q>
$ docker ps
```
"""


def session_recording() -> PageRecording:
    screen = "/ # sleep 30\n^C\n/ # read escape sequence\n"
    return PageRecording(
        page="p.md", digest="h", recorded="2026-11-27T21:00:00Z", engine={"engine": "20.10.24"},
        blocks={"s": [CommandRecord("docker attach m", screen, 1, 0.1, ((0, 4), (1, 0), (2, 4))),
                      CommandRecord("docker ps", "NAMES\n", 1, 0.1)]})


def test_a_session_shows_its_screen_with_typed_text_and_keys_marked() -> None:
    page = parse_page("p.md", SESSION)
    rendered = render_page(page, session_recording(), cast_href=lambda b: f"../casts/{b.id}.cast", labels=book_labels())
    fragment = rendered.blocks["s"]
    assert 'class="docexec docexec-session"' in fragment
    copy = html.unescape(re.findall(r'data-copy="([^"]*)"', fragment)[0])
    assert copy == ("docker attach m\n"
                    "# 上面的命令会接管终端；下面各行是注释，粘贴后不会执行，请照着逐行输入\n"
                    "# 以下在容器内输入：\n#   sleep 30\n#   按 Ctrl+C\n#   按 Ctrl+P Ctrl+Q\n"
                    "# 回到宿主机后运行：\n#   docker ps"), "a paste runs the first command only, the rest is said"
    assert '/ # <span class="docexec-typed">sleep 30</span>\n' in fragment
    assert '<kbd class="docexec-key">Ctrl+C</kbd>^C\n' in fragment
    assert ('/ # <kbd class="docexec-key">Ctrl+P</kbd><kbd class="docexec-key">Ctrl+Q</kbd>read escape sequence'
            in fragment)
    assert '<button type="button" class="docexec-replay" data-cast="../casts/s.cast" hidden>回放</button>' in fragment
    assert "真实终端会话（100×30）" in fragment and "退出码 1" in fragment


def test_a_key_typed_after_the_end_of_a_line_or_the_screen_still_shows() -> None:
    page = parse_page("p.md", '```console exec="session" id="s"\n$ docker attach m\n> <Enter>\n> <Ctrl-D>\n```\n')
    record = CommandRecord("docker attach m", "/ #\n", 0, 0.1, ((0, 4), (1, 0)))
    recorded = PageRecording("p.md", "h", "2026-11-27T21:00:00Z", {}, {"s": [record]})
    html_text = "".join(render_page(page, recorded, labels=book_labels()).blocks.values())
    assert '/ #<kbd class="docexec-key">Enter</kbd>\n<kbd class="docexec-key">Ctrl+D</kbd>\n' in html_text


def test_a_session_copies_a_lone_command_as_it_is_and_text_with_keys_as_written() -> None:
    lone = parse_page("p.md", '```console exec="session" id="s"\n$ docker attach m\n```\n')
    assert re.findall(r'data-copy="([^"]*)"', render_page(lone, None, labels=book_labels()).blocks["s"]) == \
        ["docker attach m"], "nothing to say after it"
    mixed = parse_page("p.md", '```console exec="session" id="s"\n$ docker attach m\n> ls /e<Tab>\n```\n')
    copy = html.unescape(re.findall(r'data-copy="([^"]*)"', render_page(mixed, None, labels=book_labels())
                                    .blocks["s"])[0])
    assert copy.split("\n")[1:] == ["# 上面的命令会接管终端；下面各行是注释，粘贴后不会执行，请照着逐行输入",
                                    "# 以下在容器内输入：", "#   ls /e<Tab>"]


def test_a_session_not_yet_recorded_shows_its_typed_lines() -> None:
    page = parse_page("p.md", SESSION)
    html_text = "".join(render_page(page, None, labels=book_labels()).blocks.values())
    assert '<span class="gp">&gt; </span><span class="docexec-typed">&lt;Ctrl-P&gt;&lt;Ctrl-Q&gt;</span>' in html_text
    assert "docexec-replay" not in html_text
def test_a_block_that_must_not_be_run_has_no_copy_button() -> None:
    """Material leaves out the copy button inside `.no-copy`; there is no copy text either."""
    page = parse_page("p.md", SOURCE)
    out = full(SOURCE, page, stored())
    wrapper = re.search(r'<div class="([^"]*)" id="run-no"([^>]*)>', out)
    assert wrapper is not None
    assert wrapper.group(1).split() == ["docexec", "docexec-not-run", "no-copy"]
    assert "data-copy" not in wrapper.group(2)
    assert re.search(r'<div class="docexec" id="run-x" data-copy=', out)


def test_host_commands_are_copied_with_sudo_and_the_block_says_so() -> None:
    source = '# t\n\n```console exec="host" id="h"\n$ iptables -S FORWARD\n$ docker ps\n```\n'
    page = parse_page("p.md", source)
    recording = PageRecording(page="p.md", digest="h", recorded="2026-11-27T21:00:00Z", engine={},
                              blocks={"h": [CommandRecord("", "-P FORWARD DROP\n", 0, 0.1),
                                            CommandRecord("", "NAMES\n", 0, 0.1)]})
    out = full(source, page, recording)
    copy = html.unescape(re.findall(r'data-copy="([^"]*)"', out)[0])
    assert copy == "sudo iptables -S FORWARD\ndocker ps"
    assert '<span class="docexec-cmd">iptables -S FORWARD</span>' in out, "the transcript shows what was run"
    assert "复制时需要 root 的命令前加了 sudo" in out


def test_an_assignment_with_text_before_its_substitution_is_copied_with_sudo_inside(
        make_project: MakeProject) -> None:
    """`NAME="text $(command)"`: the copy puts sudo in front of the command inside $(…) that needs root."""
    source = '# t\n\n```console exec="host" id="h"\n$ X="dev $(ip -o link show eth0)"\n$ echo "$X"\n```\n'
    page = Project(make_project({"p.md": source}), mode="offline").load_page("p.md")  # as `docexec lint` does
    recording = PageRecording(page="p.md", digest="h", recorded="2026-11-27T21:00:00Z", engine={},
                              blocks={"h": [CommandRecord("", "", 0, 0.1), CommandRecord("", "dev 2: eth0\n", 0, 0.1)]})
    out = full(source, page, recording)
    copy = html.unescape(re.findall(r'data-copy="([^"]*)"', out)[0])
    assert copy == 'X="dev $(sudo ip -o link show eth0)"\necho "$X"'
    assert '<span class="docexec-cmd">X=&quot;dev $(ip -o link show eth0)&quot;</span>' in out
    assert "复制时需要 root 的命令前加了 sudo" in out


def test_a_stale_page_marks_only_its_changed_blocks() -> None:
    source = SOURCE.replace(' show="no"', "")
    page = parse_page("p.md", source)
    text = convert(source, render_page(page, stored(), stale=True, stale_blocks=frozenset({"setup"}),
                                       labels=book_labels()))
    assert re.search(r'<div class="docexec" id="run-x"', text)
    assert re.search(r'<div class="docexec docexec-stale" id="run-setup"', text)
    assert text.count("命令已改动，输出待重新录制") == 1
    assert "本页有 1 个命令块在录制后有改动" in text
    whole = full(source, page, stored()).count("待重新录制")
    assert whole == 0
    everything = render_page(page, stored(), stale=True, labels=book_labels())  # the whole page: every block marked
    assert sum("docexec-stale" in f for f in [*everything.blocks.values(), everything.note]) == 3  # x, y, the note


def test_a_trailing_comment_is_shown_and_copied_as_written() -> None:
    source = ('# 注释\n\n```console exec="docker" id="x"\n$ docker ps -q  # 列出容器 ID\n```\n\n'
              '```console exec="host" id="h"\n$ iptables -S  # 需要 root\n```\n')
    page = parse_page("p.md", source)
    recording = PageRecording(page="p.md", digest="h", recorded="2026-11-27T21:00:00Z",
                              engine={"engine": "20.10.24", "api": "1.41", "client": "28.2.2",
                                      "storage_driver": "overlay2"},
                              blocks={"x": [CommandRecord("docker ps -q  # 列出容器 ID", "abc\n", 0, 0.1)],
                                      "h": [CommandRecord("iptables -S  # 需要 root", "-P INPUT ACCEPT\n", 0, 0.1)]})
    out = full(source, page, recording)
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert "docker ps -q  # 列出容器 ID\nabc" in text and "iptables -S  # 需要 root\n-P INPUT ACCEPT" in text
    copies = [html.unescape(m) for m in re.findall(r'data-copy="([^"]*)"', out)]
    assert copies == ["docker ps -q  # 列出容器 ID", "sudo iptables -S  # 需要 root"]
