"""`docexec lint [PAGES]`: every problem of every page given, each with its page and line (no daemon needed)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from docexec import Allowance, PageError, PageErrors, Project, Settings, parse_page
from docexec.book import pageset
from tests.conftest import MakeProject

BROKEN = '''
    # broken

    ```console exec="docker" id="a"
    $ docker run --privileged busybox
    $ docker run --rm busybox ping -c 1 8.8.8.8
    $ echo $'x'
    ```

    ```console exec="docker" id="a"
    $ docker ps
    ```

    ```console exec="docker" id="c" colour="red"
    $ docker ps
    ```

    !!! tip
        ```console exec="docker" id="d"
        $ docker pull busybox
        ```
'''
GOOD = '''
    # good

    ```console exec="docker" id="ok"
    $ docker ps
    ```
'''


def lint(root: Path, *pages: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "docexec", "lint", *pages], cwd=root, capture_output=True,
                          text=True, timeout=120, check=False)


def test_lint_reports_every_problem_of_a_page_with_its_line(make_project: MakeProject) -> None:
    config = make_project({"broken.md": BROKEN, "good.md": GOOD})
    done = lint(config.root)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("error:")]
    assert [line.split(":")[2] for line in lines] == ["4", "5", "6", "9", "13", "19"], done.stdout
    assert all(line.startswith("error: docs/broken.md:") for line in lines), done.stdout
    assert "--privileged" in lines[0] and "8.8.8.8" in lines[1] and "$'...'" in lines[2]
    assert "duplicate block id 'a'" in lines[3] and "colour" in lines[4] and "docker image pull" in lines[5]
    assert "6 problem(s) in 1 page(s); 1 pages, 1 blocks, 1 commands without problems" in done.stdout.splitlines()


def test_lint_checks_only_the_pages_given(make_project: MakeProject) -> None:
    config = make_project({"broken.md": BROKEN, "good.md": GOOD})
    done = lint(config.root, "docs/good.md")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 pages, 1 blocks, 1 commands: ok" in done.stdout.splitlines()
    done = lint(config.root, "good.md", str(config.docs_dir / "broken.md"))
    assert done.returncode == 1 and done.stdout.count("error: docs/broken.md:") == 6, done.stdout
    done = lint(config.root, "docs/missing.md")
    assert done.returncode == 1 and "docs/missing.md: no such page" in done.stdout, done.stdout


@pytest.mark.parametrize("command", ["lint", "status"])
def test_the_checked_pages_are_kept_for_the_next_run(make_project: MakeProject, command: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`docexec lint` and `docexec status` write the page cache (pagecache.py) when they are done with the pages."""
    config = make_project({"good.md": GOOD})
    done = subprocess.run([sys.executable, "-m", "docexec", command], cwd=config.root, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == (0 if command == "lint" else 1), done.stdout + done.stderr  # status: not recorded
    assert (config.cache_dir / "pages.pickle").is_file()
    monkeypatch.setattr(pageset, "parse_page_collecting", lambda *args, **kwargs: pytest.fail("parsed again"))
    with Project(config, mode="offline") as project:
        project.load_page("good.md")  # from the cache the command wrote


def test_a_page_with_several_problems_still_raises_its_first_where_one_is_expected() -> None:
    source = '```console exec="docker" id="a"\n$ echo $\'x\'\n$ echo ~root\n```\n'
    with pytest.raises(PageErrors) as caught:
        parse_page("p.md", source, "docs/p.md")
    assert isinstance(caught.value, PageError) and caught.value.line == 2  # the first, for callers that show one
    assert [e.line for e in caught.value.errors] == [2, 3]
    assert str(caught.value).splitlines()[1].startswith("docs/p.md:3: ")


TWO_PROBLEMS = '''
    # two

    ```console exec="docker" id="a"
    $ docker run --rm --privileged --cap-add NET_ADMIN busybox ping -c 1 8.8.8.8
    $ docker run --rm busybox sh -c 'wget -q -O- http://8.8.8.8/; ping -c 1 1.1.1.1' | grep -c x
    $ docker run --rm --privileged busybox true
    ```
'''


FORMS = '''
    # forms of other tutorials

    ```console exec="docker" id="a"
    $ docker ps  # 列出容器
    $ docker run -d --name web -v $(pwd):/data busybox sleep 1d  # $(pwd) 就是 $PWD
    $ CID=$(docker ps -q)
    $ docker inspect "$CID" | grep -c 'a#b' # 注释
    $ docker logs <container_id>
    $ docker run --rm -v $HOME/data:/data busybox ls /data
    $ docker exec web ls "$DATA"
    $ docker exec web sh -c 'ls $HOME'
    ```
'''


def test_lint_reports_every_problem_of_a_command(make_project: MakeProject) -> None:
    """Issue 26, item 8: fixing one problem of a command does not merely reveal the next; one problem keeps its
    message as it was."""
    config = make_project({"two.md": TWO_PROBLEMS})
    done = lint(config.root)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("error: docs/two.md:")]
    assert [line.split(":")[2] for line in lines] == ["4", "4", "4", "5", "5", "6"], done.stdout
    assert "8.8.8.8 is outside" in lines[0] and "'--privileged' is refused" in lines[1], done.stdout
    assert "'--cap-add' is refused" in lines[2] and "8.8.8.8 is outside" in lines[3], done.stdout
    assert "1.1.1.1 is outside" in lines[4] and lines[5].split(": ", 1)[1].startswith(
        "docs/two.md:6: '--privileged' is refused: it gives the container the whole host"), done.stdout
    assert "6 problem(s) in 1 page(s)" in done.stdout


def test_an_allowance_of_one_problem_leaves_the_others(config: Settings) -> None:
    """An allowance names one refused use: the command's other problems are still refused (before, an allowance
    of the first problem let the whole command through)."""
    from docexec import Refused
    from docexec.policy.check import check_argv

    argv = ["docker", "run", "--rm", "--privileged", "--cap-add", "NET_ADMIN", "busybox", "true"]
    context = dataclasses.replace(config.run_context(), allow=(
        Allowance(page="caps.md", match="--privileged", reason="lesson"),))
    with pytest.raises(Refused) as caught:
        check_argv(argv, kind="docker", page="caps.md", context=context, line=" ".join(argv))
    assert caught.value.message.startswith("'--cap-add' is refused") and "privileged" not in caught.value.message


def test_the_lint_accepts_comments_and_pwd_and_names_placeholders_and_unset_variables(
        make_project: MakeProject) -> None:
    """A trailing comment and `$(pwd)` lint clean; `<container_id>` is a placeholder, not a redirection; $HOME and a
    variable no line assigns would fail at run time (only $PWD and the page's assignments are set), so the lint
    names them with what to write. `$HOME` in single quotes is the container shell's."""
    config = make_project({"forms.md": FORMS})
    with Project(config, mode="offline") as project, pytest.raises(PageErrors) as caught:
        project.load_page("forms.md")
    errors = {e.line: e.message for e in caught.value.errors}
    assert sorted(errors) == [8, 9, 10], errors
    assert "'<container_id>' looks like a placeholder: write the real name" in errors[8]
    assert "$HOME is not set when a page runs" in errors[9] and "\"$PWD\"/data" in errors[9]
    assert "$DATA is never assigned on this page" in errors[10] and "DATA=$(command)" in errors[10]
