"""The shell subset: words split as a POSIX shell would, and everything else refused."""

from __future__ import annotations

import shlex

import pytest

from docexec import Refused
from docexec.page.shellwords import ShellSyntaxError, UnsetVariable, join_continuations, parse
from docexec.run.expansion import expand, expand_value


def words(text: str, variables: dict[str, str] | None = None, subst: str = "OUT") -> list[list[str]]:
    cmd = parse(text)
    return [[a for w in stage for a in expand(w, variables or {}, lambda c: subst)] for stage in cmd.stages]


@pytest.mark.parametrize("text", [
    "docker run -d --name master busybox sleep 1d",
    "docker inspect -f '{{.NetworkSettings.IPAddress}}' master",
    'docker exec web sh -c "echo \\"hi\\" > /tmp/a"',
    "docker exec web sh -c 'echo hi > /tmp/a; cat /tmp/a'",
    'docker ps --format "table {{.Names}}\\t{{.Status}}"',
    "echo a\\ b 'c d' \"e f\" ''",
    "docker run --mount type=bind,source=/tmp/x,target=/data busybox",
])
def test_plain_commands_split_like_shlex(text: str) -> None:
    assert words(text) == [shlex.split(text)]


def test_pipes_substitutions_and_variables() -> None:
    assert words("docker ps | grep web | head -n 1") == [["docker", "ps"], ["grep", "web"], ["head", "-n", "1"]]
    assert words("nsenter -t $(docker inspect -f '{{.State.Pid}}' web) -n ip addr", subst="4242\n") == \
        [["nsenter", "-t", "4242", "-n", "ip", "addr"]]
    assert words('docker exec "$CID" echo $X', {"CID": "a b", "X": "1  2"}) == \
        [["docker", "exec", "a b", "echo", "1", "2"]]
    assert words('docker run -v "$PWD"/data:/data busybox', {"PWD": "/w"}) == \
        [["docker", "run", "-v", "/w/data:/data", "busybox"]]


def test_assignment_lines() -> None:
    cmd = parse("CID=$(docker run -d busybox sleep 1d)")
    assert cmd.assign == "CID"
    (inner,) = cmd.stages[0][0].substitutions()
    assert inner.command.text == "docker run -d busybox sleep 1d"


def test_unset_variables_raise() -> None:
    with pytest.raises(UnsetVariable) as info:
        words("docker exec $NOPE ls")
    assert info.value.name == "NOPE"


def test_an_assignment_keeps_the_output_as_sh_does() -> None:
    """`X=$(cmd)` is not split into words: the output without its trailing newlines, as sh gives it."""
    value = parse("X=$(docker ps)").stages[0][0]
    assert expand_value(value, {}, lambda c: "a  b\nc\n\n") == "a  b\nc"
    mixed = parse('X=pre-$(docker ps)"$Y"').stages[0][0]
    assert expand_value(mixed, {"Y": " y "}, lambda c: "1 2\n") == "pre-1 2 y "
    assert words('echo $X "$X"', {"X": "a  b\nc"}) == [["echo", "a", "b", "c", "a  b\nc"]]


def test_only_the_default_ifs_splits_an_expansion() -> None:
    """IFS is space, tab and newline: an ideographic or no-break space stays in the word (Python's str.split()
    would split there); white space alone still separates the words around it."""
    assert words("echo $X", {"X": "中\u3000文\u00a0x\ry"}) == [["echo", "中\u3000文\u00a0x\ry"]]
    assert words("echo a${X}b", {"X": "  "}) == [["echo", "a", "b"]]
    assert words('echo a${X}b ""$X', {"X": ""}) == [["echo", "ab", ""]]


def test_an_unquoted_expansion_with_a_glob_character_is_refused() -> None:
    """sh would expand `*`, `?` and `[` in the value of an unquoted $X or $(...) to file names."""
    with pytest.raises(Refused, match=r"\$X gives «a\*»: unquoted, sh would expand its '\*' as a glob"):
        words("echo $X", {"X": "a*"})
    with pytest.raises(Refused, match=r"\$\(docker ps\) gives «\[x\]»"):
        words("echo $(docker ps)", subst="[x]\n")
    assert words('echo "$X" "$(docker ps)"', {"X": "a*"}, subst="?") == [["echo", "a*", "?"]]


@pytest.mark.parametrize(("display", "joined"), [
    ("docker run -d \\\n    --name x busybox", "docker run -d --name x busybox"),  # the book's style
    ("docker run -d\\\n    --name x", "docker run -d --name x"),  # indentation still separates the words
    ("docker run -d\\\n--name x", "docker run -d--name x"),  # as in sh: one word
    ('echo "a \\\n  b"', 'echo "a   b"'),  # inside double quotes the indentation is part of the word
    ("echo 'a \\\n  b'", "echo 'a \\\n  b'"),  # inside single quotes nothing is removed
    ("echo $(echo 'x' \\\n  y)", "echo $(echo 'x' y)"),
    ('echo "$(echo \'\\\n\')"', 'echo "$(echo \'\\\n\')"'),  # single quotes inside $( ) inside "..."
])
def test_continuation_lines_are_joined_by_the_shell_rule(display: str, joined: str) -> None:
    assert join_continuations(display) == joined


