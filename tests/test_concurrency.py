"""Two clerks at once cannot over-apply a document; a crash in the middle leaves the ledger as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from contextlib import nullcontext
from decimal import Decimal as D
from pathlib import Path

import pytest

import cashbook.allocation
import cashbook.ledger
import cashbook.ledger_service
from cashbook.errors import CashbookError, OverAllocation
from cashbook.ledger import Ledger
from cashbook.service import Workspace
from tests.test_ledger_service import make_world, ws  # noqa: F401  (fixture)


def _race(calls: list) -> tuple[list, list]:
    barrier = threading.Barrier(len(calls))
    wins, errors = [], []

    def run(call) -> None:
        barrier.wait()
        try:
            wins.append(call())
        except CashbookError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return wins, errors


def test_threads_sharing_a_workspace_apply_the_same_document(ws: Workspace) -> None:  # noqa: F811
    calls = [lambda: ws.allocation.apply_manual("PAY1", "INV1", D("400.00")) for _ in range(4)]
    wins, errors = _race(calls)
    assert len(wins) == 1 and len(errors) == 3
    assert all(isinstance(e, OverAllocation) for e in errors)
    assert ws.allocation.ledger.open_now(["INV1"])["INV1"] == D("100.00")
    assert ws.ledger.verify() == []


def test_guard_rows_conflict_without_the_process_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two connections (as two app sessions would hold) with the in-process lock removed: the guard rows decide."""
    path = tmp_path / "ws.duckdb"
    make_world(path).close()
    for module in (cashbook.ledger, cashbook.allocation, cashbook.ledger_service):
        monkeypatch.setattr(module, "workspace_lock", lambda db: nullcontext())
    first, second = Workspace.open(path, user="alice"), Workspace.open(path, user="bob")
    try:
        wins, errors = _race([lambda: first.allocation.apply_manual("PAY1", "INV1", D("400.00")),
                              lambda: second.allocation.apply_manual("PAY1", "INV1", D("400.00"))])
        assert len(wins) == 1 and len(errors) == 1  # the loser: "Concurrent change" or over-allocation
        assert first.allocation.ledger.open_now(["INV1"])["INV1"] == D("100.00")
        assert len(first.allocation.ledger.entries()) == 1
    finally:
        first.close()
        second.close()


def test_two_cli_processes_at_once(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    make_world(path).close()
    env = {**os.environ, "CASHBOOK_DB": str(path)}
    program = [shutil.which("cashbook")] if shutil.which("cashbook") else [sys.executable, "-m", "cashbook.cli.main"]
    processes = [subprocess.Popen([*program, "--user", user, "apply", "PAY1", "INV1", "--amount", "400.00"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for user in ("alice", "bob")]
    results = []
    for p in processes:
        _, err = p.communicate(timeout=120)
        results.append((p.returncode, err))
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    assert "over-apply" in next(err for code, err in results if code == 1)
    with Workspace.open(path, user="carol") as ws:
        assert len(ws.allocation.ledger.entries()) == 1
        assert ws.allocation.ledger.open_now(["INV1"])["INV1"] == D("100.00")
        assert ws.ledger.verify() == []


def test_crash_midway_leaves_the_ledger_unchanged(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    ws.allocation.apply_manual("PAY1", "INV1", D("100.00"))
    before = ws.db.rows("SELECT * FROM allocation_entry ORDER BY entry_id")
    original = Ledger._append

    def append_then_crash(self, rows, **options):
        original(self, rows, **options)
        raise RuntimeError("power cut")

    monkeypatch.setattr(Ledger, "_append", append_then_crash)
    with pytest.raises(RuntimeError):
        ws.allocation.apply_manual("PAY1", "INV2", D("300.00"))
    with pytest.raises(RuntimeError):
        ws.allocation.unapply("PAY1")
    monkeypatch.undo()
    assert ws.db.rows("SELECT * FROM allocation_entry ORDER BY entry_id") == before
    assert ws.ledger.verify() == []


def test_crash_between_reversal_and_reassignment(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    ws.allocation.unidentified("PAY3")
    before = ws.db.rows("SELECT * FROM allocation_entry ORDER BY entry_id")

    def crash(self, requests):
        raise RuntimeError("crash after the reversal")

    monkeypatch.setattr(Ledger, "apply", crash)
    with pytest.raises(RuntimeError):
        ws.allocation.reassign_suspense("PAY3", doc_no="INV3")
    monkeypatch.undo()
    assert ws.db.rows("SELECT * FROM allocation_entry ORDER BY entry_id") == before


def test_crash_while_writing_postings_records_nothing(ws: Workspace, tmp_path: Path,  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ws.allocation.apply_manual("PAY1", "INV1", D("500.00"))

    import errno

    import cashbook.exports
    from cashbook.exports import ExportError

    def broken_fsync(fd: int) -> None:  # the disk fills up as the file is written
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cashbook.exports.os, "fsync", broken_fsync)
    with pytest.raises(ExportError, match="the disk is full"):
        ws.postings.export(tmp_path / "p.csv")
    monkeypatch.undo()
    assert not (tmp_path / "p.csv").exists() and not list(tmp_path.glob(".p.csv.*"))
    assert ws.db.scalar("SELECT count(*) FROM posted_entry") == 0
    assert ws.db.scalar("SELECT count(*) FROM posting_journal") == 0
    assert ws.postings.export(tmp_path / "p.csv").first_journal == "CP000001"
