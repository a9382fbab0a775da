"""The shell subset: words split as a POSIX shell would, and everything else refused."""

from __future__ import annotations

import shlex

import pytest

from docexec.shellwords import ShellSyntaxError, expand, parse


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
    with pytest.raises(KeyError):
        words("docker exec $NOPE ls")


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
    ("echo $((1+1))", "arithmetic"),
    ("X=1 docker ps", "environment variable"),
    ("echo 'open", "unterminated single quote"),
    ('echo "open', "unterminated double quote"),
    ("echo $(docker ps", "never closed"),
    ("| grep x", "needs a command on its left"),
    ("docker ps |", "needs a command on its right"),
    ("docker ps # comment", "comments"),
    ("echo $?", "'$?' is not supported"),
    ("eval $(docker ps)", None),
])
def test_shell_features_outside_the_subset_are_refused(text: str, message: str | None) -> None:
    if message is None:  # parses; `eval` is refused by the policy, not the grammar
        parse(text)
        return
    with pytest.raises(ShellSyntaxError) as info:
        parse(text)
    assert message in info.value.message
