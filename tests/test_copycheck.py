"""tools/copycheck.py: 18 Chinese characters in a row shared with a reference make a copy, whatever the punctuation,
spacing and Latin words around them; code blocks and shorter runs do not."""

from __future__ import annotations

from .conftest import load_tool

COPYCHECK = load_tool("copycheck")
REFERENCE = "容器的网络命名空间由守护进程在启动时创建并交给运行时使用，这是本书反复讲到的事实。\n"


def found(text: str, reference: str = REFERENCE) -> list[tuple[int, str]]:
    return list(COPYCHECK.copies(text, COPYCHECK.reference_windows([reference])))


def test_a_copied_run_is_found_with_its_line_and_length() -> None:
    text = "# 标题\n\n前言。容器的网络命名空间由守护进程在启动时创建并交给运行时使用。\n"
    assert found(text) == [(3, "容器的网络命名空间由守护进程在启动时创建并交给运行时使用")]


def test_punctuation_spaces_and_latin_words_do_not_hide_a_copy() -> None:
    text = "容器的网络命名空间，由 Docker 守护进程在启动时创建、并交给 runc 运行时使用\n"
    assert [len(run) for _, run in found(text)] == [28]


def test_seventeen_characters_in_a_row_are_not_a_copy() -> None:
    assert found("容器的网络命名空间由守护进程在启动，另外的话\n") == []
    assert found("容器的网络命名空间由守护进程在启动时\n") == [(1, "容器的网络命名空间由守护进程在启动时")]


def test_code_blocks_are_skipped() -> None:
    fenced = "```console\n$ echo 容器的网络命名空间由守护进程在启动时创建并交给运行时使用\n```\n"
    assert found(fenced) == []
    assert found("正文", reference="```\n" + REFERENCE + "```\n") == []