def test_a_command_reports_and_runs_the_same_words() -> None:
    """The text reported and hashed is what is parsed and run: `-d\\` + newline + `--name` is one word in both."""
    from docexec.page.model import parse_page

    page = parse_page("p.md", '```console exec="docker" id="a"\n$ docker run -d\\\n--name x busybox\n'
                              '$ docker run -d\\\n    --name y busybox\n```\n')
    for command in page.blocks[0].commands:
        assert command.shell is not None
        assert [a for w in command.shell.words() for a in expand(w, {}, str)] == shlex.split(command.text)
    assert [c.text for c in page.blocks[0].commands] == ["docker run -d--name x busybox",
                                                         "docker run -d --name y busybox"]


@pytest.mark.parametrize(("text", "message"), [
    ("docker ps; docker ps", "';' runs two commands"),
    ("docker ps && docker ps", "'&&' are not supported"),
    ("docker ps || true", "'||' is not supported"),
    ("docker run -d busybox &", "'&' and '&&'"),
    ("docker ps > out.txt", "redirections"),
    ("docker ps 2>&1", "redirections"),
    ("cat < /etc/passwd", "redirections"),
    ("cat <<EOF", "redirections"),
    ("echo `id`", "backticks"),
    ('echo "`id`"', "backticks"),
    ("ls /tmp/*", "glob"),
    ("ls ~/x", "home"),
    ("ls ~", "tilde expansion"),
    ("ls ~root/x", "tilde expansion"),
    ("cd ~+", "tilde expansion"),
    ("ls ~-/x", "tilde expansion"),
    ("docker run -e HOME=~ busybox", "tilde expansion"),
    ("X=~/x", "tilde expansion"),
    ("X=/a:~/x", "tilde expansion"),
    ("echo $'a\\tb'", "'$'...' quoting"),
    ('echo $"hello"', "'$\"...' quoting"),
    ("echo a \\\\\n b", "a line break outside quotes ends the command"),
    ("echo $((1+1))", "arithmetic"),
    ("X=1 docker ps", "environment variable"),
    ("echo 'open", "unterminated single quote"),
    ('echo "open', "unterminated double quote"),
    ("echo $(docker ps", "never closed"),
    ("| grep x", "needs a command on its left"),
    ("docker ps |", "needs a command on its right"),
    ("docker ps # a \\\n --all", "a comment runs to the end of its line"),
    ("echo $(docker ps # x)", "a comment inside $(...)"),
    ("docker logs <container_id>", "'<container_id>' looks like a placeholder: write the real name"),
    ("docker run --name=<name> busybox", "'<name>' looks like a placeholder"),
    ("docker inspect <id> | grep x", "'<id>' looks like a placeholder"),
    ("echo `pwd -P`", "backticks"),
    ("echo $?", "'$?' is not supported"),
    ('echo "pid $$ $1"', "'$$' is not supported"),  # special parameters expand inside double quotes too
    ("eval $(docker ps)", None),
    ("echo a~b '~' \\~ \"~\" \"$\" x$", None),  # literal: not at a word's start, or quoted
])
def test_shell_features_outside_the_subset_are_refused(text: str, message: str | None) -> None:
    if message is None:  # parses; `eval` is refused by the policy, not the grammar
        parse(text)
        return
    with pytest.raises(ShellSyntaxError) as info:
        parse(text)
    assert message in info.value.message


@pytest.mark.parametrize(("text", "expected"), [
    ("docker ps  # 列出容器", [["docker", "ps"]]),
    ("docker ps -a | grep web # 只看 web", [["docker", "ps", "-a"], ["grep", "web"]]),
    ("echo 'a # b' \"# c\" a#b \\#d x# # the comment", [["echo", "a # b", "# c", "a#b", "#d", "x#"]]),
    ("echo $(echo a#b) # c", [["echo", "OUT"]]),
])
def test_a_trailing_comment_is_not_run(text: str, expected: list[list[str]]) -> None:
    """`#` at the start of a word begins a comment, as in sh; quoted or inside a word it is text."""
    assert words(text) == expected


def test_a_comment_is_kept_in_the_text_shown_and_recorded() -> None:
    from docexec.page.model import parse_page

    page = parse_page("p.md", '```console exec="docker" id="a"\n$ docker run -d \\\n    --name x busybox  '
                              '# 后台运行\n```\n')
    (command,) = page.blocks[0].commands
    assert command.text == "docker run -d --name x busybox  # 后台运行"
    assert command.shell is not None and command.shell.text == "docker run -d --name x busybox"


def test_pwd_substitution_is_the_pages_folder() -> None:
    """`$(pwd)` and `` `pwd` `` are $PWD, the folder every command of the page runs in: no command runs for them."""
    cmd = parse('docker run -v $(pwd)/data:/data -v "$( pwd )":/w -v `pwd`:/b busybox')
    assert not [s for w in cmd.words() for s in w.substitutions()]
    assert words('docker run -v $(pwd)/data:/data -v "$( pwd )":/w -v `pwd`:/b -e "X=`pwd`" busybox',
                 {"PWD": "/lab"}) == [["docker", "run", "-v", "/lab/data:/data", "-v", "/lab:/w", "-v", "/lab:/b",
                                       "-e", "X=/lab", "busybox"]]
