"""[tool.docexec] fails loudly: every setting's type is checked, and the message names pyproject.toml, the key,
the bad value and what is expected; the pytest plugin reports it instead of collecting nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from docexec import DocexecError, Settings, load_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("setting", "message"), [
    ('snipets_dir = "x"', "[tool.docexec]: unknown settings: snipets_dir (did you mean snippets_dir?)"),
    ('default_timeout = "soon"', '[tool.docexec] default_timeout = "soon": expected a number of seconds'),
    ("default_timeout = true", "[tool.docexec] default_timeout = true: expected a number"),
    ("pids_limit = [1]", "[tool.docexec] pids_limit = [1]: expected a whole number above 0"),
    ("max_output_bytes = 0", "[tool.docexec] max_output_bytes = 0: expected a whole number above 0"),
    ("allow = 3", "[tool.docexec] allow = 3: expected an array of tables"),
    ("docs_dir = 4", "[tool.docexec] docs_dir = 4: expected a string"),
    ('memory_limit = "lots"', '[tool.docexec] memory_limit = "lots": expected a size such as "256m"'),
    ("engine_path = \"bin\"", '[tool.docexec] engine_path = "bin": expected a list of strings'),
    ('[[tool.docexec.allow]]\npage = "a.md"\nmatch = 1\nreason = "r"',
     "[[tool.docexec.allow]] entry 1 match = 1: expected a string"),
    ('[[tool.docexec.allow]]\npage = "a.md"\nmatch = "m"', "[[tool.docexec.allow]] entry 1 needs reason"),
    ('[[tool.docexec.engines]]\nname = "20.10"\npath = "bin"',
     "[[tool.docexec.engines]] '20.10' path = \"bin\": expected a list of folders"),
    ('[[tool.docexec.engines]]\nname = "20.10"\ncli = 1',
     "[[tool.docexec.engines]] '20.10' cli = 1: expected the path of a docker CLI"),
])
def test_a_wrong_setting_is_named_with_its_value(make_project: Callable[..., Settings], setting: str,
                                                 message: str) -> None:
    with pytest.raises(DocexecError) as caught:
        make_project({}, setting)
    assert str(caught.value).startswith("pyproject.toml: ")
    assert message in str(caught.value)


def test_good_settings_are_read(make_project: Callable[..., Settings]) -> None:
    config = make_project({}, 'default_timeout = 12\npids_limit = 64\nmemory_limit = "1g"')
    assert (config.default_timeout, config.pids_limit, config.memory_limit) == (12.0, 64, "1g")
    assert load_config(ROOT).engines, "the book's own settings are valid"


def test_invalid_toml_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.docexec]\ndocs_dir = \n")
    with pytest.raises(DocexecError, match="not valid TOML"):
        load_config(tmp_path)


def test_the_cli_prints_the_message_without_a_traceback(make_project: Callable[..., Settings],
                                                        tmp_path: Path) -> None:
    make_project({})
    with (tmp_path / "pyproject.toml").open("a") as fh:
        fh.write('pids_limit = "many"\n')
    done = subprocess.run([sys.executable, "-m", "docexec", "status"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert 'pids_limit = "many": expected a whole number above 0' in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def plugin_project(pytester: pytest.Pytester, settings: str) -> None:
    pytester.makepyprojecttoml(textwrap.dedent(f'''
        {settings}
        [tool.pytest.ini_options]
        addopts = "-p docexec.pytest_plugin -p no:cacheprovider"
        '''))
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "t.md").write_text('```console exec="docker" id="a"\n$ docker ps\n```\n')


def test_the_plugin_reports_a_typo_instead_of_collecting_nothing(pytester: pytest.Pytester) -> None:
    plugin_project(pytester, f'[tool.docexec]\nimages_dir = "{ROOT / "images"}"\nsnipets_dir = "snippets"')
    result = pytester.runpytest("--collect-only", "docs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*docexec: pyproject.toml: [[]tool.docexec[]]: unknown settings: snipets_dir "
                                 "(did you mean snippets_dir?)*"])


def test_the_plugin_stays_out_of_projects_without_docexec_settings(pytester: pytest.Pytester) -> None:
    plugin_project(pytester, '[tool.other]\nx = 1')
    result = pytester.runpytest("--collect-only", "docs")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
