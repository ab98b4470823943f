"""The app keeps the workspace file open for a moment between script runs (a clerk's next click reuses it),
and gives it up to a command-line batch run: at once when one is announced, else when the moment is over."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app_pages import state
from cashbook.batch_runs import announce
from cashbook.db import open_database

ROOT = Path(__file__).resolve().parents[2]
OPEN_FROM_ANOTHER_PROCESS = ("import sys; from cashbook.db import open_database; "
                             "db = open_database(sys.argv[1], wait=60); print(db.scalar('SELECT 42')); db.close()")


@pytest.fixture
def path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    db = tmp_path / "kept.duckdb"
    open_database(db).close()
    monkeypatch.setattr(state, "KEEP_SECONDS", 0.5)
    yield str(db)
    with state._KEEP_LOCK:
        kept = state._KEPT.pop(str(db), None)
    if kept is not None:
        kept.db.close()


def test_the_next_run_reuses_the_open_file(path: str) -> None:
    first = state._borrow(path, None)
    state._give_back(path, first)
    second = state._borrow(path, None)
    assert second is first  # no reopen between two clicks
    assert second.scalar("SELECT 42") == 42
    state._give_back(path, second)


def test_two_runs_at_once_share_it_and_it_closes_after_the_last(path: str) -> None:
    one, two = state._borrow(path, None), state._borrow(path, None)
    assert one is two and state._KEPT[path].runs == 2
    state._give_back(path, one)
    assert state._KEPT[path].timer is None  # a run is still drawing
    state._give_back(path, two)
    assert state._KEPT[path].timer is not None


def test_another_process_gets_the_file_once_the_moment_is_over(path: str) -> None:
    db = state._borrow(path, None)
    state._give_back(path, db)
    done = subprocess.run([sys.executable, "-c", OPEN_FROM_ANOTHER_PROCESS, path], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"
    assert path not in state._KEPT


def test_an_announced_batch_run_gets_the_file_when_the_last_run_ends(path: str) -> None:
    db = state._borrow(path, None)
    with announce(path, "batch", "import remittance"):
        state._give_back(path, db)
        assert path not in state._KEPT  # closed at once, no moment kept
        with pytest.raises(Exception):
            db.scalar("SELECT 1")


def test_a_run_that_finds_a_batch_announced_closes_the_idle_file_first(path: str) -> None:
    db = state._borrow(path, None)
    state._give_back(path, db)
    assert path in state._KEPT
    with announce(path, "batch", "match"), pytest.MonkeyPatch.context() as patch:
        waited = []
        patch.setattr(state, "_wait_for_batch", lambda p, where: waited.append(path in state._KEPT) or open_database(p))
        fresh = state._borrow(path, None)
    assert waited == [False]  # the kept file was given up before waiting for the batch
    assert fresh is not db
    state._give_back(path, fresh)
