"""The maintainers' pages name tests as proof: every test they name must exist."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("page", ["docs/maintainers/hardening.md"])
def test_every_named_test_exists(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    named = sorted(set(re.findall(r"`(tests/test_\w+\.py)::(\w+)`", text)))
    assert len(named) >= 20
    missing = []
    for path, function in named:
        module = importlib.import_module("tests." + Path(path).stem)
        if not callable(getattr(module, function, None)):
            missing.append(f"{path}::{function}")
    assert not missing, f"{page} names tests that do not exist: {missing}"
