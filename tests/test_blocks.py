"""Finding and checking executable fences."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from docexec import PageError, parse_page


def page(text: str):  # type: ignore[no-untyped-def]
    return parse_page("p.md", textwrap.dedent(text).lstrip())


def error(text: str) -> PageError:
    with pytest.raises(PageError) as info:
        page(text)
    return info.value


def test_a_block_with_commands_and_continuation() -> None:
    p = page('''
        # Title

        ```console exec="docker" id="three" returncode="1" timeout="5"
        $ docker run -d --name a busybox \\
            sleep 1d
        $ docker ps
        ```

        ```console
        $ not executed, an ordinary block
        ```
        ''')
    (block,) = p.blocks
    assert (block.id, block.kind, block.returncode, block.timeout, block.line, block.end_line) == \
        ("three", "docker", 1, 5.0, 3, 7)
    assert [c.line for c in block.commands] == [4, 6]
    assert block.commands[0].text == "docker run -d --name a busybox sleep 1d"
    assert block.commands[0].display == "docker run -d --name a busybox \\\n    sleep 1d"


def test_the_digest_changes_with_commands_not_with_prose() -> None:
    a = page('```console exec="docker" id="x"\n$ docker ps\n```\n')
    b = page('Some prose.\n\n```console exec="docker" id="x" show="no"\n$ docker ps\n```\n')
    c = page('```console exec="docker" id="x"\n$ docker ps -a\n```\n')
    assert a.digest() == b.digest()
    assert a.digest() != c.digest()
    assert a.digest({"busybox:latest": "1"}) != a.digest({"busybox:latest": "2"})


@pytest.mark.parametrize(("fence", "message"), [
    ('```console exec="docker"', "needs an id"),
    ('```console exec="docker" id="Bad_Id"', "lowercase letters"),
    ('```console exec="python" id="x"', 'use one of "docker", "file", "host"'),
    ('```console exec="docker" id="x" retruncode="1"', "did you mean 'returncode'"),
    ('```console exec="docker" id="x" returncode="one"', "whole number from 0 to 255"),
    ('```console exec="docker" id="x" returncode="300"', "whole number from 0 to 255"),
    ('```console exec="docker" id="x" timeout="0"', "above 0 and at most 600"),
    ('```console exec="docker" id="x" retry="120"', "above 0 and at most 60"),
    ('```console exec="docker" id="x" show="maybe"', 'use one of "yes", "no"'),
    ('```console exec="docker" id="x" run="no"', 'needs reason="..."'),
    ('```console exec="docker" id="x" reason="why"', "only goes with run"),
    ('```console exec="docker" id="x" id="y"', "given twice"),
    ('```console exec="docker" id="x" volatile="(unclosed"', "not a valid regular expression"),
    ('```console exec="docker" id="x" garbage', "cannot read the fence options"),
    ('```exec="docker" id="x"', "needs a language"),
])
def test_bad_fence_headers_name_the_line(fence: str, message: str) -> None:
    err = error(f"# t\n\n{fence}\n$ docker ps\n```\n")
    assert err.line == 3
    assert message in err.message
    assert str(err).startswith("p.md:3: ")


def test_duplicate_ids_point_at_both_blocks() -> None:
    block = '```console exec="docker" id="x"\n$ docker ps\n```\n'
    err = error(block + "\n" + block)
    assert (err.line, "first used on line 1") == (5, err.message[err.message.index("first"):-1])


def test_empty_block_and_output_lines_are_refused() -> None:
    assert "empty" in error('```console exec="docker" id="x"\n\n```\n').message
    err = error('```console exec="docker" id="x"\n$ docker ps\nCONTAINER ID   IMAGE\n```\n')
    assert err.line == 3 and "outputs are recorded for you" in err.message


def test_shell_syntax_errors_name_the_command_line() -> None:
    err = error('# t\n```console exec="docker" id="x"\n$ docker ps\n$ docker ps; rm -rf /\n```\n')
    assert err.line == 4 and "';' runs two commands" in err.message


NESTED = (Path(__file__).parent / "fixtures" / "nested.md").read_text(encoding="utf-8")


def test_exec_blocks_inside_admonitions_tabs_lists_and_details_are_found() -> None:
    p = parse_page("p.md", NESTED)
    assert [(b.id, b.line, b.end_line) for b in p.blocks] == \
        [("in-tip", 5, 8), ("in-tab", 12, 14), ("in-list", 18, 20), ("in-quote", 23, 25)]
    tip = p.blocks[0]
    assert tip.commands[0].line == 6
    assert tip.commands[0].display == "docker run --rm busybox \\\n    echo tip", "the fence's indentation is removed"
    assert p.blocks[3].commands[0].display == "docker images", "quote marks are removed"


def test_fences_shown_inside_other_fences_are_not_exec_blocks() -> None:
    assert "shown-only" not in [b.id for b in parse_page("p.md", NESTED).blocks]
    assert not page('''
        ~~~~markdown
        ```console exec="docker" id="x"
        $ docker ps
        ```
        ~~~~
        ''').blocks


@pytest.mark.parametrize(("text", "why"), [
    ('!!! note\n    ```console exec="docker" id="x"\n  $ docker ps\n    ```\n', "less indented"),
    ('```console exec="docker" id="x"\n$ docker ps\n', "no closing fence"),
])
def test_an_exec_fence_the_site_would_not_render_is_an_error(text: str, why: str) -> None:
    err = error(text)
    assert why in err.message and err.line in (1, 2)


def test_option_values_must_be_quoted() -> None:
    """SuperFences, which renders the site, ignores a fence with a bare value and shows its text."""
    assert 'write them as key="value"' in error('```console exec=docker id="x"\n$ docker ps\n```\n').message


def test_run_no_blocks_are_not_parsed_as_shell() -> None:
    p = page('```console exec="host" id="x" run="no" reason="it writes into /var/lib/docker"\n'
             '$ sudo cp f /var/lib/docker/x > /dev/null; echo done\n```\n')
    assert not p.executed and p.blocks[0].reason == "it writes into /var/lib/docker"


def test_tilde_fences_and_single_quoted_options() -> None:
    p = page("~~~console exec='docker' id='x'\n$ docker ps\n~~~\n")
    assert p.blocks[0].id == "x"


# --------------------------------------------------------------------------------------------------
# several hosts: front matter `hosts:` and the block option host=


def test_hosts_from_the_front_matter_and_blocks_choose_theirs() -> None:
    p = page('''
        ---
        title: two hosts
        hosts: [host1, host2]
        ---
        # t

        ```console exec="docker" id="a"
        $ docker ps
        ```

        ```console exec="docker" id="b" host="host2"
        $ docker ps
        ```
        ''')
    assert p.hosts == ("host1", "host2")
    assert [b.host for b in p.blocks] == [None, "host2"]
    assert [b.line for b in p.blocks] == [7, 11], "lines count the front matter"
    single = page('```console exec="docker" id="a"\n$ docker ps\n```\n')
    assert single.hosts == ("docker-host",)
    assert single.digest() != p.digest(), "the hosts are part of what makes a recording current"


def test_a_block_list_of_hosts_is_read_too() -> None:
    assert page("---\nhosts:\n  - alpha\n  - beta\n---\n").hosts == ("alpha", "beta")


@pytest.mark.parametrize(("front", "line", "message"), [
    ("hosts: host1", 2, "must be a list of host names"),
    ("hosts: []", 2, "must be a list of host names"),
    ("title: x\nhosts: [Host_1]", 3, "'Host_1' is not a valid host name"),
    ("hosts: [a1, a1]", 2, "a host name is given twice"),
    ("hosts: [h1, h2, h3, h4, h5, h6, h7, h8, h9]", 2, "at most 8 hosts"),
    ("hosts: [a, b\nx: [", 3, "the front matter is not valid YAML"),
])
def test_bad_hosts_name_the_line(front: str, line: int, message: str) -> None:
    err = error(f"---\n{front}\n---\n")
    assert err.line == line and message in err.message, (err.line, err.message)


def test_a_block_on_an_unknown_host_names_its_line() -> None:
    err = error('---\nhosts: [host1, host2]\n---\n\n```console exec="docker" id="a" host="host3"\n$ docker ps\n```\n')
    assert (err.line, err.message) == (5, 'host="host3" is not a host of this page: the page\'s hosts are host1, host2')
    err = error('```console exec="docker" id="a" host="host2"\n$ docker ps\n```\n')
    assert "declares no hosts (front matter `hosts: [host1, host2]`)" in err.message
    err = error('```console exec="docker" id="a" host="Host 2"\n$ docker ps\n```\n')
    assert "is not a valid host name" in err.message


# --------------------------------------------------------------------------------------------------
# terminal sessions: exec="session", `> ` lines typed into the program


def test_a_session_block_types_lines_into_each_command() -> None:
    p = page('''
        # t

        ```console exec="session" id="s" returncode="1" prompt="app> "
        $ docker run -it --name m busybox sh
        > ip addr show eth0
        > <Ctrl-P><Ctrl-Q>
        $ docker ps
        ```
        ''')
    (block,) = p.blocks
    assert (block.kind, block.prompt, block.returncode) == ("session", "app> ", 1)
    first, second = block.commands
    assert first.text == "docker run -it --name m busybox sh"
    assert [(t.line, t.written, t.keys_only) for t in first.typed] == [
        (5, "ip addr show eth0", False), (6, "<Ctrl-P><Ctrl-Q>", True)]
    assert second.typed == ()


def test_typed_lines_are_part_of_what_makes_a_recording_current() -> None:
    a = page('```console exec="session" id="s"\n$ docker attach m\n> <Enter>\n```\n')
    b = page('```console exec="session" id="s"\n$ docker attach m\n> <Ctrl-P><Ctrl-Q>\n```\n')
    c = page('```console exec="session" id="s" prompt="x"\n$ docker attach m\n> <Enter>\n```\n')
    assert len({a.digest(), b.digest(), c.digest()}) == 3
    plain = page('```console exec="docker" id="s"\n$ docker ps\n```\n')
    assert "typed" not in plain.blocks[0].key(), "other blocks' digests stay as they were"


@pytest.mark.parametrize(("body", "line", "message"), [
    ("> ls\n$ docker attach m\n", 3, "start the session with a '$ ' command"),
    ("$ docker attach m\n> <Ctrl-X-Y>\n", 4, "unknown key <Ctrl-X-Y>"),
    ("$ docker attach m\n>\n", 4, "write <Enter> to press Enter alone"),
    ("$ docker ps | grep m\n", 3, "no pipes"),
    ("$ ID=$(docker ps -q)\n", 3, "no NAME=$(...)"),
])
def test_bad_session_lines_name_their_line(body: str, line: int, message: str) -> None:
    err = error(f'# t\n```console exec="session" id="s"\n{body}```\n')
    assert (err.line, message in err.message) == (line, True), (err.line, err.message)


def test_typed_lines_outside_a_session_and_session_options_elsewhere() -> None:
    err = error('```console exec="docker" id="x"\n$ docker ps\n> ls\n```\n')
    assert err.line == 3 and 'exec="session"' in err.message
    err = error('```console exec="docker" id="x" prompt="#"\n$ docker ps\n```\n')
    assert 'only goes with exec="session"' in err.message
    assert "does not go with" in error('```console exec="session" id="x" retry="2"\n$ docker ps\n```\n').message
    assert "not a valid regular expression" in \
        error('```console exec="session" id="x" prompt="(x"\n$ docker ps\n```\n').message
