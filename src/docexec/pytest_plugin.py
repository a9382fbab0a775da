"""The drift check: every executable page under docs/ becomes pytest items, one per command.

Each page runs as one session on the real daemon, with the same engine the site build uses, and each command's
output is compared with its recording after volatile fields are normalised on both sides. A command that drifted
leaves its block's obtained transcript beside the recording (`<block>.obtained`, for review); a run over the whole
docs folder also fails on recordings that no page uses.

    pytest docs/                      check every page
    pytest docs/ --docexec-update     record the pages again instead, and report what changed (refused when CI=true)
    pytest docs/ --docexec-shard 2/4  check only the second of four balanced shards (one CI runner's part)

Without a daemon the command items are deselected with one line saying why, except when CI=true: there they fail.
The pieces: drift_variants (engines and CLIs, the run's state), drift_items (pages, recordings), drift_command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from docexec.core.config import NoProject, load_config
from docexec.core.errors import DocexecError
from docexec.drift import shards
from docexec.drift.command import CommandItem, DriftFailure
from docexec.drift.items import PageFile, RecordingItem, UnusedRecordings, VariantNode, unused_items
from docexec.drift.variants import KEY, State, Variant, in_ci

__all__ = ["CommandItem", "DriftFailure", "PageFile", "RecordingItem", "UnusedRecordings", "Variant", "VariantNode"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("docexec", "executable documentation pages")
    group.addoption("--docexec-update", action="store_true",
                    help="record the pages again instead of checking them (refused when CI=true)")
    group.addoption("--docexec-variant", action="append", default=[], metavar="NAME",
                    help="check only this engine/CLI variant, e.g. 20.10, 20.10+cli28.5, 28.5 (repeatable)")
    group.addoption("--docexec-shard", default=None, metavar="K/N",
                    help="check only shard K of N: pages (per variant) split by their recorded durations")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "docexec: a command of an executable documentation page")
    # The items carry it so that pytest-xdist (--dist loadgroup) keeps a page on one worker; a project without
    # xdist must not be warned about an unknown mark.
    config.addinivalue_line("markers", "xdist_group(name): pytest-xdist keeps the items of a group on one worker")
    if config.getoption("--docexec-update") and in_ci():
        raise pytest.UsageError("--docexec-update is refused when CI=true: recordings change only by review")
    try:
        state = State(load_config(Path(config.rootpath)))
    except NoProject:  # not a docexec project: collect nothing
        return
    except DocexecError as exc:  # a docexec project whose settings are wrong: say so, never collect nothing
        raise pytest.UsageError(f"docexec: {exc}") from None
    wanted = config.getoption("--docexec-variant")
    unknown = sorted(set(wanted) - {v.name for v in state.variants})
    if unknown:
        state.close()
        raise pytest.UsageError(f"--docexec-variant {', '.join(unknown)}: the variants here are "
                                + ", ".join(v.name for v in state.variants))
    state.wanted = set(wanted)
    shard = config.getoption("--docexec-shard")
    if shard is not None:
        try:
            state.shard = shards.parse(shard)
        except DocexecError as exc:
            state.close()
            raise pytest.UsageError(str(exc)) from None
    config.stash[KEY] = state


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(KEY, None)
    if state is not None:
        state.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash.get(KEY, None)
    if state is None or file_path.suffix != ".md":
        return None
    docs = state.settings.docs_dir.resolve()
    if docs not in file_path.resolve().parents:
        return None
    return PageFile.from_parent(parent, path=file_path)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    state = config.stash.get(KEY, None)
    if state is None:
        return
    items.extend(unused_items(session, items))
    if state.shard is not None:
        _keep_shard(config, items, *state.shard)
    if in_ci() or config.option.collectonly:  # listing items asks nothing of Docker
        return
    skipped: dict[str, int] = {}
    keep = []
    for item in items:
        if isinstance(item, CommandItem) and not item.variant.ok():
            skipped[item.variant.problem] = skipped.get(item.variant.problem, 0) + 1
        else:
            keep.append(item)
    if skipped:
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
        state.skipped = "\n".join(f"docexec: {n} drift-check commands not run: {why}" for why, n in skipped.items())


def _keep_shard(config: pytest.Config, items: list[pytest.Item], k: int, n: int) -> None:
    """Deselect the drift-check items of the other shards; items that are not the drift check's stay."""
    groups: dict[pytest.Item, str] = {}
    weights: dict[str, float] = {}
    for item in items:
        if not isinstance(item, CommandItem | RecordingItem | UnusedRecordings):
            continue
        mark = item.get_closest_marker("xdist_group")
        group = groups[item] = str(mark.args[0]) if mark else item.nodeid
        if group not in weights:
            run = getattr(item, "run", None)
            stored = run.variant.project.store.load(run.page) if run is not None else None
            weights[group] = shards.weight(r.duration for records in (stored.blocks.values() if stored else ())
                                           for r in records)
    chosen = shards.assign(weights, n)
    keep = [i for i in items if i not in groups or chosen[groups[i]] == k]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i in groups and chosen[groups[i]] != k])
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(KEY, None)
    if state is None:
        return None
    mode = "update (re-record)" if config.getoption("--docexec-update") else "check"
    if state.variants[0].ok():
        where = "each page in a lab of its own" if state.project.hosts_mode() == "lab" else \
            "on the shared Docker daemon (labs are not available here)"
    else:
        where = f"drift-check commands not run: {state.variants[0].problem}"
    lines = [f"docexec: {mode}, {where}; pages in {state.settings.docs_dir}, "
             f"recordings in {state.project.engine.snippets_dir}"]
    if len(state.variants) > 1:
        lines.append("docexec: engines and CLIs: " + ", ".join(
            v.name + ("" if v.ok() else " (not here)") for v in state.variants))
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(KEY, None)
    if state is not None and state.skipped:
        terminalreporter.write_line(state.skipped, yellow=True)
